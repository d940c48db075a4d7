"""The notebook build: solution code pasted from solutions/nn100, never retyped, and
the mistakes the build must refuse.  Fast: no nbgrader, no kernel."""
import re
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "assignments"))
build = pytest.importorskip("nbcourse.build", reason="needs jupytext (requirements-notebooks.txt)")

SOLUTIONS = REPO / "solutions" / "nn100"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("source")
    build.build(SOLUTIONS, REPO / "data", out)
    return out


def test_every_solution_cell_is_the_reference_source_verbatim(built):
    import nbformat
    names = [name for name, _ in build.assignments(build.load_course(SOLUTIONS))]
    assert names == ["backprop", "training", "classification", "optimizers", "convnet", "gpt"]
    for name in names:
        text = (REPO / "assignments" / "text" / f"{name}.py").read_text()
        nb = nbformat.read(built / name / f"{name}.ipynb", as_version=4)
        cells = {c.metadata["nbgrader"]["grade_id"]: c.source for c in nb.cells
                 if "nbgrader" in c.metadata}
        solution_ids = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells
                        if c.metadata.get("nbgrader", {}).get("solution")]
        assert solution_ids, f"{name} has no solution cell"
        for grade_id in solution_ids:
            block = text.split(f"# nbgrader: solution {grade_id}\n", 1)[1].split("# %%", 1)[0]
            includes = re.findall(r"# include: (\w+)\.(\w+)", block)
            assert includes, f"{name}/{grade_id} should be pasted from the reference"
            for module, definition in includes:
                # read the reference directly, not through the build's own helper
                reference = (SOLUTIONS / f"{module}.py").read_text()
                start = re.search(rf"^(class|def) {definition}\b", reference, re.M).start()
                assert reference[start:start + 400] in cells[grade_id], \
                    f"{name}/{grade_id}: {module}.{definition} differs from the reference"


def test_toolbox_is_the_reference_without_markers(built):
    toolbox = (built / "optimizers" / "toolbox.py").read_text()
    assert "### BEGIN SOLUTION" not in toolbox
    namespace = {}
    exec(compile(toolbox, "toolbox.py", "exec"), namespace)  # it runs, and it is right:
    layer = namespace["Linear"](2, 3, rng=0)
    Y, backward = layer.forward(namespace["np"].ones((4, 2)))
    backward(namespace["np"].ones((4, 3)))
    assert (layer.bias.gradient == 4).all()


@pytest.mark.parametrize("cell, message", [
    ("# nbgrader: tests t points=1\nassert True\n1 + 1\n", "ends in an expression"),
    ("# nbgrader: tests t\nassert True\n", "needs points="),
    ("# nbgrader: given g points=1\nx = 1\n", "points= belongs on test cells"),
    ("# nbgrader: solution s\nx = 1\n", "has no solution region"),
    ("# nbgrader: solutoin s\nx = 1\n", "malformed directive"),
    ("# nbgrader: solution s\n# include: layers.Nothing\n", "defines no top-level"),
])
def test_the_build_refuses_broken_cells(tmp_path, cell, message):
    text = tmp_path / "broken.py"
    text.write_text("# %% [markdown]\n# A title\n\n# %%\n" + cell)
    with pytest.raises(ValueError, match=message):
        build.build_notebook(text, SOLUTIONS)


def test_a_test_cell_may_not_follow_a_given_cell(tmp_path):
    """nbgrader puts a deleted test cell back after the nbgrader cell before it, and
    crashes when that one is a locked given cell."""
    text = tmp_path / "order.py"
    text.write_text("# %%\n# nbgrader: given g\nx = 1\n\n# %%\n# nbgrader: tests t points=1\n"
                    "assert x == 1\n")
    with pytest.raises(ValueError, match="must follow"):
        build.build_notebook(text, SOLUTIONS)


def test_the_notebooks_gradcheck_is_the_packages_own_and_runs_alone(built):
    import numpy as np
    source = (built / "training" / "gradcheck.py").read_text()
    reference = (SOLUTIONS / "gradcheck.py").read_text()
    for name in ["central_difference", "numerical_gradient", "relative_error"]:
        start = re.search(rf"^def {name}\b", reference, re.M).start()
        end = reference.index("\n\n\n", start)
        assert reference[start:end] in source, f"{name} differs from nn100.gradcheck's"
    assert "include:" not in source
    namespace = {}
    exec(compile(source, "gradcheck.py", "exec"), namespace)  # no nn100 needed
    X = np.linspace(-1, 1, 6).reshape(2, 3)
    found = namespace["numerical_gradient"](lambda: float(np.sum(np.sin(X))), X)
    assert namespace["relative_error"](found, np.cos(X)) < 1e-9


def test_a_notebook_whose_includes_disagree_with_the_course_table_is_refused(tmp_path):
    """Tanh moved to the first notebook in course.toml, but still pasted in the third."""
    from autograder import course
    toml = tmp_path / "course.toml"
    text = course.COURSE_FILE.read_text()
    start = text.index("[units.Tanh]")
    moved = text[:start] + text[start:].replace('notebook = "classification"',
                                                'notebook = "backprop"', 1)
    toml.write_text(moved)  # the unit moved, its test cell not: the table itself is refused
    with pytest.raises(course.CourseError, match=r"tanh_tests grades Tanh, but \[units.Tanh\]"):
        course.read(toml)
    moved = moved.replace('tanh_tests = ["Tanh"]\n', "").replace(
        '[notebook_cells.backprop]\n', '[notebook_cells.backprop]\ntanh_tests = ["Tanh"]\n')
    toml.write_text(moved)
    table = course.read(toml)
    texts = REPO / "assignments" / "text"
    _, included = build.build_notebook(texts / "classification.py", SOLUTIONS)
    build.check_units("classification", included, course.load())  # agrees today
    with pytest.raises(ValueError, match=r"includes Tanh \(course.toml: notebook 'backprop'\)"):
        build.check_units("classification", included, table)
    _, included = build.build_notebook(texts / "backprop.py", SOLUTIONS)
    with pytest.raises(ValueError, match="says it teaches Tanh, which it does not include"):
        build.check_units("backprop", included, table)


@pytest.mark.parametrize("edit, message", [
    (('notebook = "backprop"', 'notebook = "backprob"'),
     r"notebook is 'backprob', but the notebooks are"),
    (('name = "training"', 'name = "backprop"'), "notebook 'backprop' is listed twice"),
    (('data = ["digits.npz"]', 'data = [3]'), r"data must list file names, found \[3\]"),
])
def test_the_course_table_refuses_unknown_or_repeated_notebooks(tmp_path, edit, message):
    from autograder import course
    text = course.COURSE_FILE.read_text()
    assert edit[0] in text
    (tmp_path / "course.toml").write_text(text.replace(*edit, 1))
    with pytest.raises(course.CourseError, match=message):
        course.read(tmp_path / "course.toml")


@pytest.mark.parametrize("cell, message", [
    ("# nbgrader: tests linear_forward points=1\nassert True\n", "come from course.toml"),
    ("# nbgrader: tests extra\nassert True\n", "is not in course.toml"),
    ("# nbgrader: tests linear_forward\nassert True\n", "does not have"),
])
def test_a_registered_notebook_takes_its_test_cells_from_the_registry(tmp_path, cell, message):
    """backprop's test cells are course.toml's [notebooks.backprop]: no points= of their
    own, none missing, none unknown (a cell the grader does not decide would be scored
    by the student's kernel)."""
    text = tmp_path / "backprop.py"
    text.write_text("# %% [markdown]\n# A title\n\n# %%\n# nbgrader: solution s\n"
                    "### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n\n# %%\n" + cell)
    with pytest.raises(ValueError, match=message):
        build.build_notebook(text, SOLUTIONS)


def test_the_course_readme_lists_each_notebooks_units_and_points_as_the_registry_does():
    """assignments/README.md's table is written by hand: it must say what course.toml says."""
    from autograder import course
    table = course.load()
    rows = re.findall(r"^\| `(\w+)` \| (.+) \| (\d+) \|$",
                      (REPO / "assignments" / "README.md").read_text(), re.M)
    assert [name for name, _, _ in rows] == list(table.notebooks), "one row per notebook, in order"
    for name, units, total in rows:
        expected = [(u, table.units[u].points) for u in table.notebooks[name].units]
        found = [(u, int(p)) for u, p in re.findall(r"(\w+) \((\d+)\)", units)]
        assert sorted(found) == sorted(expected), f"{name}: README {found}, course.toml {expected}"
        assert int(total) == sum(p for _, p in expected), f"{name}: total {total}"


# --- the students' toolbox.py: the earlier units from their own notebooks ---------------

def student_course(built, tmp_path) -> Path:
    """The assignments' folders side by side, each notebook as a student who finished it
    would have it (the source notebooks hold the reference answers), and every toolbox.py
    the students' one, as `make notebooks` leaves the release."""
    import shutil
    course = tmp_path / "course"
    shutil.copytree(built, course)
    written = build.write_student_toolboxes(built, course, build.load_course(SOLUTIONS))
    assert [p.parent.name for p in written] == ["training", "classification", "optimizers",
                                                "convnet", "gpt"]
    return course


def load_toolbox(folder: Path, monkeypatch):
    import importlib.util
    monkeypatch.syspath_prepend(str(folder))  # the notebooks import gradcheck from there
    spec = importlib.util.spec_from_file_location("toolbox", folder / "toolbox.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_students_toolbox_offers_what_the_graders_copy_does_from_their_notebooks(
        built, tmp_path, monkeypatch):
    course = student_course(built, tmp_path)
    for name in ["training", "classification", "optimizers", "convnet", "gpt"]:
        student = (course / name / "toolbox.py").read_text()
        assert "### BEGIN SOLUTION" not in student and "class Linear" not in student
        grader = build.defined_names((built / name / "toolbox.py").read_text())
        assert build.defined_names(student) != grader
    toolbox = load_toolbox(course / "gpt", monkeypatch)  # reads the five notebooks
    wanted = [n for n in build.defined_names((built / "gpt" / "toolbox.py").read_text())
              if n != "np"]
    assert len(wanted) > 15 and [n for n in wanted if not hasattr(toolbox, n)] == []
    assert toolbox.Linear.__module__ == "toolbox"
    np = toolbox.np
    # the student's units of four notebooks train together
    rng = np.random.default_rng(0)
    X, labels = rng.standard_normal((64, 4)), rng.integers(0, 3, 64)
    X[np.arange(64), labels] += 2.0
    model = toolbox.Sequential(toolbox.Linear(4, 16, rng=1), toolbox.Tanh(),
                               toolbox.Dropout(0.1, rng=2), toolbox.Linear(16, 3, rng=3))
    learner = toolbox.Learner(model, toolbox.softmax_cross_entropy_loss,
                              toolbox.AdamOptimizer(lr=0.05))
    losses = learner.fit(X, labels, epochs=20, bs=16)
    assert losses[-1] < 0.5 * losses[0], losses
    # ... and take sequences, as the gpt notebook's model needs: (N, T, features) through
    # Linear and LayerNorm, (N, T, classes) logits with ignored positions in the loss
    Z, _ = toolbox.Sequential(toolbox.LayerNorm(4), toolbox.Linear(4, 3, rng=4)).forward(
        rng.standard_normal((2, 5, 4)))
    targets = np.full((2, 5), -100)
    targets[:, -1] = [0, 2]
    loss, dZ = toolbox.softmax_cross_entropy_loss(Z, targets, ignore_index=-100)
    assert Z.shape == (2, 5, 3) and np.isfinite(loss) and np.all(dZ[:, :4] == 0)


def test_the_students_toolbox_runs_their_stubs_and_names_their_notebook(
        built, tmp_path, monkeypatch):
    """A student who has not written Linear yet gets its NotImplementedError, raised in
    their backprop notebook; a deleted definition and a missing folder are named."""
    import json
    course = student_course(built, tmp_path)
    path = course / "backprop" / "backprop.ipynb"
    notebook = json.loads(path.read_text())
    stub = re.compile(r"### BEGIN SOLUTION\n.*?### END SOLUTION", re.S)
    for cell in notebook["cells"]:
        source = "".join(cell["source"])
        cell["source"] = stub.sub("raise NotImplementedError()", source)
    path.write_text(json.dumps(notebook))
    toolbox = load_toolbox(course / "training", monkeypatch)
    with pytest.raises(NotImplementedError) as raised:
        toolbox.Linear(2, 3, rng=0).forward(toolbox.np.ones((1, 2)))
    cell = next(n for n, c in enumerate(notebook["cells"], 1) if "class Linear(" in c["source"])
    assert str(raised.traceback[-1].path) == f"backprop.ipynb, cell {cell}"

    for cell in notebook["cells"]:
        cell["source"] = "".join(cell["source"]).replace("class Sigmoid(", "class Sigmoidal(")
    path.write_text(json.dumps(notebook))
    toolbox = load_toolbox(course / "training", monkeypatch)
    with pytest.raises(ImportError, match="Sigmoid is not defined in your notebooks "
                                          "backprop.ipynb"):
        _ = toolbox.Sigmoid  # what `from toolbox import Sigmoid` asks
    path.unlink()
    with pytest.raises(ImportError, match=r"uses the units you wrote in backprop, but \S+"
                                          r"backprop.ipynb is not there"):
        load_toolbox(course / "training", monkeypatch)
