"""The book's pages as ``_toc.yml`` lists them, and one HTML build shared by the book's tests.

``build_book`` runs ``jupyter-book build . -W -n --keep-going --all`` into ``_build/html`` (the
folder ``jupyter-book build .`` writes, ignored by git) with a copy of ``_config.yml`` whose
execution is ``off`` when every notebook already has outputs (CI: nbmake ran first with
``--overwrite``) and ``force`` otherwise. tests/test_book.py checks the build;
tests/test_browser.py opens its pages in Chromium.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

import acgan_lib

ROOT = Path(__file__).resolve().parents[1]
COLAB = "https://colab.research.google.com"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
BUILD = ROOT / "_build"


def config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text())


def colab_url(notebook: Path) -> str:
    """Where Colab opens ``notebook`` (a path in this checkout) at this version's release tag."""
    repo = acgan_lib.REPOSITORY_URL.removeprefix("https://github.com/")
    return f"{COLAB}/github/{repo}/blob/{acgan_lib.RELEASE_TAG}/{notebook.resolve().relative_to(ROOT).as_posix()}"


def toc_files() -> list[str]:
    """Every file of ``_toc.yml`` in reading order, the root first."""
    return [page.file for page in toc_pages()]


def source(file: str) -> Path:
    for suffix in (".ipynb", ".md"):
        path = ROOT / f"{file}{suffix}"
        if path.is_file():
            return path
    raise AssertionError(f"_toc.yml lists {file!r}, but neither {file}.ipynb nor {file}.md exists")


def markdown_of(path: Path) -> str:
    """The Markdown a page is written in: a page's text, or a notebook's Markdown cells."""
    if path.suffix == ".md":
        return path.read_text()
    nb = json.loads(path.read_text())
    return "\n\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")


def _without_code_blocks(markdown: str) -> str:
    """Markdown without its fenced code blocks (directive fences such as ```{exercise} stay)."""
    lines, fence = [], None
    for line in markdown.splitlines():
        match = re.match(r"^\s*(`{3,}|~{3,})(.*)$", line)
        if fence is None and match and not match.group(2).strip().startswith("{"):
            fence = match.group(1)
        elif fence is not None:
            fence = None if line.strip() == fence else fence
        else:
            lines.append(line)
    return "\n".join(lines)


def has_math(markdown: str) -> bool:
    """Whether the source has math: ``$...$``, ``$$...$$``, a ``{math}`` role or directive, or
    an amsmath environment (``\\begin{align}``)."""
    prose = re.sub(r"`[^`\n]+`", "", _without_code_blocks(markdown))  # no inline code
    return bool(re.search(r"\$\$|(?<![\\$])\$(?=\S)[^$\n]*\S\$|\{math\}|\\begin\{", prose))


def heading(markdown: str, where: str = "the page") -> str:
    """The first level-1 heading, as the reader sees it (without Markdown's code marks)."""
    for line in _without_code_blocks(markdown).splitlines():
        if line.startswith("# "):
            return re.sub(r"[`*]", "", line[2:]).strip()
    raise AssertionError(f"{where} has no level-1 heading (a line starting with '# ')")


@dataclass(frozen=True)
class TocPage:
    """One page of the book: its file, its number in the numbered parts, and its heading."""

    file: str  # as in _toc.yml, e.g. "notebooks/04_acgan"
    number: int | None  # chapters in numbered parts are numbered across the parts
    heading: str

    @property
    def source(self) -> Path:
        return source(self.file)

    @property
    def is_notebook(self) -> bool:
        return self.source.suffix == ".ipynb"

    @property
    def entry(self) -> str:
        """The page's entry in the table of contents, as the sidebar shows it."""
        return f"{self.number}. {self.heading}" if self.number else self.heading

    @property
    def html(self) -> str:
        return f"{self.file}.html"


@cache
def toc_pages() -> tuple[TocPage, ...]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [(toc["root"], None)]
    number = 0

    def walk(entries, numbered):
        nonlocal number
        for entry in entries or []:
            # The checks take a page's entry from its heading and number chapters only.
            assert "title" not in entry and "sections" not in entry, \
                f"_toc.yml: {entry}: tests/book_pages.py does not handle titles or sections yet"
            if "file" in entry:
                if numbered:
                    number += 1
                pages.append((entry["file"], number if numbered else None))

    for part in toc.get("parts", []):
        walk(part.get("chapters"), bool(part.get("numbered")))
    walk(toc.get("chapters"), bool(toc.get("numbered")))
    return tuple(TocPage(file, n, heading(markdown_of(source(file)), file)) for file, n in pages)


def all_executed() -> bool:
    for path in NOTEBOOKS:
        nb = json.loads(path.read_text())
        if any(c["cell_type"] == "code" and c.get("execution_count") is None
               for c in nb["cells"]):
            return False
    return True


@cache
def screenshot_folder(html: Path) -> Path:
    """``_build/screenshots`` beside a build's ``html``, emptied of an earlier run's pictures
    once per test session, whichever test saves the first one (test_browser, test_playground)."""
    folder = html.parent / "screenshots"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


@dataclass(frozen=True)
class BookBuild:
    returncode: int
    log: str
    reused_outputs: bool
    html: Path


def build_book() -> BookBuild:
    """Build the HTML book into ``_build/html`` with -W (see the module docstring).

    Under pytest-xdist each worker builds its own copy, in ``_build/<worker>/_build/html``.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    out = BUILD / worker if worker else ROOT
    html = out / "_build" / "html"
    cfg = config()
    reuse = all_executed()
    cfg["execute"]["execute_notebooks"] = "off" if reuse else "force"
    # Paths in the configuration are relative to its file: keep them valid from a copy.
    cfg["bibtex_bibfiles"] = [str(ROOT / f) for f in cfg["bibtex_bibfiles"]]
    local = cfg["sphinx"].get("local_extensions") or {}
    cfg["sphinx"]["local_extensions"] = {name: str(ROOT / p) for name, p in local.items()}
    shutil.rmtree(html, ignore_errors=True)  # no page of an earlier build survives
    env = {**os.environ, "CI": os.environ.get("CI", "true")}  # smoke-size any live demo
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    with tempfile.TemporaryDirectory() as tmp:
        config_path = Path(tmp) / "_config.yml"
        config_path.write_text(yaml.safe_dump(cfg, sort_keys=False))
        result = subprocess.run(
            [str(jupyter_book), "build", str(ROOT), "--path-output", str(out), "--config",
             str(config_path), "-W", "-n", "--keep-going", "--all"],
            capture_output=True, text=True, env=env)
    return BookBuild(result.returncode, result.stdout + result.stderr, reuse, html)
