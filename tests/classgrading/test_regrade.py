"""Regrading only what changed: each claim of CLASSROOM.md's "Grades that never go
stale" (step 5), one change of course.toml at a time, on a Canvas class graded by the
fake grader in its course mode (the selection's units, points, hints and visibilities
from course.toml) that logs every run, so "nothing was run" is counted, not assumed.
The last test rescores a real grading and checks it against grading afresh."""
import json
import re
import shutil
import sys

import pytest

from autograder.classroom import provenance, regrade
from classgrading_support import ROOT, solved
from term_support import LAYER_FD, LINEAR_FORWARD, ON_TIME, Term
from tools.make_class import as_canvas


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    term = Term(tmp_path_factory.mktemp("graded"))
    log, runs = term.grade()
    assert runs == 4, log
    return term


@pytest.fixture
def term(graded, tmp_path):
    return graded.copy(tmp_path / "class")


def test_running_again_grades_nothing(term):
    log, runs = term.grade()
    assert runs == 0 and "4 already graded, 0 to grade" in log, log


def test_the_late_policy_due_times_and_extensions_grade_nothing_and_update_nothing(term):
    graders = {s: r["grader"] for s, r in term.book().items()}
    term.edit("penalty_per_day = 10", "penalty_per_day = 3")
    extensions = term.base / "extensions.csv"
    extensions.write_text(f"student,due\n{term.ids[3]},2026-09-20T00:00Z\n")
    # the later --due wins: everyone 2 days late, but for the extension
    log, runs = term.grade("--due", "2026-09-13T00:00Z", "--extensions", extensions)
    assert runs == 0 and "brought up to date" not in log, log
    book = term.book()
    assert {s: r["grader"] for s, r in book.items()} == graders
    assert book[term.ids[0]]["penalty_percent"] == "6" and book[term.ids[0]]["days_late"] == "2"
    assert book[term.ids[3]]["days_late"] == "0"


def test_another_assignments_units_grade_nothing(term):
    graders = {s: r["grader"] for s, r in term.book().items()}
    total = re.search(r"\ntotal = (\d+)", term.course.read_text()).group(1)
    term.edit("points = 4", "points = 5", after="[units.Tanh]")
    term.edit(f"\ntotal = {total}", f"\ntotal = {int(total) + 1}")
    term.edit("concept = \"", "concept = \"(changed) ", after="[units.Tanh.hints]")
    term.edit("assignment = 3\n", "assignment = 3\nvisibility = \"hidden\"\n", after="[units.Tanh]")
    log, runs = term.grade()
    assert (runs == 0 and "4 already graded, 0 to grade" in log
            and "brought up to date" not in log), log
    assert {s: r["grader"] for s, r in term.book().items()} == graders


def test_a_hint_rebuilds_the_feedback_from_the_stored_results(term):
    bug = term.ids[1]
    old, score = term.result(bug)["tests"][0]["output"], term.book()[bug]["score"]
    assert old.startswith("Linear check 0 failed\nHint: ")
    term.edit("forward = { concept = \"", "forward = { concept = \"(rewritten) ",
              after="[units.Linear.hints]")
    log, runs = term.grade("--explain")
    assert runs == 0, log
    assert "4 brought up to date from their stored results, nothing run, because the hints or " \
           "visibilities changed (4)" in log, log
    assert (f"{bug}: updated from its stored results, nothing run: "
            f"the hints or visibilities changed") in log
    new = term.result(bug)["tests"][0]["output"]
    assert new == old.replace("Hint: ", "Hint: (rewritten) ") and new.count("Hint:") == 1
    assert f"Hint: (rewritten) {LINEAR_FORWARD}" in term.report(bug)
    assert term.book()[bug]["score"] == score != "100"  # the score is untouched


@pytest.mark.parametrize("edit", [
    ('hints = "concept"', 'hints = "answer"', None),                            # [course].hints
    ('fd = { concept = "', 'fd = { concept = "(kind) ', "[kind_hints.layer]"),  # [kind_hints]
])
def test_the_course_hint_mode_and_kind_hints_rebuild_the_feedback_too(term, edit):
    stub = term.ids[2]  # fails every check, the fd family's included
    graders = {s: r["grader"] for s, r in term.book().items()}
    term.edit(*edit)
    log, runs = term.grade()
    assert runs == 0 and "the hints or visibilities changed (4)" in log, log
    outputs = [t["output"] for t in term.result(stub)["tests"]]
    if "answer" in edit[1]:
        assert any("Answer: " in o for o in outputs) and all(o.count("Hint:") <= 1 for o in outputs)
    else:
        assert any(o.startswith(f"Linear check 1 failed\nHint: (kind) {LAYER_FD}") for o in outputs)
    assert all(r["grader"] != graders[s] for s, r in term.book().items())  # the current record


def test_a_result_without_what_rebuilding_needs_is_graded_again_and_says_why(term):
    stored = term.out / "reports" / term.ids[1] / "results.json"
    result = json.loads(stored.read_text())
    del result["extra_data"]["checks"]
    stored.write_text(json.dumps(result))
    term.edit("forward = { concept = \"", "forward = { concept = \"(again) ",
              after="[units.Linear.hints]")
    log, runs = term.grade()
    assert runs == 1 and "3 brought up to date" in log, log
    assert "its results do not say which check family each test is (1)" in log, log


def test_a_visibility_rebuilds_the_feedback_from_the_stored_results(term):
    term.edit("assignment = 1\n", "assignment = 1\nvisibility = \"hidden\"\n",
              after="[units.Linear]")
    log, runs = term.grade()
    assert runs == 0 and "the hints or visibilities changed (4)" in log, log
    tests = term.result(term.ids[1])["tests"]
    assert {t["visibility"] for t in tests if t["name"].startswith("Linear")} == {"hidden"}
    assert {t["visibility"] for t in tests if not t["name"].startswith("Linear")} == {"visible"}
    assert "The details of this check are hidden." in term.report(term.ids[1])


def test_points_rescore_the_stored_results_as_grading_afresh_would(term):
    total = re.search(r"\ntotal = (\d+)", term.course.read_text()).group(1)
    before = term.book()
    term.edit("points = 10", "points = 16", after="[units.Linear]")
    term.edit(f"\ntotal = {total}", f"\ntotal = {int(total) + 6}")
    log, runs = term.grade()
    assert runs == 0 and "4 brought up to date from their stored results, nothing run, " \
                         "because the points changed (4)" in log, log
    rescored, results = term.book(), {s: term.result(s) for s in term.ids}
    assert rescored[term.ids[1]]["score"] != before[term.ids[1]]["score"]
    log, runs = term.grade("--force")
    assert runs == 4 and "--force (4)" in log, log
    afresh = term.book()
    for student in term.ids:
        assert rescored[student]["score"] == afresh[student]["score"], student
        assert [(t["score"], t["max_score"]) for t in results[student]["tests"]] == \
               [(t["score"], t["max_score"]) for t in term.result(student)["tests"]]


def test_the_kind_spec_grades_again_naming_what_all_units_share(term):
    term.edit("input = [5, 4]", "input = [5, 3]", after="[kind_spec.layer]")
    log, runs = term.grade()
    assert runs == 4, log
    assert "what the checks read from course.toml (what all units share) changed (4)" in log, log


def test_exercises_and_notebooks_of_a_graded_unit_grade_nothing(term):
    term.edit("write = \"dX from Y\"", "write = \"dX, from Y\"", after="[units.Sigmoid]")
    term.edit("notebook = \"backprop\"", "notebook = \"backprop\"\n", after="[units.Sigmoid]")
    log, runs = term.grade()
    assert runs == 0 and "brought up to date" not in log, log


def test_an_option_grades_again(term):
    log, runs = term.grade("--seed", "7")
    assert runs == 4 and "the options (seed, time limits, assignment) changed (4)" in log, log


def test_a_units_checks_grade_the_class_again_naming_the_unit_and_regrade_picks_students(term):
    term.edit("bound = 1e-12", "bound = 1e-11", after="[units.Linear.spec]")
    log, runs = term.grade("--explain")
    assert runs == 4, log
    assert (f"{term.ids[0]}: graded again: "
            f"what the checks read from course.toml (Linear) changed") in log
    graders = {r["grader"] for r in term.book().values() if r["status"] == "graded"}
    assert len(graders) == 1  # graded alike: one record
    log, runs = term.grade("--regrade", term.ids[2])
    assert runs == 1 and "--regrade (1)" in log, log


@pytest.mark.parametrize("part", ["grader", "reference", "data", "options", "command"])
def test_code_reference_data_options_and_command_grade_again(part):
    stored = {"grader": "g", "checks": {"*": "s", "Linear": "l"},
              "points": {"units": {"Linear": 10}}, "feedback": "f", "reference": "r", "data": "d",
              "options": {"seed": 1}, "command": "grade"}
    current = json.loads(json.dumps(stored))
    current[part] = "changed"
    action, parts, why = regrade.plan(stored, current)
    assert (action, parts) == (regrade.GRADE, [part]) and provenance.PARTS[part] in why
    assert regrade.plan(stored, stored)[0] is None
    assert regrade.plan(None, current)[0] == regrade.GRADE


def test_a_real_grading_rescored_equals_grading_afresh(tmp_path):
    """The grader's own results.json: a submission whose ReLU backward is wrong, rescored
    after Linear's points change (which rescales every unit of the assignment: its total
    stays 100), matches what the grader gives afresh."""
    term = Term.__new__(Term)
    term.base, term.log, term.out = tmp_path, tmp_path / "runs.log", tmp_path / "a1"
    plain = tmp_path / "plain"
    solved(plain / "m")
    layers = plain / "m" / "nn100" / "layers.py"
    layers.write_text(layers.read_text().replace("return D * mask", "return D", 1))
    term.ids = [p["canvas_id"]
                for p in as_canvas(plain, tmp_path / "a1.zip", tmp_path / "roster.csv", [ON_TIME])]
    term.course = tmp_path / "course.toml"
    shutil.copyfile(ROOT / "autograder" / "course" / "course.toml", term.course)
    real = f"{sys.executable} -m autograder grade"
    log, _ = term.grade(grader=real)
    first = term.book()[term.ids[0]]["score"]
    assert first not in ("0", "100"), log
    total = re.search(r"\ntotal = (\d+)", term.course.read_text()).group(1)
    term.edit("points = 10", "points = 13", after="[units.Linear]")
    term.edit(f"\ntotal = {total}", f"\ntotal = {int(total) + 3}")
    log, _ = term.grade(grader=real)
    assert "the points changed (1)" in log and "graded again" not in log, log
    rescored, stored = term.book()[term.ids[0]]["score"], term.result(term.ids[0])
    assert rescored != first
    log, _ = term.grade("--force", grader=real)
    fresh = term.result(term.ids[0])
    assert term.book()[term.ids[0]]["score"] == rescored
    # results.json keeps 4 decimals: a rescaled value may differ from a fresh one in the last
    assert [t["name"] for t in stored["tests"]] == [t["name"] for t in fresh["tests"]]
    for old, new in zip(stored["tests"], fresh["tests"], strict=True):
        assert old["score"] == pytest.approx(new["score"], abs=2e-4), old["name"]
        assert old["max_score"] == pytest.approx(new["max_score"], abs=2e-4), old["name"]
    assert stored["score"] == pytest.approx(fresh["score"], abs=1e-3)
