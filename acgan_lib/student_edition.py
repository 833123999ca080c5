"""Build the student edition: the notebooks without solutions, and the book with solutions hidden.

::

    python -m acgan_lib student-edition --out student_edition
    # or: python -m acgan_lib.student_edition --out student_edition

run from the course repository's root, writes

* ``student_edition/notebooks/*.ipynb``: every chapter with its solutions removed and its
  outputs cleared; the exercise scaffolds (cells tagged ``exercise-scaffold``) stay;
* ``student_edition/book/``: the HTML book built from those notebooks with sphinx-exercise's
  ``hide_solutions: true`` (``index.html`` is the start page);
* ``student_edition/README.md``: what the folder is and how to use it.

How solutions are marked in a chapter (the instructor's edition, ``notebooks/``):

* a cell tagged ``solution`` (a code cell with the reference answer, or a Markdown cell);
* in Markdown, a ``{solution}`` directive block (backtick or colon fence);
* a gated solution: a ``{solution-start}`` fence, the cells that follow, and a
  ``{solution-end}`` fence; everything from the start to the end is removed.

The edition is generated, never edited by hand: rebuild it after changing a chapter. It hides
solutions from view; it does not keep them secret (the course repository is public).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import acgan_lib
from acgan_lib.book_build import (BookBuildError, change_config, copy_course, run_jupyter_book,
                                  write_notebooks)
from acgan_lib.files import write_notebook, write_text
from acgan_lib.notebook import point_colab_badges

SOLUTION_TAG = "solution"
MARKER_FILE = ".student-edition"
EXECUTE_CHOICES = ("config", "auto", "force", "cache", "off")
_OPEN = re.compile(r"^(?P<indent>[ \t]{0,3})(?P<fence>`{3,}|:{3,})\{(?P<name>solution(?:-start|"
                   r"-end)?)\}")
_ANY_FENCE = re.compile(r"^[ \t]{0,3}(?P<fence>`{3,}|:{3,})")


class StudentEditionError(RuntimeError):
    """The student edition could not be built; the message says why and what to do."""


# ------------------------------------------------------------------------------ stripping
def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _source(cell) -> str:
    src = cell.get("source", "")
    return src if isinstance(src, str) else "".join(src)


def _closes(line: str, fence: str) -> bool:
    """Whether ``line`` closes a block opened with ``fence`` (same character, at least as long)."""
    match = _ANY_FENCE.match(line)
    return bool(match and line.strip() == match.group("fence")
                and match.group("fence")[0] == fence[0]
                and len(match.group("fence")) >= len(fence))


def strip_markdown(text: str, in_gated: bool = False) -> tuple[str, bool, int]:
    """Remove solution blocks from one Markdown cell.

    Returns ``(text, in_gated, removed)``: ``in_gated`` says whether a ``{solution-start}``
    is still open at the end of the text (the following cells belong to the solution until a
    ``{solution-end}``); ``removed`` counts the blocks removed.
    """
    out: list[str] = []
    lines = text.splitlines(keepends=True)
    removed, i = 0, 0
    while i < len(lines):
        line = lines[i]
        match = _OPEN.match(line)
        if match or in_gated:
            name = match.group("name") if match else None
            if not match:  # inside a gated solution: drop everything up to {solution-end}
                i += 1
                continue
            # skip the directive's block, fence to closing fence
            fence, i = match.group("fence"), i + 1
            while i < len(lines) and not _closes(lines[i], fence):
                i += 1
            i += 1
            removed += 1
            if name == "solution-start":
                in_gated = True
            elif name == "solution-end":
                in_gated = False
            continue
        out.append(line)
        i += 1
    return "".join(out), in_gated, removed


def strip_notebook(nb: dict, clear_outputs: bool = True, name: str = "notebook") -> dict:
    """A copy of ``nb`` without solutions (see the module docstring for the markers).

    Raises :class:`StudentEditionError` if a gated solution is never closed, or if anything
    that looks like a solution is left afterwards.
    """
    nb = copy.deepcopy(nb)
    cells, in_gated = [], False
    for cell in nb["cells"]:
        if SOLUTION_TAG in _tags(cell):
            continue
        if cell["cell_type"] == "markdown":
            source = _source(cell)
            text, in_gated, _ = strip_markdown(source, in_gated)
            if text != source:
                if not text.strip():
                    continue
                cell["source"] = text.strip("\n") + "\n"
            cells.append(cell)
        elif in_gated:
            continue
        else:
            if clear_outputs and cell["cell_type"] == "code":
                cell["outputs"] = []
                cell["execution_count"] = None
                cell.get("metadata", {}).pop("execution", None)
            cells.append(cell)
    if in_gated:
        raise StudentEditionError(f"{name}: a {{solution-start}} has no {{solution-end}}; close "
                                  "it, or the rest of the chapter would be removed.")
    nb["cells"] = cells
    left = solution_markers(nb)
    if left:
        raise StudentEditionError(f"{name}: solution markers are left after stripping: "
                                  f"{'; '.join(left)}")
    return nb


def solution_markers(nb: dict) -> list[str]:
    """Descriptions of every solution marker in ``nb`` (empty for a clean student notebook)."""
    found = []
    for i, cell in enumerate(nb["cells"]):
        if SOLUTION_TAG in _tags(cell):
            found.append(f"cell {i} is tagged {SOLUTION_TAG!r}")
        if cell["cell_type"] == "markdown":
            for line in _source(cell).splitlines():
                if _OPEN.match(line):
                    found.append(f"cell {i}: {line.strip()}")
    return found


def rewrite_badges(nb: dict, old_repo: str, new_repo: str, branch: str = "main") -> dict:
    """Point "Open in Colab" links at ``new_repo`` (``owner/name``) instead of ``old_repo``."""
    return point_colab_badges(nb, branch, repo=new_repo, old_repo=old_repo)


# ------------------------------------------------------------------------------ building
def find_root(root: str | os.PathLike | None = None) -> Path:
    """The course repository: ``root``, else the current directory, else the package's parent."""
    candidates = [Path(root)] if root else [Path.cwd(), Path(__file__).resolve().parents[1]]
    for path in candidates:
        if (path / "_config.yml").is_file() and (path / "notebooks").is_dir():
            return path.resolve()
    where = root or "the current directory"
    raise StudentEditionError(f"{where} is not the course repository (no _config.yml and "
                              "notebooks/ there); run from the repository's root or pass "
                              "--root PATH.")


def _prepare_out(out: Path, root: Path) -> None:
    out = out.resolve()
    if out == root or root.is_relative_to(out):
        raise StudentEditionError(f"--out {out} would overwrite the course repository; choose "
                                  "a new folder, e.g. student_edition/.")
    if out.exists():
        if not out.is_dir():
            raise StudentEditionError(f"--out {out} is a file; give a folder.")
        if any(out.iterdir()) and not (out / MARKER_FILE).exists():
            raise StudentEditionError(f"--out {out} is not empty and is not a student edition "
                                      "built by this command; choose a new or empty folder.")
        shutil.rmtree(out)
    out.mkdir(parents=True)
    write_text(out / MARKER_FILE, "Built by python -m acgan_lib student-edition; this folder "
                                  "is replaced when the command runs again.\n")


def _read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def student_notebooks(root: Path, clear_outputs: bool = True) -> dict[str, dict]:
    """``{file name: stripped notebook}`` for every chapter in ``root/notebooks``."""
    paths = sorted((root / "notebooks").glob("*.ipynb"))
    if not paths:
        raise StudentEditionError(f"no notebooks in {root / 'notebooks'}")
    return {p.name: strip_notebook(_read(p), clear_outputs, p.name) for p in paths}


def _course_repo(config: dict) -> str | None:
    url = (config.get("repository") or {}).get("url", "")
    match = re.match(r"https://github\.com/([\w.-]+/[\w.-]+?)(?:\.git)?/?$", url or "")
    return match.group(1) if match else None


def build_book(root: Path, html_out: Path, notebooks: dict[str, dict], execute: str = "config",
               strict: bool = True, repository: str | None = None,
               env: dict | None = None) -> Path:
    """Build the book from a temporary copy of ``root`` with ``notebooks`` and solutions hidden.

    ``execute`` sets ``execute.execute_notebooks`` (``"config"`` keeps the book's policy);
    ``strict`` builds with ``-W -n --keep-going`` (a warning fails the build).
    """
    if execute not in EXECUTE_CHOICES:
        raise StudentEditionError(f"execute must be one of {', '.join(EXECUTE_CHOICES)}, got "
                                  f"{execute!r}")

    def student_config(config: dict) -> None:
        config["title"] = f"{config.get('title', 'Course')} (student edition)"
        sphinx = config.setdefault("sphinx", {})
        extensions = sphinx.setdefault("extra_extensions", [])
        if "sphinx_exercise" not in extensions:
            extensions.append("sphinx_exercise")
        (sphinx.setdefault("config", {}) or {})["hide_solutions"] = True
        if execute != "config":
            config.setdefault("execute", {})["execute_notebooks"] = execute
        if repository:
            config.setdefault("repository", {})["url"] = repository

    with tempfile.TemporaryDirectory(prefix="student-edition-") as tmp:
        copy_root = copy_course(root, Path(tmp) / "course", keep_out=html_out)
        write_notebooks(copy_root, notebooks)
        change_config(copy_root, student_config)
        try:
            built = run_jupyter_book(copy_root, strict=strict, env=env)
        except BookBuildError as error:
            raise StudentEditionError(f"the student edition's book did not build: "
                                      f"{error}") from None
        if html_out.exists():
            shutil.rmtree(html_out)
        shutil.copytree(built, html_out)
    return html_out


README = """# {title}: student edition

Generated by `python -m acgan_lib student-edition` from the course repository; do not edit
it by hand, rebuild it instead.

- `notebooks/`: the chapters without the exercises' solutions. Each code exercise has a
  scaffold cell to complete; its last line calls a checker from `acgan_lib.exercises`, which
  prints what is right, what is not yet, and a hint.
- `book/`: the course as a website with the solutions hidden; open `book/index.html`.

To work on Colab, open a notebook with *File > Upload notebook* (or from the course
repository your instructor gives you); its first cell installs the course library.
Locally: `pip install "acgan_lib @ git+{library_url}"` and open the notebooks in Jupyter.
"""


def build_student_edition(out: str | os.PathLike = "student_edition",
                          root: str | os.PathLike | None = None, book: bool = True,
                          execute: str = "config", strict: bool = True,
                          repository: str | None = None, branch: str = "main",
                          verbose: bool = True) -> dict:
    """Write the student edition into ``out`` (replaced if it is an earlier student edition).

    Args:
        out: the folder to write (created; must be new, empty, or an earlier student edition).
        root: the course repository (default: the current directory or the package's parent).
        book: also build the HTML book (jupyter-book); ``False`` writes the notebooks only.
        execute: notebook execution for the book: ``"config"`` (the book's policy), ``"off"``
            (use the outputs saved in the notebooks), ``"force"``, ``"auto"``, ``"cache"``.
        strict: build the book with warnings as errors (``-W -n --keep-going``).
        repository: a GitHub URL where the student edition will live; the notebooks' Colab
            badges and the book's repository and launch buttons then point there.
        branch: that repository's branch, for the Colab badges.

    Returns a summary: the notebooks written, the solutions removed, the book's start page.
    """
    import yaml

    root = find_root(root)
    out = Path(out)
    _prepare_out(out, root)
    config = yaml.safe_load((root / "_config.yml").read_text())
    originals = {p.name: _read(p) for p in sorted((root / "notebooks").glob("*.ipynb"))}
    handed_out = student_notebooks(root, clear_outputs=True)
    course_repo = _course_repo(config)
    new_repo = None
    if repository:
        match = re.match(r"https://github\.com/([\w.-]+/[\w.-]+?)(?:\.git)?/?$", repository)
        if not match:
            raise StudentEditionError(f"--repository {repository!r} is not a GitHub URL like "
                                      "https://github.com/OWNER/NAME")
        new_repo = match.group(1)
    (out / "notebooks").mkdir()
    removed = {}
    for name, nb in handed_out.items():
        if new_repo and course_repo:
            rewrite_badges(nb, course_repo, new_repo, branch)
        write_notebook(out / "notebooks" / name, nb)
        removed[name] = len(originals[name]["cells"]) - len(nb["cells"])
    write_text(out / "README.md", README.format(title=config.get("title", "The course"),
                                                library_url=acgan_lib.REPOSITORY_URL))
    summary = {"out": str(out), "notebooks": sorted(handed_out), "cells_removed": removed,
               "book": None}
    if book:
        with_outputs = student_notebooks(root, clear_outputs=False)
        if new_repo and course_repo:
            for nb in with_outputs.values():
                rewrite_badges(nb, course_repo, new_repo, branch)
        html = build_book(root, out / "book", with_outputs, execute=execute, strict=strict,
                          repository=repository)
        summary["book"] = str(html / "index.html")
    if verbose:
        total = sum(removed.values())
        print(f"Wrote {len(handed_out)} student notebooks to {out / 'notebooks'} "
              f"({total} solution cell(s) removed).")
        if summary["book"]:
            print(f"Built the book with solutions hidden: {summary['book']}")
    return summary


# ------------------------------------------------------------------------------ command line
def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The command's options (shared by ``python -m acgan_lib student-edition``)."""
    parser.add_argument("--out", default="student_edition",
                        help="folder to write (default: student_edition/)")
    parser.add_argument("--root", default=None,
                        help="the course repository (default: the current directory)")
    parser.add_argument("--no-book", action="store_true",
                        help="write the notebooks only, skip the HTML book")
    parser.add_argument("--execute", default="config", choices=EXECUTE_CHOICES,
                        help="notebook execution for the book (default: the book's "
                             "_config.yml; 'off' reuses outputs saved in the notebooks)")
    parser.add_argument("--no-strict", action="store_true",
                        help="do not treat the book's warnings as errors")
    parser.add_argument("--repository", default=None,
                        help="GitHub URL of the repository the student edition is pushed to "
                             "(Colab badges and the book's buttons point there)")
    parser.add_argument("--branch", default="main", help="that repository's branch")
    return parser


def run(args: argparse.Namespace) -> int:
    """Run the command from parsed arguments; returns the exit status."""
    build_student_edition(args.out, root=args.root, book=not args.no_book,
                          execute=args.execute, strict=not args.no_strict,
                          repository=args.repository, branch=args.branch)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = add_arguments(argparse.ArgumentParser(
        prog="python -m acgan_lib.student_edition",
        description="Build the student edition: notebooks without solutions, book with "
                    "solutions hidden."))
    try:
        return run(parser.parse_args(argv))
    except (StudentEditionError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
