"""The nbgrader course end to end: release, autograde, gradebook, feedback.

All tests read the one sample class graded by the ``graded_class`` fixture
(conftest.py); sample_class.py says what each student did and should score.
"""
import csv
import html
import json
import re

import nbformat
import pytest

from .sample_class import ASSIGNMENTS, CLASS

pytest.importorskip("nbgrader", reason="the notebook requirements are not installed")
from nbgrader.api import Gradebook  # noqa: E402

# With `--dist loadgroup` xdist sends these tests to one worker; under plain `-n auto`
# the file lock in conftest.py still lets only one worker build and grade the class.
# The first test builds and grades the whole sample class (about 5 minutes on a loaded
# machine): more than the suite's default time limit per test.
pytestmark = [pytest.mark.xdist_group("nbgrader-course"), pytest.mark.timeout(1800)]

HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)
SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)


def notebook(course, folder, assignment, student=None):
    parts = [folder] + ([student] if student else []) + [assignment, f"{assignment}.ipynb"]
    return nbformat.read(course.joinpath(*parts), as_version=4)


def regions(nb, pattern) -> list:
    """The lines found only inside the marked regions of a notebook's code cells
    (a line such as ``return D`` that also occurs elsewhere proves nothing)."""
    inside, outside = set(), set()
    for cell in nb.cells:
        for region in pattern.findall(cell.source):
            inside |= {line.strip() for line in region.splitlines() if len(line.strip()) > 12}
        outside |= {line.strip() for line in pattern.sub("", cell.source).splitlines()}
    return sorted(inside - outside)


def cell_scores(course, student, assignment) -> dict:
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "nn100") as gradebook:
        submission = gradebook.find_submission_notebook(assignment, assignment, student)
        return {grade.name: (grade.score, grade.max_score) for grade in submission.grades}


def grades_csv(course) -> dict:
    with open(course / "grades.csv", newline="") as file:
        return {(row["student_id"], row["assignment"]): row for row in csv.DictReader(file)}


def by_id(nb) -> dict:
    return {cell.metadata["nbgrader"]["grade_id"]: cell for cell in nb.cells
            if "grade_id" in cell.metadata.get("nbgrader", {})}


def test_release_has_no_solution_and_no_hidden_test(graded_class):
    for assignment in ASSIGNMENTS:
        source = notebook(graded_class, "source", assignment)
        release = notebook(graded_class, "release", assignment)
        text = "\n".join(cell.source for cell in release.cells)
        secrets = regions(source, HIDDEN) + regions(source, SOLUTION)
        assert len(secrets) > 5, f"{assignment}: the source has too few marked lines to check"
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
        leaked = [line for line in secrets if line in text]
        assert not leaked, f"{assignment}: release notebook shows {leaked[:3]}"
        assert "raise NotImplementedError()" in text


def test_toolbox_of_an_assignment_holds_only_earlier_units(graded_class):
    """The grader's toolbox.py (source/) holds reference code of earlier assignments:
    never of this one. (The students' copy in release/ holds none at all:
    test_student_edition.py.)"""
    for assignment in ASSIGNMENTS[1:]:
        toolbox = (graded_class / "source" / assignment / "toolbox.py").read_text()
        source = notebook(graded_class, "source", assignment)
        for cell in by_id(source).values():
            if cell.metadata["nbgrader"]["solution"]:
                for name in re.findall(r"^(?:class|def) (\w+)", cell.source, re.M):
                    assert not re.search(rf"^(class|def) {name}\b", toolbox, re.M), \
                        f"{assignment}/toolbox.py gives away {name}"


def test_solution_notebooks_earn_full_marks(graded_class):
    rows = grades_csv(graded_class)
    for assignment in ASSIGNMENTS:
        row = rows[("ada", assignment)]
        assert float(row["max_score"]) >= 8, f"{assignment}: suspiciously few points"
        assert float(row["score"]) == float(row["max_score"]), \
            f"reference solution of {assignment}: {cell_scores(graded_class, 'ada', assignment)}"
        graded = notebook(graded_class, "autograded", assignment, "ada")
        noise = [output for cell in graded.cells for output in cell.get("outputs", [])
                 if output.output_type == "error" or output.get("name") == "stderr"]
        assert not noise, \
            f"{assignment}: the reference notebook wrote errors or stderr: {noise[:2]}"
        figures = [output for cell in graded.cells for output in cell.get("outputs", [])
                   if "image/png" in output.get("data", {})]
        assert figures, f"{assignment}: no figure was drawn"


@pytest.mark.parametrize("student", [s for s in CLASS if s.expected is not None],
                         ids=lambda s: f"{s.name}-{s.assignment}")
def test_each_sample_submission_gets_its_expected_score(graded_class, student):
    scores = cell_scores(graded_class, student.name, student.assignment)
    for cell, (score, possible) in scores.items():
        wanted = student.expected.get(cell, "full")
        assert {"full": score == possible, "zero": score == 0,
                "less": score < possible}[wanted], (
            f"{student.name} ({student.story}): {cell} should be {wanted}: {scores}")
    row = grades_csv(graded_class)[(student.name, student.assignment)]
    assert float(row["score"]) == pytest.approx(sum(s for s, _ in scores.values()))
    assert float(row["max_score"]) == pytest.approx(sum(p for _, p in scores.values()))


def test_infinite_loop_is_cut_and_the_class_is_still_graded(graded_class):
    graded = by_id(notebook(graded_class, "autograded", "backprop", "cy"))
    texts = [output.get("text", "") for output in graded["linear_backward"].outputs]
    assert any(text.startswith("(your kernel) CellTimeoutError") for text in texts), texts
    # the cells after the loop ran normally
    assert cell_scores(graded_class, "cy", "backprop")["sequential_tests"] == (7.0, 7.0)
    for student in {s.name for s in CLASS if s.assignment == "backprop"}:
        assert (graded_class / "autograded" / student / "backprop" / "backprop.ipynb").exists()


def test_edited_and_deleted_test_cells_are_detected_and_restored(graded_class):
    with open(graded_class / "audit.csv", newline="") as file:
        findings = {(row["student"], row["cell"], row["problem"].split(" (")[0])
                    for row in csv.DictReader(file)}
    assert ("dee", "linear_backward", "test cell edited") in findings
    assert ("dee", "sigmoid_tests", "test cell deleted") in findings
    assert ("eve", "sigmoid", "solution cell deleted or retyped") in findings
    assert ("cy", "linear_backward", "time limit") in findings
    assert not [f for f in findings if f[0] == "ada"], "the reference was flagged"
    source = by_id(notebook(graded_class, "source", "backprop"))
    graded = by_id(notebook(graded_class, "autograded", "backprop", "dee"))
    assert graded["linear_backward"].source == source["linear_backward"].source
    assert source["sigmoid_tests"].source in graded["sigmoid_tests"].source
    scores = cell_scores(graded_class, "dee", "backprop")
    assert scores["linear_backward"][0] < scores["linear_backward"][1], "dee's bug is caught"
    assert scores["sigmoid_tests"] == (4.0, 4.0), "the restored deleted test must be graded"


def test_supporting_files_are_replaced_by_the_graders_copy(graded_class):
    """bob edited gradcheck.py so that every gradient check passes; the grader's copy wins
    (exclude_overwriting stays empty: students work in the notebook only)."""
    graded = (graded_class / "autograded" / "bob" / "backprop" / "gradcheck.py").read_text()
    assert graded == (graded_class / "source" / "backprop" / "gradcheck.py").read_text()
    score, possible = cell_scores(graded_class, "bob", "backprop")["linear_backward"]
    assert score < possible


def test_numpy_warning_in_a_test_cell_does_not_zero_it(graded_class):
    cell = by_id(notebook(graded_class, "autograded", "backprop", "eve"))["sigmoid_tests"]
    streams = {}
    for output in cell.outputs:
        if output.output_type == "stream":
            streams[output.name] = streams.get(output.name, "") + output.text
    assert "RuntimeWarning: overflow" in streams.get("stdout", ""), "eve's warning did not occur"
    assert "stderr" not in streams
    assert cell_scores(graded_class, "eve", "backprop")["sigmoid_tests"] == (4.0, 4.0)


def test_feedback_shows_no_hidden_test(graded_class):
    pages = sorted(graded_class.glob("feedback/*/*/*.html"))
    assert len(pages) == len(CLASS)
    for page in pages:
        assignment = page.parent.name
        text = html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))
        hidden = regions(notebook(graded_class, "source", assignment), HIDDEN)
        shown = [line for line in hidden if line in text]
        assert not shown, f"{page.relative_to(graded_class)} shows hidden test lines {shown[:3]}"
        assert "hidden_" not in text, f"{page}: a hidden test's name reaches the feedback"
    # bob fails a hidden check of linear_backward: the error is there, its details are not
    bob = html.unescape((graded_class / "feedback/bob/backprop/backprop.html").read_text())
    assert "a hidden test in this cell failed" in bob
    assert "must add into the gradient" not in bob
    # dee fails a visible check: its message stays, as the student could see it anyway
    dee = html.unescape((graded_class / "feedback/dee/backprop/backprop.html").read_text())
    assert "gradient of the bias: relative error" in dee


def test_autograding_time_is_recorded(graded_class):
    timings = json.loads((graded_class / "timings.json").read_text())
    print("nbgrader timings (s):", {k: round(v, 1) for k, v in timings.items()})
    assert timings["autograde"] < 60 * len(CLASS)
