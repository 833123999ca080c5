"""Build the book from a copy of the course, so the checkout itself is never written to.

The student edition (solutions hidden, its own title) and the notebook benchmark (the book from
executed copies of the chapters) both build a changed copy of the course; this is the one way
they copy it, change its ``_config.yml`` and run ``jupyter-book build``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import yaml

from acgan_lib.files import write_notebook, write_text

#: What a copy of the course leaves out, at any depth: version control, environments, build
#: outputs, runs, editors' files and npm's packages (the book's extension finds TensorFlow.js
#: beside the installed acgan_lib instead).
COPY_IGNORE = frozenset({".git", ".venv", "_build", "__pycache__", ".pytest_cache",
                         ".ipynb_checkpoints", "runs", "student_edition", "node_modules"})
#: ... and at the top only: work in progress, the study's kept weights, setuptools' build/.
TOP_IGNORE = frozenset({"wip", "weights", "build"})


class BookBuildError(RuntimeError):
    """``jupyter-book build`` failed; the message ends with the end of its log."""


def _copy_if_there(src: str, dst: str) -> None:
    """Copy one file; skip it if it vanished meanwhile (an editor's or a writer's temporary)."""
    try:
        shutil.copy2(src, dst)
    except FileNotFoundError:
        pass


def copy_course(root: Path, dest: Path, keep_out: Path | None = None) -> Path:
    """Copy the course at ``root`` to ``dest`` without :data:`COPY_IGNORE`, hidden files,
    ``*.egg-info`` and ``keep_out`` (a folder inside ``root`` the build writes to)."""
    root = Path(root).resolve()
    keep_out = keep_out.resolve() if keep_out is not None else None

    def ignore(folder: str, names: list[str]) -> list[str]:
        top = Path(folder).resolve() == root
        return [n for n in names if n in COPY_IGNORE or n.startswith(".")
                or n.endswith(".egg-info") or (top and n in TOP_IGNORE)
                or (Path(folder) / n).resolve() == keep_out]

    shutil.copytree(root, dest, ignore=ignore, copy_function=_copy_if_there)
    return dest


def write_notebooks(course: Path, notebooks: dict[str, dict]) -> None:
    """Write ``{file name: notebook}`` into the copy's ``notebooks/`` folder."""
    for name, nb in notebooks.items():
        write_notebook(course / "notebooks" / name, nb)


def change_config(course: Path, change: Callable[[dict], None]) -> None:
    """Apply ``change`` to the copy's ``_config.yml`` (a dict, changed in place)."""
    path = course / "_config.yml"
    config = yaml.safe_load(path.read_text())
    change(config)
    write_text(path, yaml.safe_dump(config, sort_keys=False, allow_unicode=True))


def run_jupyter_book(course: Path, strict: bool = True, env: dict | None = None) -> Path:
    """``jupyter-book build`` of the copy (``strict``: ``-W -n --keep-going``, so a warning
    fails the build); the built ``_build/html``, or a :class:`BookBuildError` with the log."""
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    command = [str(jupyter_book)] if jupyter_book.exists() else \
        [sys.executable, "-m", "jupyter_book"]
    args = [*command, "build", str(course)] + (["-W", "-n", "--keep-going"] if strict else [])
    result = subprocess.run(args, cwd=course, capture_output=True, text=True,
                            env=env or os.environ.copy())
    if result.returncode != 0:
        log = (result.stdout + result.stderr)[-6000:]
        raise BookBuildError(f"the book did not build (jupyter-book exit "
                             f"{result.returncode}):\n{log}")
    return course / "_build" / "html"
