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
    assert sorted(graded) == sorted(c.units)
    # every convergence problem is a unit of its own, in exactly one assignment
    problems = [u for u in graded if c.units[u].kind == "convergence"]
    assert sorted(problems) == sorted(checks_convergence.PROBLEMS)
    for number, a in c.assignments.items():
        chosen = assignments.select(number)
        assert abs(sum(chosen.points.values()) - a.total) < 1e-9
        assert set(chosen.units) == set(a.units)
    assert sum(c.units[u].points for u in graded) == c.total
    assert assignments.select(None).points is None  # no --assignment: the points table as it is


def test_each_convergence_problem_is_a_unit_with_its_own_jobs_and_check():
    table = course.load()
    for name, (job_names, family, _title) in checks_convergence.PROBLEMS.items():
        p = grade.unit_plan(table, grade.DEFAULT_SEED, name)
        assert [c.family for c in p.checks] == [family]
        assert [j.id for j in p.jobs] == [f"{name}/{job}" for job in job_names]
        assert (p.extra is not None) == (checks_convergence.CURVES_JOB in job_names)
    assert "ConvNet" in grade.unit_plan(table, grade.DEFAULT_SEED, "fit_convnet").checks[0].title


def test_a_convergence_unit_naming_no_problem_is_refused():
    raw = table()
    raw["units"]["fit_nothing"] = dict(raw["units"]["fit_digits"])
    raw["course"]["total"] += raw["units"]["fit_digits"]["points"]
    with pytest.raises(course.CourseError, match="fit_nothing.*no problem has that name"):
        grade.plan(course.parse(raw), grade.DEFAULT_SEED)


@pytest.mark.parametrize("edit, message", [
    (lambda t: t["assignments"][0].update(total=0), "total must be > 0"),
    (lambda t: t["assignments"][1].update(convergence=["linear_regression"]),
     r"assignment 2 has unknown keys \['convergence'\]"),
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
