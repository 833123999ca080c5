"""The package's structure: every module documented once, and no import cycle."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import acgan_lib

PACKAGE = Path(acgan_lib.__file__).parent
ROOT = PACKAGE.parent
MODULES = sorted(p.stem for p in PACKAGE.glob("*.py") if not p.stem.startswith("__"))


def _top_level_imports(path: Path) -> set[str]:
    """The acgan_lib modules a module imports when it is imported (not inside functions)."""
    found = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("acgan_lib"):
            if node.module == "acgan_lib":
                found.update(a.name for a in node.names if a.name in MODULES)
            else:
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names
                         if a.name.startswith("acgan_lib."))
    return found


def test_every_module_has_one_line_in_the_package_docstring_and_the_developer_page():
    listed = re.findall(r"^\* ``(\w+)``: ", acgan_lib.__doc__, flags=re.M)
    assert len(listed) == len(set(listed)), "a module is listed twice in acgan_lib's docstring"
    assert sorted(listed) == MODULES, (
        f"acgan_lib/__init__.py's docstring should list {sorted(set(MODULES) - set(listed))} "
        f"and not {sorted(set(listed) - set(MODULES))}: one line per module")
    layout = next(line for line in (ROOT / "CONTRIBUTING.md").read_text().splitlines()
                  if line.startswith("| `acgan_lib/` |"))
    missing = sorted(set(MODULES) - set(re.findall(r"`(\w+)`", layout)))
    assert not missing, f"name {missing} in CONTRIBUTING.md's layout row for acgan_lib/"


def test_the_readme_is_a_two_minute_read_and_links_the_developer_page():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 125, "move developer detail to CONTRIBUTING.md"
    assert "(CONTRIBUTING.md)" in readme


def test_the_import_graph_has_no_cycle():
    graph = {m: _top_level_imports(PACKAGE / f"{m}.py") - {m} for m in MODULES}
    state: dict[str, int] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                raise AssertionError("import cycle: " + " -> ".join(path + [module, target]))
            if target not in state:
                visit(target, path + [module])
        state[module] = 2

    for module in MODULES:
        if module not in state:
            visit(module, [])


def test_package_data_stays_under_25_mb():
    """Checkpoints, results, grids and animations ship inside the package that Colab
    installs, so they are kept small (the study ships results, not checkpoints)."""
    data = [p for p in PACKAGE.rglob("*") if p.is_file() and p.suffix not in (".py", ".pyc")
            and "__pycache__" not in p.parts]
    total = sum(p.stat().st_size for p in data)
    biggest = sorted(data, key=lambda p: p.stat().st_size)[-3:]
    assert total < 25e6, (total, [(p.name, p.stat().st_size) for p in biggest])
