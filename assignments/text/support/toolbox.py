"""The units of the earlier assignments, as you wrote them in your own notebooks.

This assignment builds on the classes and functions of the ones before it. This file
(given code: do not edit) opens each earlier notebook where it was handed out, next to
this assignment's folder (``../backprop/backprop.ipynb`` and so on), runs the
definitions of its code cells (classes, functions, imports and the constants they use;
not its test cells, demonstrations or plots) and offers them here: ``from toolbox import
Linear`` gives the Linear you wrote. Change a unit in its own notebook, save it, and
restart this notebook's kernel to use the new version.

When this notebook is graded, the course puts its own copy of the earlier units in place
of this file: a mistake in an earlier unit costs points in the assignment that taught
it, never here.
"""
# Every name of its own starts with an underscore: the notebooks' names are the module's.
import ast as _ast
import json as _json
import linecache as _linecache
from pathlib import Path as _Path

# Written by nbcourse.build: the earlier assignments, in teaching order, and the names
# this assignment takes from them.
_EARLIER = []
_NAMES = []
_HERE = _Path(__file__).resolve().parent


def _notebook_path(assignment: str) -> _Path:
    return _HERE.parent / assignment / f"{assignment}.ipynb"


def _is_test_cell(cell: dict) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("grade")) and not meta.get("solution")


def _python_source(source: str) -> str:
    """A cell as plain Python: IPython's magics (``%matplotlib``) become calls."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
        return TransformerManager().transform_cell(source)
    except Exception:  # no IPython: the cell as it is
        return source


def _assigned_names(node) -> list:
    """The names a top-level ``x = ...`` binds, or [] for any other statement."""
    if isinstance(node, (_ast.Assign, _ast.AnnAssign)) and node.value is not None:
        targets = node.targets if isinstance(node, _ast.Assign) else [node.target]
        if all(isinstance(target, _ast.Name) for target in targets):
            return [target.id for target in targets]
    return []


def _is_definition(node) -> bool:
    """Classes, functions, imports (but not of an earlier toolbox: its names are here
    already) and constants that call nothing (``EPS = 1e-12``)."""
    if isinstance(node, (_ast.FunctionDef, _ast.AsyncFunctionDef, _ast.ClassDef)):
        return True
    if isinstance(node, _ast.ImportFrom):
        return node.module != "toolbox"
    if isinstance(node, _ast.Import):
        return all(alias.name != "toolbox" for alias in node.names)
    return bool(_assigned_names(node)) and not any(
        isinstance(part, _ast.Call) for part in _ast.walk(node.value))


def _read_names(nodes) -> set:
    return {part.id for node in nodes for part in _ast.walk(node)
            if isinstance(part, _ast.Name) and isinstance(part.ctx, _ast.Load)}


def _kept_statements(statements: list) -> list:
    """The definitions, and the computed constants they read (``EPS =
    np.finfo(float).eps``); demonstrations and training runs are left out."""
    kept = [node for node in statements if _is_definition(node)]
    wanted = _read_names(kept)
    while True:
        more = [node for node in statements if node not in kept
                and set(_assigned_names(node)) & wanted]
        if not more:
            return [node for node in statements if node in kept]
        kept += more
        wanted |= _read_names(more)


def _load(assignment: str, namespace: dict) -> None:
    """Run the definitions of ``assignment``'s notebook in ``namespace``."""
    path = _notebook_path(assignment)
    if not path.is_file():
        raise ImportError(f"toolbox: this assignment uses the units you wrote in "
                          f"{assignment}, but {path} is not there: keep the assignments' "
                          "folders side by side, as they were handed out")
    cells = _json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    for number, cell in enumerate(cells, 1):
        if cell.get("cell_type") != "code" or _is_test_cell(cell):
            continue
        source = _python_source("".join(cell.get("source", [])))
        where = f"{path.name}, cell {number}"
        try:
            statements = _ast.parse(source, where).body
        except SyntaxError as error:
            print(f"toolbox: skipped {where}, which does not run: {error}")
            continue
        kept = _kept_statements(statements)
        if not kept:
            continue
        # tracebacks show the notebook's lines
        _linecache.cache[where] = (len(source), None, source.splitlines(True), where)
        for node in kept:
            try:
                exec(compile(_ast.Module([node], []), where, "exec"), namespace)
            except Exception:
                if _is_definition(node):
                    raise
                # a computed constant that fails apart from its notebook (it plots, it
                # reads a file) stays undefined; only the code that reads it fails


def __getattr__(name: str):
    if name in _NAMES:  # in the course's copy, but not in the student's notebooks
        raise ImportError(f"toolbox: {name} is not defined in your notebooks "
                          f"{', '.join(_notebook_path(a).name for a in _EARLIER)}, which "
                          "define it as handed out: was its cell deleted or renamed?")
    raise AttributeError(f"module 'toolbox' has no attribute {name!r}")


def _load_all() -> dict:
    """The definitions of every earlier notebook, run in order in one namespace of
    their own (so that a notebook's names never replace this loader's)."""
    namespace = {"__name__": __name__}
    for assignment in _EARLIER:
        _load(assignment, namespace)
    return {name: value for name, value in namespace.items() if not name.startswith("_")}


globals().update(_load_all())
