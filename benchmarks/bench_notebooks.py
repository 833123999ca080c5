"""How long each chapter takes to run, per run mode: the instructors' guide's run-time table.

Executes every notebook of ``notebooks/`` (in toc order) with nbclient in one run mode
(``ACGAN_RUN_MODE``), one at a time, each in a fresh kernel, and records its wall-clock seconds
and whether it passed; then, unless ``--no-book``, builds the book from the executed copies
(execution off, as CI does) and records that time too, so that ``the sum + the build`` is what
``ACGAN_RUN_MODE=cpu jupyter-book build .`` costs on the same machine. The executed copies go
to ``_build/executed-<mode>/``, never over the committed notebooks (which are kept without outputs).

    python benchmarks/bench_notebooks.py --mode cpu --data mnist.npz  # about 20 min, 2 cores
    python benchmarks/bench_notebooks.py --mode smoke

Results go to ``benchmarks/notebook_times.json`` under the mode's key, with the machine and
the versions; a run that is stopped keeps the chapters it finished (resumable: a chapter
already timed in this mode, unchanged since, is skipped unless ``--again``).
``tests/test_book.py`` checks that the guide's table states these numbers.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from acgan_lib.book_build import (change_config, copy_course, run_jupyter_book,  # noqa: E402
                                  write_notebooks)
from acgan_lib.files import read_json, write_json  # noqa: E402
from acgan_lib.notebook import RUN_MODES  # noqa: E402

RESULTS = HERE / "notebook_times.json"
TIMEOUT_S = 1800  # per notebook


def _commit() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                         capture_output=True, text=True)
    return out.stdout.strip() or "unknown"


def _fingerprint(path: Path) -> str:
    """The notebook's content: a chapter timed with it unchanged is not run again (after a
    change to the library that may change its time, run with ``--again``)."""
    from acgan_lib.files import sha256

    return sha256(path)[:16]


def _machine() -> dict:
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    return {"cpu_cores": os.cpu_count(), "gpus": [g.name for g in gpus],
            "platform": platform.platform(), "python": platform.python_version(),
            "tensorflow": tf.__version__}


def execute(path: Path, out_dir: Path, mode: str, data: str | None) -> tuple[float, str | None]:
    """Run one notebook in ``mode`` in a fresh kernel; ``(seconds, error or None)``. The
    executed copy goes to ``out_dir/notebooks/<name>``."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    error = None
    try:  # the kernel gets the mode in its environment; this process's is left alone
        NotebookClient(nb, timeout=TIMEOUT_S, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute(
            env={**os.environ, "ACGAN_RUN_MODE": mode,
                 **({"ACGAN_MNIST_PATH": data} if data else {})})
    except CellExecutionError as exc:
        error = str(exc).strip().splitlines()[-1][:300]
    seconds = time.perf_counter() - start
    target = out_dir / "notebooks" / path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)
    return seconds, error


def _execution_off(config: dict) -> None:
    config["execute"]["execute_notebooks"] = "off"


def build_book(out_dir: Path) -> float:
    """Build the book, execution off, from the executed copies in ``out_dir/notebooks`` in a
    copy of the course (:mod:`acgan_lib.book_build`); the pages go to ``out_dir/html``.
    Returns the seconds the build took."""
    executed = {p.name: read_json(p) for p in sorted((out_dir / "notebooks").glob("*.ipynb"))}
    with tempfile.TemporaryDirectory(prefix="book-") as tmp:
        course = copy_course(ROOT, Path(tmp) / "course")
        write_notebooks(course, executed)
        change_config(course, _execution_off)
        start = time.perf_counter()
        html = run_jupyter_book(course)
        seconds = time.perf_counter() - start
        shutil.copytree(html, out_dir / "html", dirs_exist_ok=True)
    return seconds


def _cell(entry: dict | None, stem: str) -> str:
    chapter = (entry or {}).get("chapters", {}).get(stem)
    if not chapter:
        return "not measured"
    if not chapter["passed"]:
        return "fails"
    upper = max(chapter.get("load", [0])) > (entry["machine"]["cpu_cores"] or 1)
    return f"{chapter['seconds']:.0f} s" + ("*" if upper else "")


def guide_table(results: dict, notebooks: list[str]) -> str:
    """The instructors' guide's table: each chapter's seconds per mode (``*``: the machine
    was busier than its core count, so the time is an upper bound)."""
    lines = ["| chapter | " + " | ".join(f"`{m}`" for m in RUN_MODES) + " |",
             "| --- |" + " --- |" * len(RUN_MODES)]
    for stem in notebooks:
        row = [_cell(results.get(mode), stem) for mode in RUN_MODES]
        lines.append(f"| {{doc}}`../notebooks/{stem}` | " + " | ".join(row) + " |")
    totals = []
    for mode in RUN_MODES:
        entry = results.get(mode) or {}
        chapters = entry.get("chapters", {})
        if len(chapters) == len(notebooks) and all(c["passed"] for c in chapters.values()):
            total = sum(c["seconds"] for c in chapters.values())
            build = entry.get("book_build_seconds")
            totals.append(f"{total / 60:.0f} min" + (f" + {build:.0f} s to build the book"
                                                     if build else ""))
        else:
            totals.append("not measured")
    lines.append("| all chapters | " + " | ".join(totals) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=RUN_MODES, required=True)
    parser.add_argument("--again", action="store_true", help="time chapters already timed")
    parser.add_argument("--no-book", action="store_true", help="skip the book build")
    parser.add_argument("--only", nargs="*", help="notebook names (default: all)")
    parser.add_argument("--data", help="the full MNIST (mnist.npz), as a reader whose Keras "
                        "can download it has; default: whatever the chapters find")
    args = parser.parse_args(argv)

    results = read_json(RESULTS) if RESULTS.is_file() else {}
    commit = _commit()
    entry = results.get(args.mode, {"chapters": {}})
    entry["commit"] = commit
    entry["machine"] = _machine()
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    if args.only:
        notebooks = [p for p in notebooks if p.stem in args.only]
    # executed copies persist between runs (ignored by git), so that a resumed run still
    # builds the book from every chapter
    out_dir = ROOT / "_build" / f"executed-{args.mode}"
    out_dir.mkdir(parents=True, exist_ok=True)
    failed = executed = 0
    for i, path in enumerate(notebooks, 1):
        done = entry["chapters"].get(path.stem, {})
        if done.get("fingerprint") == _fingerprint(path) and done.get("passed") \
                and not args.again:
            print(f"[{i}/{len(notebooks)}] {path.stem}: timed already, skipped", flush=True)
            continue
        print(f"[{i}/{len(notebooks)}] {path.stem} ({args.mode}) ...", flush=True)
        load = os.getloadavg()[0]
        seconds, error = execute(path, out_dir, args.mode, args.data)
        # the load average before and after: above the core count, the time is an upper bound
        entry["chapters"][path.stem] = {"seconds": round(seconds, 1), "passed": error is None,
                                        "fingerprint": _fingerprint(path),
                                        "data": "full MNIST" if args.data else "default",
                                        "load": [round(load, 1),
                                                 round(os.getloadavg()[0], 1)],
                                        **({"error": error} if error else {})}
        failed += error is not None
        executed += 1
        print(f"    {seconds:.0f} s, {'passed' if error is None else 'FAILED: ' + error}",
              flush=True)
        results[args.mode] = entry
        write_json(RESULTS, results)  # each finished chapter is kept
    complete = all(entry["chapters"].get(p.stem, {}).get("fingerprint") == _fingerprint(p)
                   and (out_dir / "notebooks" / p.name).is_file() for p in notebooks)
    if not args.no_book and not failed and complete and not args.only:
        entry["book_build_seconds"] = round(build_book(out_dir), 1)
        print(f"book build (execution off): {entry['book_build_seconds']:.0f} s")
        results[args.mode] = entry
        write_json(RESULTS, results)
    print(guide_table(results, [p.stem for p in sorted((ROOT / "notebooks").glob("*.ipynb"))]))
    total = sum(c["seconds"] for c in entry["chapters"].values())
    print(f"{args.mode}: {len(entry['chapters'])} chapters, {total:.0f} s of execution, "
          f"{failed} failed; executed copies in {out_dir / 'notebooks'}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
