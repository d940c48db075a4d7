"""Assignments in the course table: what --assignment N grades, and the table's checks."""
from autograder.course import tomllib  # tomli on Python 3.10

import pytest

from autograder.course import assignments
from autograder.grading.families import convergence as checks_convergence
from autograder import course
from autograder.grading import grade
from classgrading_support import ROOT


def table():
    return tomllib.loads((ROOT / "autograder" / "course" / "course.toml").read_text())


def test_the_assignments_share_out_the_whole_course():
    c = course.load()
    graded = [u for a in c.assignments.values() for u in a.units]
    assert sorted(graded) == sorted(u for u in c.units if c.units[u].kind != "convergence")
    problems = [p for a in c.assignments.values() for p in a.convergence]
    assert sorted(problems) == sorted(checks_convergence.PROBLEMS)
    for number, a in c.assignments.items():
        chosen = assignments.select(number)
        assert abs(sum(chosen.points.values()) - a.total) < 1e-9
        assert set(chosen.units) == set(a.units) | ({"Convergence"} if a.convergence else set())
    # the raw points of the assignments add up to the whole course's
    raw = sum(c.units[u].points for u in graded) + c.units["Convergence"].points
    assert raw == c.total
    assert assignments.select(None).points is None  # no --assignment: the points table as it is


def test_the_convergence_plan_is_cut_to_an_assignments_problems():
    plans = {p.unit: p for p in grade.plan(course.load(), grade.DEFAULT_SEED)}
    full = plans["Convergence"]
    assert len(full.checks) == len(checks_convergence.PROBLEMS)
    only = grade.selected([full], None, ["linear_regression"])[0]
    assert [j.id for j in only.jobs] == ["Convergence/linreg"]
    assert [c.title for c in only.checks] == ["linear regression recovers the true weights"]
    assert only.extra is None  # the loss curves come from the x1*x2 problem
    # each problem alone keeps its own check and jobs, whatever order PROBLEMS lists them in
    for name, job_names in checks_convergence.PROBLEMS.items():
        alone = grade.selected([full], None, [name])[0]
        assert [c.key for c in alone.checks] == [name]
        assert [j.id for j in alone.jobs] == [f"Convergence/{job}" for job in job_names]
        assert (alone.extra is not None) == (name == checks_convergence.CURVES_PROBLEM)
    titles = {name: grade.selected([full], None, [name])[0].checks[0].title
              for name in checks_convergence.PROBLEMS}
    assert "ConvNet" in titles["convnet"] and "digits:" in titles["digits"]


@pytest.mark.parametrize("edit, message", [
    (lambda t: t["assignments"][0].update(total=0), "total must be > 0"),
    (lambda t: t["assignments"][1].update(convergence=["linear_regression", "nope"]), "names 'nope'"),
    (lambda t: t["assignments"][2].update(convergence=["linear_regression"]), "in both assignment 2 and assignment 3"),
    (lambda t: t["assignments"][4].update(convergence=[]), "belong to no assignment"),
    (lambda t: t["assignments"][0].pop("total"), "has no 'total'"),
])
def test_mistakes_in_the_assignments_are_named(edit, message):
    broken = table()
    edit(broken)
    with pytest.raises(course.CourseError, match=message):
        course.parse(broken)


def test_an_unknown_assignment_is_refused_with_the_known_ones():
    known = ", ".join(str(n) for n in course.load().assignments)
    unknown = max(course.load().assignments) + 1
    with pytest.raises(ValueError, match=rf"assignments \[{known}\], not {unknown}"):
        assignments.select(unknown)


def test_the_late_policy_is_validated():
    broken = table()
    broken["late"]["cap"] = 150
    with pytest.raises(ValueError, match="at most 100"):
        course.parse(broken)
    policy = course.parse(table()).late
    from datetime import datetime, timezone
    due = datetime(2026, 9, 14, 23, 59, tzinfo=timezone.utc)
    assert policy.days_late(datetime(2026, 9, 15, 0, 10, tzinfo=timezone.utc), due) == 0   # grace
    assert policy.days_late(datetime(2026, 9, 15, 0, 20, tzinfo=timezone.utc), due) == 1
    assert policy.penalty(9) == 50  # capped
