"""Build the nbgrader source notebooks from their text sources.

    python -m nbcourse.build [--solutions ../solutions/nn100] [--data ../data] [--out source]

Each assignment is a jupytext percent file, ``text/<name>.py``.  A code cell may
start with one directive line that gives it its nbgrader role:

    # nbgrader: solution <id>             the student's cell (solution regions get stubbed)
    # nbgrader: tests <id> points=<n>     an autograded test cell, locked
    # nbgrader: given <id>                code the student reads but may not change, locked

and may contain ``# include: <module>.<Name>`` lines, each replaced by the source
of that class or function in ``solutions/nn100/<module>.py``, solution markers and
all.  That is how the notebooks stay in step with the reference: the code is pasted
from it at build time, never retyped.

Next to ``<name>.ipynb`` the build writes the assignment's supporting files:
``gradcheck.py`` (text/support/gradcheck.py, its includes expanded the same way),
``toolbox.py`` (every unit the earlier assignments included, solution markers removed,
so that later assignments can use them; the grader's copy, never handed out) and any data
files the assignment needs.

``--student-toolboxes release`` then writes the students' ``toolbox.py`` into each release
folder in place of the grader's copy that ``nbgrader generate_assignment`` put there
(``make notebooks`` runs both): ``text/support/toolbox.py``, which offers the same names
taken from the student's own earlier notebooks, so no assignment hands out the answers
of an earlier one.

Which notebooks there are, their order and data files, and which units each teaches
come from the course table of the repository whose reference is ``--solutions``
(``<repo>/autograder/course/course.toml``: ``[[notebooks]]`` and each unit's ``notebook``);
the build refuses a notebook whose unit includes disagree with it.
"""
import argparse
import ast
import importlib.util
import pprint
import re
import shutil
import sys
from pathlib import Path

import jupytext
import nbformat

HERE = Path(__file__).resolve().parent.parent  # the course directory
SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
HIDDEN_MARKERS = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")


def load_course(solutions: Path):
    """The course table that goes with the reference ``solutions`` (<repo>/solutions/nn100
    -> <repo>/autograder/course/course.toml), read by that repository's own course package
    (autograder/course/, which imports nothing else of the grader), loaded under a name of
    its own so this builder never needs the grader on its path."""
    folder = Path(solutions).resolve().parents[1] / "autograder" / "course"
    if not (folder / "__init__.py").is_file():
        raise ValueError(f"load_course: no course table for {solutions}: expected "
                         f"{folder / 'course.toml'}")
    spec = importlib.util.spec_from_file_location(
        "nbcourse_course", folder / "__init__.py", submodule_search_locations=[str(folder)])
    module = sys.modules[spec.name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.read(folder / "course.toml")


def assignments(table) -> list:
    """(name, data files) of every notebook, in teaching order: the toolbox of each
    assignment holds the units of those before it."""
    return [(notebook.name, list(notebook.data)) for notebook in table.notebooks.values()]

DIRECTIVE = re.compile(r"#\s*nbgrader:\s*(solution|tests|given)\s+([A-Za-z0-9_-]+)\s*"
                       r"(?:points=(\d+(?:\.\d+)?))?\s*$")
INCLUDE = re.compile(r"^#\s*include:\s*(\w+)\.(\w+)\s*$")


def definition_source(solutions: Path, module: str, name: str) -> str:
    """The exact source text of top-level class/function/assignment ``name`` in ``module``."""
    path = solutions / f"{module}.py"
    if not path.exists():
        raise ValueError(f"definition_source: no module {path} for include {module}.{name}")
    text = path.read_text()
    for node in ast.parse(text).body:
        names = [node.name] if isinstance(node, (ast.ClassDef, ast.FunctionDef)) else [
            target.id for target in getattr(node, "targets", []) if isinstance(target, ast.Name)]
        if name in names:
            lines = text.splitlines()
            first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
            last = node.end_lineno
            # ast ends a definition at its last statement; a trailing indented comment
            # (such as the closing ### END SOLUTION) still belongs to it.
            while last < len(lines) and lines[last].strip().startswith("#") and \
                    len(lines[last]) - len(lines[last].lstrip()) > node.col_offset:
                last += 1
            return "\n".join(lines[first - 1:last])
    raise ValueError(f"definition_source: {path} defines no top-level {name!r}")


def strip_solution_markers(source: str) -> str:
    return "\n".join(line for line in source.splitlines()
                     if line.strip() not in SOLUTION_MARKERS)


def expand_includes(source: str, solutions: Path, included: list) -> str:
    """Replace each ``# include: module.Name`` line by that definition; record it in
    ``included``."""
    parts, plain = [], []
    for line in source.splitlines():
        match = INCLUDE.match(line.strip())
        if match:
            if plain:
                parts.append("\n".join(plain).strip("\n"))
                plain = []
            parts.append(definition_source(solutions, *match.groups()))
            included.append(match.groups())
        else:
            plain.append(line)
    if plain:
        parts.append("\n".join(plain).strip("\n"))
    return "\n\n\n".join(part for part in parts if part)


def cell_role(cell) -> tuple:
    """(kind, grade_id, points) from the directive line, or (None, None, None)."""
    first, _, rest = cell.source.partition("\n")
    match = DIRECTIVE.match(first.strip())
    if not match:
        if first.strip().startswith("# nbgrader"):
            raise ValueError(f"cell_role: malformed directive {first.strip()!r}")
        return None, None, None
    cell.source = rest
    kind, grade_id, points = match.groups()
    if kind != "tests" and points is not None:
        raise ValueError(f"cell_role: {grade_id}: points= belongs on test cells and only there")
    return kind, grade_id, float(points) if points else None


def nbgrader_metadata(kind: str, grade_id: str, points) -> dict:
    meta = {"grade": kind == "tests", "grade_id": grade_id, "locked": kind != "solution",
            "schema_version": 3, "solution": kind == "solution"}
    if kind == "tests":
        meta["points"] = points
    return meta


def check_test_cell(grade_id: str, source: str) -> None:
    """A test cell must not end in an expression: nbgrader would read its value as a
    partial score.  Its hidden region must be closed."""
    tree = ast.parse(source)
    last = tree.body[-1] if tree.body else None
    if isinstance(last, ast.Expr) and not (isinstance(last.value, ast.Call)
                                           and getattr(last.value.func, "id", "") == "print"):
        raise ValueError(f"check_test_cell: {grade_id} ends in an expression; nbgrader "
                         "would take its value as the score")
    if source.count(HIDDEN_MARKERS[0]) != source.count(HIDDEN_MARKERS[1]):
        raise ValueError(f"check_test_cell: {grade_id}: unbalanced hidden-test markers")


def build_notebook(text: Path, solutions: Path) -> tuple:
    """The nbgrader source notebook of one text file, and the (module, name) it included."""
    nb = jupytext.read(text, fmt="py:percent")
    registry = registry_points(text.stem, solutions)
    included, seen_ids, previous_kind = [], set(), None
    for cell in nb.cells:
        cell.metadata.pop("lines_to_next_cell", None)
        if cell.cell_type != "code":
            continue
        kind, grade_id, points = cell_role(cell)
        cell.source = expand_includes(cell.source, solutions, included)
        if kind is None:
            continue
        if grade_id in seen_ids:
            raise ValueError(f"build_notebook: {text.name}: grade id {grade_id!r} used twice")
        seen_ids.add(grade_id)
        if cell.source.count(SOLUTION_MARKERS[0]) != cell.source.count(SOLUTION_MARKERS[1]):
            raise ValueError(f"build_notebook: {text.name}: cell {grade_id}: unbalanced "
                             "solution markers")
        if kind == "solution" and SOLUTION_MARKERS[0] not in cell.source:
            raise ValueError(f"build_notebook: {text.name}: solution cell {grade_id} has no "
                             "solution region")
        if kind == "tests":
            check_test_cell(grade_id, cell.source)
            points = test_cell_points(text.name, grade_id, points, registry)
            # nbgrader re-inserts a deleted test cell after the nbgrader cell before it,
            # and fails when that one is a locked given cell (not tracked as solution/grade).
            if previous_kind == "given":
                raise ValueError(f"build_notebook: {text.name}: test cell {grade_id} must follow "
                                 "a solution or test cell, not a given one")
        cell.metadata["nbgrader"] = nbgrader_metadata(kind, grade_id, points)
        previous_kind = kind
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    missing = sorted(set(registry or {}) - seen_ids)
    if missing:
        raise ValueError(f"build_notebook: course.toml [notebook_cells.{text.stem}] names test "
                         f"cells {missing} that {text.name} does not have")
    nbformat.validate(nb)
    return nb, included


def check_units(name: str, included: list, table) -> None:
    """The units ``name`` includes are the ones the course table says it teaches."""
    units = table.units
    pasted = {definition for module, definition in included if definition in units}
    expected = set(table.notebooks[name].units)
    for module, definition in included:
        unit = units.get(definition)
        if unit and unit.module and unit.module != f"{module}.py":
            raise ValueError(f"check_units: {name}.py includes {module}.{definition}, but "
                             f"course.toml puts {definition} in {unit.module}")
    if pasted != expected:
        extra = ", ".join(f"{u} (course.toml: notebook {units[u].notebook or 'none'!r})"
                          for u in sorted(pasted - expected))
        missing = ", ".join(sorted(expected - pasted))
        raise ValueError(f"check_units: {name}.py and course.toml disagree: "
                         + "; ".join(part for part in [
                             extra and f"it includes {extra}",
                             missing and f"course.toml says it teaches {missing}, which it "
                                         "does not include"] if part))


def registry_points(assignment: str, solutions: Path):
    """{test cell id: points} from the course registry (the grader decides those cells),
    or None for a notebook the registry does not map (its cells carry points=)."""
    repo = str(Path(solutions).resolve().parents[1])  # solutions/nn100 -> the repository
    if repo not in sys.path:
        sys.path.insert(0, repo)
    from nbcourse import trusted
    return trusted.cell_points(assignment) or None


def test_cell_points(name: str, grade_id: str, points, registry):
    if registry is None:
        if points is None:
            raise ValueError(f"build_notebook: {name}: test cell {grade_id} needs points=")
        return points
    if points is not None:
        raise ValueError(f"build_notebook: {name}: test cell {grade_id}: its points come "
                         "from course.toml [notebook_cells], drop points=")
    if grade_id not in registry:
        raise ValueError(f"build_notebook: {name}: test cell {grade_id} is not in course.toml "
                         "[notebook_cells]: say which checks it stands for")
    return registry[grade_id]


def toolbox_source(solutions: Path, included: list) -> str:
    header = ('"""Units built in earlier assignments, as the reference solution writes them.\n\n'
              "Generated from solutions/nn100 by nbcourse.build: do not edit (the autograder\n"
              'replaces this file with its own copy anyway)."""\n'
              "import numpy as np\n")
    seen = list(dict.fromkeys(included))
    bodies = [strip_solution_markers(definition_source(solutions, m, n)) for m, n in seen]
    return header + "\n\n" + "\n\n\n".join(bodies) + "\n"


def defined_names(source: str) -> list:
    """The top-level classes, functions and assigned names of a module's source."""
    names = []
    for node in ast.parse(source).body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            names.append(node.name)
        names += [t.id for t in getattr(node, "targets", []) if isinstance(t, ast.Name)]
    return names


def student_toolbox(earlier: list, names: list, texts: Path = HERE / "text") -> str:
    """The students' toolbox.py: the loader of text/support/toolbox.py, told which
    earlier notebooks to read and which names the grader's copy offers."""
    text = (texts / "support" / "toolbox.py").read_text()
    for variable, value in (("_EARLIER", earlier), ("_NAMES", names)):
        line = f"{variable} = []"
        if text.count(line) != 1:
            raise ValueError(f"student_toolbox: text/support/toolbox.py must have one line "
                             f"starting {line!r}")
        listed = pprint.pformat(list(value), width=88 - len(variable) - 3, compact=True)
        text = text.replace(line, f"{variable} = " + listed.replace(
            "\n ", "\n" + " " * (len(variable) + 4)))
    return text


def write_student_toolboxes(source: Path, release: Path, table,
                            texts: Path = HERE / "text") -> list:
    """Replace each release folder's toolbox.py (nbgrader copied the grader's from
    ``source``) by the students' loader; returns the files written."""
    written, earlier = [], []
    for name, _ in assignments(table):
        grader_copy, folder = source / name / "toolbox.py", release / name
        if grader_copy.is_file() and folder.is_dir():
            names = [n for n in defined_names(grader_copy.read_text()) if n != "np"]
            (folder / "toolbox.py").write_text(student_toolbox(earlier, names, texts))
            written.append(folder / "toolbox.py")
        earlier.append(name)
    return written


def build(solutions: Path, data: Path, out: Path, texts: Path = HERE / "text",
          only=None) -> list:
    """Build every assignment (or those named in ``only``) into ``out/<name>/``;
    returns the notebook paths."""
    built, earlier = [], []
    table = load_course(solutions)
    wanted = set(only or [name for name, _ in assignments(table)])
    for name, data_files in assignments(table):
        if not wanted:
            break
        wanted.discard(name)
        nb, included = build_notebook(texts / f"{name}.py", solutions)
        check_units(name, included, table)
        if only and name not in only:
            earlier += included
            continue
        folder = out / name
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{name}.ipynb")
        support = (texts / "support" / "gradcheck.py").read_text()
        (folder / "gradcheck.py").write_text(expand_includes(support, solutions, []) + "\n")
        if earlier:
            (folder / "toolbox.py").write_text(toolbox_source(solutions, earlier))
        for file in data_files:
            shutil.copy(data / file, folder / file)
        earlier += included
        built.append(folder / f"{name}.ipynb")
    return built


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--solutions", type=Path, default=HERE.parent / "solutions" / "nn100")
    parser.add_argument("--data", type=Path, default=HERE.parent / "data")
    parser.add_argument("--out", type=Path, default=HERE / "source")
    parser.add_argument("--only", nargs="*", help="build only these assignments")
    parser.add_argument("--student-toolboxes", type=Path, metavar="RELEASE",
                        help="instead of building, write the students' toolbox.py into the "
                             "release folders of RELEASE (after nbgrader generate_assignment)")
    args = parser.parse_args(argv)
    if args.student_toolboxes:
        for path in write_student_toolboxes(args.out, args.student_toolboxes,
                                            load_course(args.solutions)):
            print(f"wrote {path}")
        return
    for path in build(args.solutions, args.data, args.out, only=args.only):
        print(f"built {path}")


if __name__ == "__main__":
    main()
