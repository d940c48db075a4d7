"""The notebooks are graded by the sandboxed grader, not by the student's kernel.

Everything reads the one sample class graded by nbgrader (conftest.py), and compares
it with the package track: the same code, handed in as a package and graded by
``autograder.grading.grade``, must get the same points, test cell by test cell.
"""
import csv
import html
import re
import sys
from pathlib import Path

import pytest

from .sample_class import ASSIGNMENTS, CLASS, MUTANT_NOTEBOOKS, MUTANTS
from .test_nbgrader_course import by_id, cell_scores, grades_csv, notebook

pytest.importorskip("nbgrader", reason="the notebook requirements are not installed")

# The first test builds and grades the whole sample class (about 5 minutes on a loaded
# machine): more than the suite's default time limit per test.
pytestmark = [pytest.mark.xdist_group("nbgrader-course"), pytest.mark.timeout(1800)]

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO / "assignments"), str(REPO / "tests" / "grader")]
from autograder import course  # noqa: E402
from autograder.grading import grade  # noqa: E402
from mutants import apply_mutants  # noqa: E402
from nbcourse import trusted  # noqa: E402

STUDENTS = {(s.name, s.assignment): s for s in CLASS}
TOLERANCE = 1e-5  # nbgrader stores the points we give it as floats


@pytest.fixture(scope="module")
def package_track(tmp_path_factory):
    """Each twin's code graded as a package, once: {twin: Grade} for the reference
    (solutions/), the stubs (exercises/) and the reference with every mutant the
    mutant notebooks carry (one per unit, so they do not interfere)."""
    notebook_units = sorted({u for a in ASSIGNMENTS for u in trusted.notebook_plan(a)[0]})
    wanted = {m for names in MUTANT_NOTEBOOKS.values() for m in names}
    mutated = apply_mutants([m for m in MUTANTS if m[0] in wanted],
                            tmp_path_factory.mktemp("mutants"))
    roots = {"ada": REPO / "solutions", "sam": REPO / "exercises", "max": mutated}
    return {name: grade.grade(root, units=notebook_units) for name, root in roots.items()}


def package_cells(graded, assignment) -> dict:
    """What the package track gives each test cell: the points of the checks it stands for."""
    _, claimed, _ = trusted.notebook_plan(assignment)
    by_name = {o.check.name: o for o in graded.outcomes}
    return {cell: sum(by_name[c.name].points for c in checks) for cell, checks in claimed.items()}


@pytest.mark.parametrize("twin", ["ada", "sam", "max"])
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_notebook_and_package_agree_point_for_point(graded_class, package_track, twin,
                                                    assignment):
    graded = package_track[twin]
    scores = cell_scores(graded_class, twin, assignment)
    expected = package_cells(graded, assignment)
    assert set(scores) == set(expected), "the notebook's test cells are the registry's"
    for cell, points in expected.items():
        assert abs(scores[cell][0] - points) < TOLERANCE, (
            f"{twin}/{assignment}/{cell}: notebook {scores[cell][0]}, package {points}")
    # the CSV nbgrader exports shows the same, unit by unit summed
    units = trusted.notebook_plan(assignment)[0]
    row = grades_csv(graded_class)[(twin, assignment)]
    package_total = sum(graded.unit_scores[u][0] for u in units)
    assert abs(float(row["score"]) - package_total) < TOLERANCE
    assert abs(float(row["max_score"]) - sum(course.load().units[u].points for u in units)) \
        < TOLERANCE, "a unit is worth in a notebook what the registry says"


def test_reference_full_stubs_zero_each_mutant_caught(graded_class, package_track):
    rows = grades_csv(graded_class)
    for assignment in ASSIGNMENTS:
        assert float(rows[("ada", assignment)]["score"]) == pytest.approx(
            float(rows[("ada", assignment)]["max_score"]))
        assert float(rows[("sam", assignment)]["score"]) == 0.0
    max_units = package_track["max"].unit_scores
    for names in MUTANT_NOTEBOOKS.values():
        for name in names:
            unit = next(m[1] for m in MUTANTS if m[0] == name)
            earned, possible = max_units[unit]
            assert earned < possible, f"mutant {name} costs nothing in {unit}"


def test_hostile_notebook_scores_no_more_than_its_twin(graded_class):
    rows = grades_csv(graded_class)
    for student in [s for s in CLASS if s.twin]:
        cheat = rows.get((student.name, student.assignment))
        honest = float(rows[(student.twin, student.assignment)]["score"])
        score = float(cheat["score"]) if cheat else 0.0
        print(f"{student.name}/{student.assignment}: {score:g} vs twin {student.twin} {honest:g}")
        assert score <= honest + TOLERANCE, student.story
    mallory = cell_scores(graded_class, "mallory", "backprop")
    hal = cell_scores(graded_class, "hal", "backprop")
    for cell, (points, _) in mallory.items():
        assert points <= hal[cell][0] + TOLERANCE, f"mallory's {cell} beats her twin's"


def test_the_cheats_do_fool_the_kernel(graded_class):
    """Evidence that the hostile notebook is hostile: in the student's kernel its visible
    tests pass where the honest twin's fail, yet the grader's verdict is the same."""
    cheat = by_id(notebook(graded_class, "autograded", "backprop", "mallory"))
    honest = by_id(notebook(graded_class, "autograded", "backprop", "hal"))

    def kernel_text(cell):
        return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")

    assert "Linear.forward: tests passed" in kernel_text(cheat["linear_forward"])
    assert "Linear.forward: tests passed" not in kernel_text(honest["linear_forward"])


def test_the_kernel_reads_and_writes_nothing_outside_its_folder_and_hogs_nothing(graded_class):
    relu = by_id(notebook(graded_class, "autograded", "backprop", "mallory"))["relu"]
    text = "".join(o.get("text", "") for o in relu.outputs)
    attempts = [line for line in text.splitlines() if line.startswith(("SNOOP", "FORGE", "HOG"))]
    assert len(attempts) >= 11, text[:2000]
    assert sum(line.startswith("HOG") for line in attempts) == 2, attempts
    assert all(" refused " in line for line in attempts), attempts
    assert not (graded_class / "results.json").exists()


def test_the_rest_of_the_class_is_graded_and_untouched(graded_class):
    """oscar's kernel exits (os._exit) and mallory tries to forge the gradebook; every
    notebook is graded (oscar's too: the grader grades his code, the kernel's death costs
    him nothing it did not cost the kernel), and the reference keeps exactly full marks."""
    rows = grades_csv(graded_class)
    with open(graded_class / "audit.csv", newline="") as file:
        audit = {(r["student"], r["assignment"], r["problem"]) for r in csv.DictReader(file)}
    assert ("oscar", "training", "kernel died") in audit
    for name, assignment in STUDENTS:
        assert (graded_class / "autograded" / name / assignment).is_dir(), name
    for assignment in ASSIGNMENTS:
        assert float(rows[("ada", assignment)]["score"]) == pytest.approx(
            float(rows[("ada", assignment)]["max_score"]))
    assert not [a for a in audit if "no verdict of the grader" in a[2]], \
        "some test cell was scored by the student's kernel"


def test_every_test_cell_carries_the_graders_verdict(graded_class):
    for path in sorted(graded_class.glob("autograded/*/*/*.ipynb")):
        nb = notebook(graded_class, "autograded", path.parent.name, path.parts[-3])
        for grade_id, cell in by_id(nb).items():
            meta = cell.metadata["nbgrader"]
            if meta.get("grade") and not meta.get("solution"):
                verdicts = [o for o in cell.outputs
                            if trusted.HEADER in (o.get("text", "") + o.get("evalue", ""))]
                assert verdicts, f"{path}: {grade_id} has no verdict of the grader"
                counted = [o for o in cell.outputs if o.output_type in ("error", "execute_result")
                           or o.get("name") == "stderr"]
                assert all(trusted.HEADER in (o.get("evalue") or "") or
                           o.output_type == "execute_result" for o in counted), \
                    f"{path}: {grade_id}: an output of the kernel could count"


def test_verdicts_name_the_students_cells_not_the_assembled_module(graded_class):
    """The child sees the notebook as nn100/notebook.py, which the student never sees:
    each place it names is told as "cell In [k], line m" of the executed notebook."""
    places = []
    for path in sorted(graded_class.glob("autograded/*/*/*.ipynb")):
        nb = notebook(graded_class, "autograded", path.parent.name, path.parts[-3])
        for cell in by_id(nb).values():
            for output in cell.get("outputs", []):
                text = output.get("text", "") + output.get("evalue", "")
                if trusted.HEADER in text:
                    assert "notebook.py" not in text, f"{path}: {text[:500]}"
                    places += re.findall(r"cell In \[(\d+)\], line (\d+)", text)
    assert places, "the stubs raise in the students' cells: some verdict should say where"
    # sam handed in the stubs: each place named in his notebook is a stub's raise
    sam = notebook(graded_class, "autograded", "backprop", "sam")
    by_count = {str(c.execution_count): c for c in sam.cells if c.cell_type == "code"}
    told = {place for cell in by_id(sam).values() for output in cell.get("outputs", [])
            for place in re.findall(r"cell In \[(\d+)\], line (\d+)",
                                    output.get("text", "") + output.get("evalue", ""))}
    assert told
    for count, line in told:
        assert "raise NotImplementedError" in by_count[count].source.splitlines()[int(line) - 1]


def test_feedback_carries_the_trusted_messages(graded_class):
    page = html.unescape((graded_class / "feedback/max/backprop/backprop.html").read_text())
    text = re.sub(r"<[^>]+>", "", page)
    assert trusted.HEADER in text
    # every failed check of max's Linear cell is named there, with its message
    graded = by_id(notebook(graded_class, "autograded", "backprop", "max"))["linear_backward"]
    failed = [line.strip("- ").rsplit(" (", 1)[0]
              for o in graded.outputs for line in (o.get("text", "") + o.get("evalue", ""))
              .splitlines() if line.startswith("- ")]
    assert failed, "max's Linear mutant failed no check"
    for name in failed:
        assert name in text, f"feedback lacks the failed check {name!r}"
    # mallory printed every cell's source, hidden tests included, into the outputs
    mallory = html.unescape((graded_class / "feedback/mallory/backprop/backprop.html")
                            .read_text())
    assert "lines of hidden tests removed" in mallory
    assert "hidden_rng" not in mallory
