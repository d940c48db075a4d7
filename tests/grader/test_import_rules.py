"""The grader's four packages and the rules between them, read from every module's imports.

- the sandbox imports nothing from the grading, the course or the classroom;
- the course imports nothing from the grading, the sandbox or the classroom;
- the grading imports nothing from the classroom;
- no module imports a private name (``_x``) of another package.

Imports are read with ``ast`` (relative ones resolved), so a rule holds for imports inside
functions too.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

AUTOGRADER = Path(__file__).resolve().parents[2] / "autograder"
PACKAGES = ("sandbox", "grading", "course", "classroom")
FORBIDDEN = {
    "sandbox": {"grading", "course", "classroom"},
    "course": {"grading", "sandbox", "classroom"},
    "grading": {"classroom"},
    "classroom": set(),
}


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, root: Path) -> list[tuple[str, str, int]]:
    """(module, imported name or "", line) for every import of ``autograder`` in ``path``."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found += [(module, alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(alias.name, "", node.lineno) for alias in node.names]
    return [entry for entry in found if entry[0].split(".")[0] == "autograder"]


def room(module: str) -> str | None:
    """The package of ``autograder.<package>...``, None for the top level."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in PACKAGES else None


def violations(root: Path = AUTOGRADER) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        here = room(module_name(path, root))
        for module, name, line in imports(path, root):
            target = module + "." + name if name and room(module) is None else module
            there = room(target)
            where = f"{path.relative_to(root.parent)}:{line}"
            if here and there in FORBIDDEN[here]:
                found.append(f"{where}: {here} imports {target} ({there})")
            if there and there != here and name.startswith("_"):
                found.append(f"{where}: imports the private {module}.{name} of {there}")
    return found


def test_every_module_lives_in_one_of_the_four_packages():
    top = sorted(p.name for p in AUTOGRADER.glob("*.py"))
    assert top == ["__init__.py", "__main__.py"], top
    assert sorted(p.name for p in AUTOGRADER.iterdir() if p.is_dir()
                  and p.name != "__pycache__") == sorted(PACKAGES)


MAX_MODULE_LINES = 400  # each module one job, read top to bottom


def test_no_module_is_above_the_line_limit():
    sizes = {str(p.relative_to(AUTOGRADER)): len(p.read_text().splitlines())
             for p in AUTOGRADER.rglob("*.py")}
    assert len(sizes) > 30
    assert {name: n for name, n in sizes.items() if n > MAX_MODULE_LINES} == {}


def test_the_import_rules_hold():
    assert violations() == []


@pytest.mark.parametrize("where, line, broken", [
    ("sandbox/runner.py", "from ..grading import checks\n", "sandbox imports"),
    ("sandbox/child/harness.py", "    from autograder.course import load\n", "sandbox imports"),
    ("grading/report.py", "from ..classroom import gradebook\n", "grading imports"),
    ("course/registry.py", "from ..sandbox import Job\n", "course imports"),
    ("classroom/summary.py", "from ..grading.checks import _private\n", "private"),
])
def test_a_broken_rule_is_found(tmp_path, where, line, broken):
    """Each rule, broken once in a copy of the package, is reported."""
    import shutil
    copy = tmp_path / "autograder"
    shutil.copytree(AUTOGRADER, copy, ignore=shutil.ignore_patterns("__pycache__"))
    path = copy / where
    text = path.read_text(encoding="utf-8")
    if line.startswith("    "):
        line = "def _added():\n" + line
    path.write_text(text + "\n" + line, encoding="utf-8")
    found = violations(copy)
    assert len(found) == 1 and broken in found[0], found
