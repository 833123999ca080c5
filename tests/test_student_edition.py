"""The student edition: no solution left in the notebooks, scaffolds that run, a book that hides
every solution.

How the notebooks are executed here: the student notebook of a chapter is the instructor's
notebook minus its solution cells, so every cell *before* the Exercises section is checked to be
identical to the instructor's (which CI runs with nbmake); this file then executes, in a fresh
kernel with ``CI=1``, the chapter's set-up cells and its whole Exercises section as the
student receives it (scaffolds included), which must run without an error.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import nbformat
import pytest

import acgan_lib
from acgan_lib import student_edition as se
from book_pages import NOTEBOOKS, ROOT, all_executed

EXERCISES_HEADING = re.compile(r"^## Exercises", re.M)
STUDENT_REPO = "some-school/gans-2026"  # where an instructor pushes the student edition


def _md(text, tags=()):
    cell = nbformat.v4.new_markdown_cell(text)
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def _code(text, tags=()):
    cell = nbformat.v4.new_code_cell(text)
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def _text(cell) -> str:
    src = cell["source"]
    return src if isinstance(src, str) else "".join(src)


# ------------------------------------------------------------------------------ stripping
def test_strip_markdown_removes_solution_blocks_and_keeps_the_rest():
    text = """Intro.

```{exercise} A question
:label: ex-a

Why?
```

````{solution} ex-a
:class: dropdown

Because:

```python
secret_answer = 42
```
````

:::{solution} ex-a
colon-fenced SECRET
:::

After.
"""
    out, gated, removed = se.strip_markdown(text)
    assert removed == 2 and not gated
    assert "secret_answer" not in out and "SECRET" not in out and "Because" not in out
    assert "```{exercise} A question" in out and "Why?" in out and "After." in out


def test_strip_notebook_removes_tagged_and_gated_solutions():
    nb = nbformat.v4.new_notebook(cells=[
        _md("# Chapter"),
        _code("x = 1"),
        _md("## Exercises\n\n```{exercise}\n:label: ex-1\n\nWrite f.\n```"),
        _code("def f():\n    raise NotImplementedError", tags=["exercise-scaffold"]),
        _md("```{solution-start} ex-1\n:class: dropdown\n```"),
        _code("def f():\n    return 'GATED_ANSWER'"),  # untagged, but inside the gate
        _md("Explanation of GATED_EXPLANATION"),
        _code("f_check = 'TAGGED_ANSWER'", tags=["solution"]),
        _md("```{solution-end}\n```\nText after the solution."),
        _md("A tagged prose answer, TAGGED_PROSE", tags=["solution"]),
    ])
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="out")]
    student = se.strip_notebook(nb)
    text = json.dumps(student)
    for secret in ("GATED_ANSWER", "GATED_EXPLANATION", "TAGGED_ANSWER", "TAGGED_PROSE",
                   "solution-start", "solution-end"):
        assert secret not in text
    assert "raise NotImplementedError" in text and "Text after the solution." in text
    assert student.cells[1].outputs == []  # outputs cleared for students
    assert se.solution_markers(student) == []
    assert len(se.solution_markers(nb)) >= 3
    kept = se.strip_notebook(nb, clear_outputs=False)
    assert kept.cells[1].outputs  # the book's copy keeps outputs (for execute_notebooks: off)


def test_unclosed_gated_solution_is_an_error():
    nb = nbformat.v4.new_notebook(cells=[_md("```{solution-start} ex-1\n```"), _code("1")])
    with pytest.raises(se.StudentEditionError, match="has no {solution-end}"):
        se.strip_notebook(nb)


def test_out_folder_must_not_be_the_repository_or_someone_elses(tmp_path):
    with pytest.raises(se.StudentEditionError, match="would overwrite the course repository"):
        se.build_student_edition(ROOT, root=ROOT, book=False, verbose=False)
    other = tmp_path / "thesis"
    other.mkdir()
    (other / "chapter1.tex").write_text("precious")
    with pytest.raises(se.StudentEditionError, match="not empty"):
        se.build_student_edition(other, root=ROOT, book=False, verbose=False)
    assert (other / "chapter1.tex").read_text() == "precious"


# ------------------------------------------------------------------------------ the real notebooks
@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    out = tmp_path_factory.mktemp("edition") / "student_edition"
    se.build_student_edition(out, root=ROOT, book=False, verbose=False,
                             repository=f"https://github.com/{STUDENT_REPO}")
    return out


def _exercise_start(nb) -> int:
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "markdown" and EXERCISES_HEADING.search(_text(cell)):
            return i
    raise AssertionError("no '## Exercises' section")


def _solution_lines(nb) -> set[str]:
    """Distinctive lines of the solution cells: not trivial, and found in no other cell."""
    student = se.strip_notebook(nb)
    kept = "\n".join(_text(c) for c in student["cells"])
    removed = [c for c in nb["cells"] if c not in student["cells"]]
    lines = set()
    for cell in removed:
        for line in _text(cell).splitlines():
            line = line.strip()
            if len(line) >= 12 and not line.startswith(("```", ":", "#", "from ", "import "))\
                    and line not in kept:
                lines.add(line)
    return lines


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_student_notebook_has_no_solution(path, edition):
    original = json.loads(path.read_text())
    student = json.loads((edition / "notebooks" / path.name).read_text())
    assert se.solution_markers(student) == []
    raw = json.dumps(student)
    for line in _solution_lines(original):
        assert json.dumps(line)[1:-1] not in raw, f"solution code left in {path.name}: {line}"
    # Nothing else changed: the chapter up to its exercises is the instructor's, cell by cell
    # (CI executes those with nbmake), exercises and scaffolds are kept, outputs are cleared.
    start = _exercise_start(original)
    assert _exercise_start(student) == start
    # the badges open the instructor's repository at its main, the course's at its release tag
    course = acgan_lib.REPOSITORY_URL.removeprefix("https://github.com/")
    badge = (f"{STUDENT_REPO}/blob/main/", f"{course}/blob/{acgan_lib.RELEASE_TAG}/")
    assert [_text(c).replace(*badge) for c in student["cells"][:start]] == \
        [_text(c) for c in original["cells"][:start]]
    for kind in ("{exercise}", "exercise-scaffold"):
        assert raw.count(kind) == json.dumps(original).count(kind)
    assert all(not c.get("outputs") for c in student["cells"] if c["cell_type"] == "code")
    badges = re.findall(r"colab\.research\.google\.com/github/([\w.-]+/[\w.-]+)/", raw)
    assert badges and set(badges) == {STUDENT_REPO}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_student_notebook_runs_up_to_and_through_its_exercises(path, edition):
    """Set-up cells + the Exercises section (scaffolds unsolved) run in a kernel with CI=1."""
    from nbclient import NotebookClient

    student = nbformat.read(edition / "notebooks" / path.name, as_version=4)
    first_section = next(i for i, c in enumerate(student.cells)
                         if c.cell_type == "markdown" and _text(c).startswith("## "))
    start = _exercise_start(student)
    cells = student.cells[:first_section] + student.cells[start:]
    run = nbformat.v4.new_notebook(cells=cells, metadata=student.metadata)
    env = {"CI": "1", "ACGAN_OFFLINE": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        NotebookClient(run, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    for cell in run.cells:
        if "exercise-scaffold" in cell.metadata.get("tags", []):
            out = "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stdout")
            if "check_" in _text(cell):
                assert "not there yet" in out, \
                    f"{path.name}: an unsolved scaffold must not pass its check:\n{out}"


# ------------------------------------------------------------------------------ the book
def _visible_text(page: str) -> str:
    import html

    return html.unescape(re.sub(r"<[^>]+>", "", page))


@pytest.mark.slow
def test_student_book_builds_with_W_and_hides_every_solution(tmp_path):
    """The student edition's book builds with ``-W -n --keep-going`` and shows no solution.

    Same execution policy as ``tests/test_book.py``: reuse the outputs that CI's nbmake run
    wrote into the notebooks, or execute them (``force``) when they have none.
    """
    out = tmp_path / "student_edition"
    execute = "off" if all_executed() else "force"
    summary = se.build_student_edition(out, root=ROOT, book=True, execute=execute,
                                       strict=True, verbose=False)
    html_dir = out / "book"
    assert Path(summary["book"]).is_file()
    for path in NOTEBOOKS:
        original = json.loads(path.read_text())
        page = (html_dir / "notebooks" / f"{path.stem}.html").read_text()
        labels = re.findall(r"^:label:\s*(\S+)", "\n".join(
            _text(c) for c in original["cells"] if c["cell_type"] == "markdown"), re.M)
        exercises = [lab for lab in labels if lab.startswith("ex-")]
        for label in exercises:
            assert f'id="{label}"' in page, f"{path.name}: exercise {label} is not shown"
        assert 'class="solution' not in page, f"{path.name}: a solution is rendered"
        visible = _visible_text(page)
        for line in _solution_lines(original):
            assert line not in visible, f"{path.name}: solution text in the book: {line}"
    index = (html_dir / "index.html").read_text()
    redirect = re.search(r'url=([^"]+)"', index)  # Jupyter Book's index.html only redirects
    if redirect:
        index = (html_dir / redirect.group(1)).read_text()
    assert "(student edition)" in index


# ------------------------------------------------------------------------------ the exercises
EXERCISE_LABEL = re.compile(r"^`{3,}\{exercise\}[^\n]*\n:label:\s*(\S+)", re.M)
SOLUTION_FOR = re.compile(r"^`{3,}\{solution(?:-start)?\}\s+(\S+)", re.M)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_chapter_has_two_to_four_exercises_with_solutions(path):
    nb = json.loads(path.read_text())
    chapter = int(path.name[:2])
    markdown = "\n".join(_text(c) for c in nb["cells"] if c["cell_type"] == "markdown")
    labels = EXERCISE_LABEL.findall(markdown)
    assert 2 <= len(labels) <= 4, f"{path.name}: {len(labels)} exercises"
    # a chapter in two parts (04_, 04b_) numbers its exercises on across them
    first = 1 + sum(len(EXERCISE_LABEL.findall("\n".join(
        _text(c) for c in json.loads(p.read_text())["cells"] if c["cell_type"] == "markdown")))
        for p in NOTEBOOKS if p.name[:2] == path.name[:2] and p.name < path.name)
    assert labels == [f"ex-ch{chapter}-{i}" for i in range(first, first + len(labels))], labels
    assert sorted(SOLUTION_FOR.findall(markdown)) == sorted(labels), \
        f"{path.name}: every exercise needs exactly one solution"
    # at least one code exercise: a scaffold that calls a checker, and a solution cell that
    # passes it (nbmake runs the chapter, so a failing reference solution fails CI)
    scaffolds = [c for c in nb["cells"] if "exercise-scaffold" in c["metadata"].get("tags", [])]
    solutions = [c for c in nb["cells"] if "solution" in c["metadata"].get("tags", [])]
    assert any("check_" in _text(c) and "NotImplementedError" in _text(c) for c in scaffolds)
    assert any(re.search(r"^assert check_\w+\(", _text(c), re.M) for c in solutions)
    # everything is in the Exercises section, after the chapter's own content
    start = _exercise_start(nb)
    assert all(nb["cells"].index(c) > start for c in scaffolds + solutions)


def test_instructors_guide_lists_every_exercise():
    guide = (ROOT / "book" / "instructors.md").read_text()
    for path in NOTEBOOKS:
        nb = json.loads(path.read_text())
        markdown = "\n".join(_text(c) for c in nb["cells"] if c["cell_type"] == "markdown")
        for label in EXERCISE_LABEL.findall(markdown):
            assert re.search(r"\{ref\}`[^`<]*<" + label + ">`", guide), \
                f"{label} is missing from the guide's table"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_directive_fences_parse(path):
    """A backtick fence's first line may not contain a backtick (CommonMark): such a
    ```{exercise} with `code` in its title is not a directive at all, and the exercise silently
    disappears from the book. Use a colon fence (:::{exercise}) for titles with code."""
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        for line in _text(cell).splitlines():
            match = re.match(r"^ {0,3}(`{3,})(.*)$", line)
            if match and "{" in match.group(2):
                assert "`" not in match.group(2), f"{path.name}: {line}"
