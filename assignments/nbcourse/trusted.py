"""The grade of a notebook, decided by the sandboxed grader instead of the student's kernel.

nbgrader runs each test cell in the student's kernel and scores it from the cell's
outputs, so anything the notebook did before (replacing ``np.allclose``, the
notebook's helpers, ``builtins``) decides the score.  ``TrustedGrades`` runs after
nbgrader's ``Execute`` and before ``SaveAutoGrades``: it assembles the notebook's code
into an ``nn100`` package, grades that package with ``autograder.grading.grade.grade`` (student
code only in the confined child, the verdict here), and rewrites each autograded test
cell's outputs so that nbgrader's own scoring reads the grader's verdict:

- every check of the cell passed: a plain message, so the cell earns its points;
- some passed: the message and a numeric result, nbgrader's partial credit;
- none passed: an error output carrying the message (and its concept hint).

Whatever the kernel wrote to a test cell that could count (errors, stderr, a result)
is turned into plain text first, so it no longer counts.  Which checks a cell stands
for comes from the course registry (``[notebook_cells.<assignment>]`` in
autograder/course/course.toml); a cell's points are its checks' points, so a unit earns the
same points in a notebook as in the package.
"""
from __future__ import annotations

import ast
import re
import shutil
import symtable
import sys
from pathlib import Path

from nbformat.v4 import new_output

from .feedback import VERDICT, WITHHELD, failing_line

HEADER = "nn100 grader"        # starts every verdict; nbcourse.audit looks for it
KERNEL = "(your kernel) "      # starts what the kernel's errors became
# Imports kept in the assembled package: numpy and the standard library (all the
# sandboxed child can import); matplotlib, gradcheck and the like serve the kernel only.
KEPT_IMPORTS = {"numpy"} | set(sys.stdlib_module_names)
HIDDEN_MARK = "BEGIN HIDDEN TESTS"


# --- which checks each test cell stands for -------------------------------------------

def cell_checks(cells: dict, checks: list) -> dict:
    """{cell id: [check, ...]} for one notebook's ``cells`` (id -> selectors) among
    ``checks`` (objects with ``.name``, "Unit: description").  A "Unit: start"
    selector takes the unit's checks whose name starts so; a bare "Unit" the rest."""
    claimed, rest = {}, {}
    for cell, selectors in cells.items():
        claimed.setdefault(cell, [])
        for selector in selectors:
            if ":" in selector:
                matched = [c for c in checks if c.name.startswith(selector)]
                if not matched:
                    raise ValueError(f"course.toml [notebook_cells]: {cell}: no check of the "
                                     f"grader starts with {selector!r}")
                claimed[cell] += matched
            else:
                rest[selector] = cell
    taken = {c.name for found in claimed.values() for c in found}
    for check in checks:
        unit = check.name.split(":", 1)[0]
        if unit in rest and check.name not in taken:
            claimed[rest[unit]].append(check)
    return claimed


def notebook_plan(assignment: str, seed: int | None = None):
    """(units, {cell id: [check, ...]}, {unit: points}) of one notebook, from the
    registry and the grader's own plan (the checks and their weights)."""
    from autograder import course
    from autograder.grading import grade
    table = course.load()
    cells = table.notebook_cells.get(assignment)
    if cells is None:
        return None
    units = sorted({course.selector_unit(s) for selectors in cells.values() for s in selectors})
    plans = [p for p in grade.plan(table, grade.DEFAULT_SEED if seed is None else seed)
             if p.unit in units]
    checks = [c for p in plans for c in p.checks]
    return units, cell_checks(cells, checks), table.points()


def cell_points(assignment: str) -> dict:
    """{test cell id: points}: each check's share of its unit's points, summed per cell."""
    found = notebook_plan(assignment)
    if found is None:
        return {}
    units, claimed, points = found
    weights = {}
    for checks in claimed.values():
        for c in checks:
            unit = c.name.split(":", 1)[0]
            weights[unit] = weights.get(unit, 0) + c.weight
    return {cell: round(sum(points[c.name.split(":", 1)[0]] * c.weight
                            / weights[c.name.split(":", 1)[0]] for c in checks), 6)
            for cell, checks in claimed.items()}


# --- the notebook's code as an nn100 package -------------------------------------------

def _is_test_cell(cell) -> bool:
    meta = cell.metadata.get("nbgrader", {})
    return bool(meta.get("grade")) and not meta.get("solution")


def _targets(node) -> list:
    """The names a top-level ``x = ...`` binds, or [] for any other statement."""
    if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if all(isinstance(t, ast.Name) for t in targets):
            return [t.id for t in targets]
    return []


def _definition(node) -> bool:
    """Top-level statements kept whatever else the notebook does: definitions, imports,
    and assignments that compute nothing (``ReLu = ReLU``, ``EPS = 1e-12``)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return True
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return True
    return bool(_targets(node)) and (isinstance(node.value, ast.Lambda) or not any(
        isinstance(n, ast.Call) for n in ast.walk(node.value)))


def _loaded(nodes) -> set:
    """The global names the statements ``nodes`` read, now or when their functions run
    (a function's own locals and parameters are not globals)."""
    found = set()
    for node in nodes:
        tables = [symtable.symtable(ast.unparse(node), "cell", "exec")]
        found |= {s.get_name() for s in tables[0].get_symbols() if s.is_referenced()}
        while tables:
            table = tables.pop()
            children = table.get_children()
            tables += children
            for child in children:
                found |= {s.get_name() for s in child.get_symbols()
                          if s.is_referenced() and s.is_global()}
    return found


def _needed(statements: list) -> set:
    """The ids of the statements to keep: the definitions, and the assignments that
    compute (``EPS = np.finfo(float).eps``) when a kept statement reads what they bind.
    Demonstrations, training runs, plots and prints are left to the kernel: they would
    only cost the grader time."""
    kept = {id(node) for node in statements if _definition(node)}
    wanted = _loaded(node for node in statements if id(node) in kept)
    while True:
        more = [node for node in statements if id(node) not in kept
                and set(_targets(node)) & wanted]
        if not more:
            return kept
        kept |= {id(node) for node in more}
        wanted |= _loaded(more)


def _import(node):
    """The import as the package must spell it, or None to drop it."""
    if isinstance(node, ast.ImportFrom):
        if node.level == 0 and node.module == "toolbox":
            return ast.ImportFrom(module="toolbox", names=node.names, level=1)
        root = (node.module or "").split(".")[0]
        return node if node.level == 0 and root in KEPT_IMPORTS else None
    names = [alias for alias in node.names if alias.name.split(".")[0] in KEPT_IMPORTS]
    if any(alias.name == "toolbox" for alias in node.names):
        return ast.ImportFrom(module=None, names=[ast.alias("toolbox")], level=1)
    return ast.Import(names=names) if names else None


def _python(source: str) -> str:
    """A cell's source as plain Python (IPython magics become calls, dropped later)."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
        return TransformerManager().transform_cell(source)
    except Exception:  # no IPython, or a cell it cannot read: take the text as it is
        return source


def notebook_module(nb) -> tuple[str, list]:
    """The Python module made of the notebook's code cells, in order, test cells left
    out, and the top-level names it defines.  A cell that does not parse defines nothing,
    as in the kernel."""
    cells = []  # (index, source, top-level statements) of each code cell that parses
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or _is_test_cell(cell):
            continue
        source = _python(cell.source)
        try:
            cells.append((index, source, ast.parse(source).body))
        except SyntaxError:
            continue
    needed = _needed([node for _, _, body in cells for node in body])
    parts, names = ["import numpy as np"], []
    for index, source, body in cells:
        lines = source.splitlines()
        kept = []
        for node in body:
            if id(node) not in needed:
                continue
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                node = _import(node)
                if node is None:
                    continue
                # The child imports only what it preloaded: a module it lacks leaves the
                # name undefined (code that uses it fails there), the rest still counts.
                kept.append(f"try:\n    {ast.unparse(node)}\nexcept ImportError:\n    pass")
                names += [(a.asname or a.name).split(".")[0] for a in node.names]
                continue
            first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
            # the marker says where the statement comes from (see ``located``)
            text = f"# cell {index}, line {first}\n" + "\n".join(lines[first - 1:node.end_lineno])
            if not _definition(node):
                # what it calls may not exist apart from the kernel (a plot, a data file):
                # then the name stays undefined and only the code that reads it fails
                text = "try:\n" + "\n".join("    " + line for line in text.splitlines()) + \
                       "\nexcept Exception:\n    pass"
            kept.append(text)
            names += _targets(node) or [node.name]
        if kept:
            parts.append("\n\n".join(kept))
    return "\n\n\n".join(parts) + "\n", list(dict.fromkeys(names))


MARKER = re.compile(r"^\s*# cell (\d+), line (\d+)$")
PLACE = re.compile(r"nn100/notebook\.py, line (\d+)")


def located(text: str, nb, code: str) -> str:
    """``text`` with each "nn100/notebook.py, line N" (where the child saw an error in
    the assembled module ``code``) told as the student sees it: the cell, by its
    execution count when it ran ("cell In [7]"), and the line in that cell."""
    lines = code.splitlines()

    def place(match):
        line = int(match.group(1))
        for above in range(min(line, len(lines)) - 1, -1, -1):
            found = MARKER.match(lines[above])
            if found:
                index, first = int(found.group(1)), int(found.group(2))
                count = nb.cells[index].get("execution_count") if index < len(nb.cells) else None
                cell = f"cell In [{count}]" if count else f"code cell {index + 1}"
                return f"{cell}, line {first + line - above - 2}"
        return match.group(0)

    return PLACE.sub(place, text)


def contract_names(package: Path) -> list:
    """The names ``nn100/__init__.py`` exports (its ``__all__``)."""
    tree = ast.parse((package / "__init__.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "__all__"
                                                for t in node.targets):
            return list(ast.literal_eval(node.value))
    raise ValueError(f"contract_names: {package}/__init__.py has no __all__")


def assemble(nb, stubs: Path, out: Path, toolbox: Path | None = None) -> Path:
    """Write ``out/nn100``: the stub package ``stubs`` (every name of the contract, given
    code as released), the notebook's code as ``nn100/notebook.py`` (and the given
    ``toolbox.py`` it imports), and an ``__init__`` that exports the notebook's
    definitions of the contract's names in place of the stubs.  Returns ``out``."""
    package = out / "nn100"
    shutil.copytree(stubs, package, ignore=shutil.ignore_patterns("__pycache__"))
    if toolbox is not None and toolbox.is_file():
        shutil.copy(toolbox, package / "toolbox.py")
    code, names = notebook_module(nb)
    (package / "notebook.py").write_text(code)
    exported = [name for name in contract_names(package) if name in names]
    if exported:
        with open(package / "__init__.py", "a") as init:
            init.write("\n# The notebook's own definitions replace the stubs.\n"
                       f"from .notebook import {', '.join(exported)}  # noqa: E402,F401\n")
    return out


# --- the verdict, written where nbgrader reads it ---------------------------------------

def _kernel_outputs_as_text(cell) -> list:
    """The kernel's outputs of a test cell, with nothing left that nbgrader would score:
    errors and stderr become stdout text (an error in the hidden part is withheld, as
    feedback would withhold it), a result becomes text, figures stay."""
    hidden_from = next((n for n, line in enumerate(cell.source.splitlines(), 1)
                        if HIDDEN_MARK in line), None)
    kept = []
    for output in cell.get("outputs", []):
        kind = output.output_type
        if kind == "error":
            line = failing_line(output.get("traceback", []))
            message = output.get("evalue", "")
            if hidden_from is not None and (line is None or line >= hidden_from) \
                    and output.ename != "CellTimeoutError":
                message = WITHHELD
            kept.append(new_output("stream", name="stdout",
                                   text=f"{KERNEL}{output.ename}: {message}\n"))
        elif kind == "stream" and output.name == "stderr":
            kept.append(new_output("stream", name="stdout", text=output.text))
        elif kind == "execute_result":
            text = output.get("data", {}).get("text/plain", "")
            kept.append(new_output("stream", name="stdout", text=f"{text}\n"))
        else:
            kept.append(output)
    return kept


def verdict_outputs(outcomes: list, cell_points: float, show_details=lambda o: True) -> list:
    """The outputs that make nbgrader score a cell as the grader did: the cell's
    ``cell_points`` shared as the grader shares them among the cell's checks."""
    possible = sum(o.max_points for o in outcomes)
    scale = cell_points / possible if possible else 0.0
    earned = min(cell_points, sum(o.points for o in outcomes) * scale)
    failed = [o for o in outcomes if not o.passed]
    lines = [f"{HEADER}: {len(outcomes) - len(failed)} of {len(outcomes)} checks passed, "
             f"{earned:.2f} / {cell_points:.2f} points"]
    for o in failed:
        lines.append(f"- {o.check.name} ({o.max_points * scale:.2f} points)")
        if show_details(o):
            lines += [f"    {line}" for line in o.text.splitlines()]
    text = "\n".join(lines)
    if not failed:
        return [new_output("stream", name="stdout", text=text + "\n")]
    if earned <= 0:
        return [new_output("error", ename=VERDICT, evalue=text, traceback=text.splitlines())]
    return [new_output("stream", name="stdout", text=text + "\n"),
            new_output("execute_result", data={"text/plain": f"{earned:.6f}"},
                       execution_count=None)]


def failure_outputs(message: str) -> list:
    return [new_output("error", ename=VERDICT, evalue=f"{HEADER}: {message}",
                       traceback=[f"{HEADER}: {message}"])]
