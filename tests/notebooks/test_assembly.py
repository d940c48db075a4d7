"""The pieces of the trusted notebook grading that need no nbgrader run: the registry's
[notebooks] tables and the notebook -> package assembly."""
import sys
from autograder.course import tomllib  # tomli on Python 3.10
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "assignments"))
from autograder import course  # noqa: E402
from nbcourse import trusted  # noqa: E402


def registry_with(notebooks: dict) -> dict:
    table = tomllib.loads(course.COURSE_FILE.read_text())
    table["notebook_cells"] = notebooks
    return table


@pytest.mark.parametrize("notebooks, message", [
    ({"a": {"cell": ["Nothing"]}}, "names no unit"),
    ({"backprop": {"c1": ["Linear"]}, "training": {"c2": ["Linear"]}},
     r"training\]\.c2 grades Linear, but \[units.Linear\]\.notebook is 'backprop'"),
    ({"backprop": {"c1": ["Linear"], "c2": ["Linear"]}}, "taken whole by both"),
    ({"backprop": {"c1": ["Linear: forward"]}}, "no cell takes its remaining checks"),
    ({"a": {"c1": "Linear"}}, "must be a list"),
])
def test_the_registry_refuses_a_broken_notebook_table(notebooks, message):
    with pytest.raises(course.CourseError, match=message):
        course.parse(registry_with(notebooks))


def test_every_check_of_a_notebooks_units_belongs_to_exactly_one_cell():
    from autograder.grading import grade
    plans = {p.unit: p for p in grade.plan(course.load(), grade.DEFAULT_SEED)}
    for assignment, cells in course.load().notebook_cells.items():
        units, claimed, _ = trusted.notebook_plan(assignment)
        names = [c.name for checks in claimed.values() for c in checks]
        expected = [c.name for u in units for c in plans[u].checks]
        assert sorted(names) == sorted(expected), assignment
        assert all(claimed[cell] for cell in cells), f"{assignment}: a cell stands for nothing"


def test_a_units_points_are_the_same_in_notebook_and_package():
    points = course.load().points()
    for assignment in course.load().notebook_cells:
        units, _, _ = trusted.notebook_plan(assignment)
        cells = trusted.cell_points(assignment)
        assert sum(cells.values()) == pytest.approx(sum(points[u] for u in units))


def code(source):
    return nbformat.v4.new_code_cell(source)


def test_the_package_holds_definitions_not_demonstrations():
    nb = nbformat.v4.new_notebook(cells=[
        code("import numpy as np\nimport matplotlib.pyplot as plt\nfrom toolbox import Linear\n"
             "%matplotlib inline"),
        code("EPS = 1e-12\nclass Tanh:\n    pass\nrng = np.random.default_rng(0)\n"
             "np.allclose = lambda *a: True\nprint(Tanh())\nwhile True:\n    pass"),
        code("def broken(:\n"),  # does not parse: defines nothing, as in the kernel
    ])
    test = code("class Hidden:\n    pass")
    test.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "t",
                                 "points": 1, "locked": True, "schema_version": 3}
    nb.cells.append(test)
    module, names = trusted.notebook_module(nb)
    assert names == ["np", "Linear", "EPS", "Tanh"]
    assert "from .toolbox import Linear" in module
    for absent in ("matplotlib", "default_rng", "allclose", "print(", "while", "Hidden",
                   "broken"):
        assert absent not in module, absent
    compile(module, "notebook.py", "exec")


def test_computed_constants_that_definitions_read_are_kept_and_demonstrations_are_not():
    """``EPS = np.finfo(float).eps`` read by a layer counts as in the kernel; a training
    run whose result no definition reads stays the kernel's; a function's own locals are
    not globals; a computed value that fails apart from the kernel fails alone."""
    nb = nbformat.v4.new_notebook(cells=[
        code("import numpy as np\nimport matplotlib.pyplot as plt"),
        code("EPS = np.finfo(float).eps\nSCALE = np.sqrt(4.0) * EPS\n"
             "losses = train_for_an_hour()\nFIGURE = plt.figure()"),
        code("class Tiny:\n    def forward(self, X):\n        losses = X * SCALE\n"
             "        return losses\n\n\ndef draw():\n    return FIGURE"),
    ])
    module, names = trusted.notebook_module(nb)
    assert names == ["np", "EPS", "SCALE", "FIGURE", "Tiny", "draw"]
    assert "train_for_an_hour" not in module
    namespace = {}
    # matplotlib is not imported there: FIGURE fails
    exec(compile(module, "notebook.py", "exec"), namespace)
    assert namespace["Tiny"]().forward(1.0) == 2 * namespace["np"].finfo(float).eps
    assert "FIGURE" not in namespace


def test_places_in_the_assembled_module_are_told_as_the_notebooks_cells():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# a title"),
        code("import numpy as np\nSCALE = np.sqrt(4.0)"),
        code("print('a demonstration')\n\n\nclass Tiny:\n    def forward(self, X):\n"
             "        raise ValueError(SCALE)"),
    ])
    nb.cells[2].execution_count = 7
    module, _ = trusted.notebook_module(nb)
    namespace = {}
    exec(compile(module, "nn100/notebook.py", "exec"), namespace)
    try:
        namespace["Tiny"]().forward(1)
    except ValueError as error:
        line = error.__traceback__.tb_next.tb_lineno
    message = f"ValueError: 2.0 (nn100/notebook.py, line {line})"
    assert trusted.located(message, nb, module) == "ValueError: 2.0 (cell In [7], line 6)"
    nb.cells[2].execution_count = None  # never ran: counted among all the cells
    assert "(code cell 3, line 6)" in trusted.located(message, nb, module)
    assert trusted.located("(nn100/layers.py, line 3)", nb, module) == "(nn100/layers.py, line 3)"
