"""The package's structure: every module documented once, no import cycle (counting the
imports inside functions), lazy imports only where they are needed, and every third-party
import a declared dependency."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
from pathlib import Path

import pytest

import acgan_lib

PACKAGE = Path(acgan_lib.__file__).parent
ROOT = PACKAGE.parent
#: Top-level modules and subpackages (a folder with an ``__init__.py``; the data folders
#: ``pretrained/`` and ``results/`` have none).
MODULES = sorted([p.stem for p in PACKAGE.glob("*.py") if not p.stem.startswith("__")]
                 + [p.parent.name for p in PACKAGE.glob("*/__init__.py")])
#: Imports of acgan_lib modules inside functions, each with the reason it cannot be at the
#: top. Anything else is hoisted, so that the import graph the cycle test reads is the real one.
LAZY = {
    # The Keras 2 subprocess imports the experiment and must not import Keras 3.
    ("freezing", "catalogue"): "Keras 2 subprocess",
    # Names that moved out of training in 0.3 resolve on first use (module __getattr__).
    ("training", None): "moved names",
}


def _files(module: str) -> list[Path]:
    folder = PACKAGE / module
    return sorted(folder.rglob("*.py")) if folder.is_dir() else [PACKAGE / f"{module}.py"]


def _imports(path: Path, tree: ast.Module | None = None) -> list[tuple[str, bool, ast.stmt]]:
    """``(name, at_top, node)`` for every import in ``path`` (``tree``: its parsed source),
    inside functions too: ``name`` is the module, then each ``module.name`` it imports."""
    tree = tree or ast.parse(path.read_text())
    top = {id(n) for n in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{a.name}" for a in node.names]
            found += [(n, id(node) in top, node) for n in [node.module, *names]]
        elif isinstance(node, ast.Import):
            found += [(a.name, id(node) in top, node) for a in node.names]
    return found


def _package_targets(module: str) -> dict[str, bool]:
    """The acgan_lib modules ``module`` imports -> whether only inside functions."""
    targets: dict[str, bool] = {}
    for path in _files(module):
        for name, at_top, _ in _imports(path):
            parts = name.split(".")
            if parts[0] == "acgan_lib" and len(parts) > 1 and parts[1] in MODULES \
                    and parts[1] != module:
                targets[parts[1]] = targets.get(parts[1], True) and not at_top
    return targets


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
    assert len(readme.splitlines()) <= 120, "move developer detail to CONTRIBUTING.md"
    assert "(CONTRIBUTING.md)" in readme


def test_the_import_graph_has_no_cycle():
    """Imports inside functions count too: a cycle through one is a cycle."""
    graph = {m: set(_package_targets(m)) for m in MODULES}
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


def test_acgan_lib_modules_are_imported_at_the_top_unless_there_is_a_reason():
    lazy = []
    for module in MODULES:
        for path in _files(module):
            for name, at_top, node in _imports(path):
                parts = name.split(".")
                if at_top or parts[0] != "acgan_lib" or len(parts) < 2 or parts[1] not in MODULES:
                    continue
                if (module, parts[1]) in LAZY or (module, None) in LAZY or parts[1] == module:
                    continue
                lazy.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {name}")
    assert not lazy, ("hoist these imports to the top of their module (or say in LAZY why "
                      "they cannot be): " + "; ".join(sorted(set(lazy))))


def _declared() -> tuple[set[str], set[str]]:
    """The normalised names of the base dependencies and of every extra's."""
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    name = lambda req: re.split(r"[\s<>=!~;\[]", req, maxsplit=1)[0].lower().replace("_", "-")
    base = {name(r) for r in project["dependencies"]}
    extras = {name(r) for reqs in project.get("optional-dependencies", {}).values()
              for r in reqs}
    return base, extras


def _optional(tree: ast.Module) -> set[int]:
    """The ids of imports inside a ``try`` that handles ImportError (optional packages)."""
    guarded = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and any(
                isinstance(h.type, ast.Name) and h.type.id in ("ImportError",
                                                               "ModuleNotFoundError")
                for h in node.handlers):
            guarded |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return guarded


def test_every_third_party_import_is_a_declared_dependency():
    base, extras = _declared()
    distributions = importlib.metadata.packages_distributions()
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text())
        optional = _optional(tree)
        for name, _, node in _imports(path, tree):
            top = name.split(".")[0]
            if top in sys.stdlib_module_names or top == "acgan_lib" or "." in name and \
                    isinstance(node, ast.ImportFrom) and name != node.module:
                continue
            dists = {d.lower().replace("_", "-") for d in distributions.get(top, [top])}
            allowed = base | (extras if id(node) in optional else set())
            if not dists & allowed:
                where = "an extra" if id(node) in optional else "[project] dependencies"
                problems.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {top} "
                                f"(from {sorted(dists)}): declare it in {where}")
    assert not problems, "; ".join(sorted(set(problems)))
