"""The instructors' guide's run-time table is the one ``benchmarks/bench_notebooks.py``
renders from its measurements (``benchmarks/notebook_times.json``), and every chapter has
been measured in the ``cpu`` mode, a reader's build (issue #34)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))


def _bench():
    spec = importlib.util.spec_from_file_location(
        "bench_notebooks", ROOT / "benchmarks" / "bench_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_notebooks"] = module
    spec.loader.exec_module(module)
    return module


def test_the_guide_states_the_measured_run_times():
    bench = _bench()
    results = json.loads(bench.RESULTS.read_text())
    guide = (ROOT / "book" / "instructors.md").read_text()
    assert bench.guide_table(results, NOTEBOOKS) in guide, \
        "book/instructors.md's run-time table differs from benchmarks/notebook_times.json: " \
        "paste what `python benchmarks/bench_notebooks.py --mode cpu` prints"


def test_every_chapter_passed_in_the_cpu_mode():
    results = json.loads((ROOT / "benchmarks" / "notebook_times.json").read_text())
    chapters = results["cpu"]["chapters"]
    assert sorted(chapters) == NOTEBOOKS
    assert all(c["passed"] for c in chapters.values()), chapters


def test_the_table_marks_what_was_not_measured():
    bench = _bench()
    table = bench.guide_table({"cpu": {"machine": {"cpu_cores": 2}, "chapters": {
        "a": {"seconds": 12.0, "passed": True, "load": [1.0, 1.5]},
        "b": {"seconds": 30.0, "passed": True, "load": [3.0, 3.1]}}}}, ["a", "b"])
    rows = table.splitlines()
    assert rows[2] == "| {doc}`../notebooks/a` | not measured | 12 s | not measured |"
    assert rows[3] == "| {doc}`../notebooks/b` | not measured | 30 s* | not measured |"
    assert rows[-1] == "| all chapters | not measured | 1 min | not measured |"


def test_the_readme_states_the_cpu_build_time():
    cpu = json.loads((ROOT / "benchmarks" / "notebook_times.json").read_text())["cpu"]
    total = sum(c["seconds"] for c in cpu["chapters"].values())
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert f"{total / 60:.0f} minutes of execution and {cpu['book_build_seconds']:.0f} " \
        "seconds of build" in readme
