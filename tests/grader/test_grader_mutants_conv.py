"""Every realistic mistake of chapters 6 and 7 (mutants_conv.py) loses points in the unit it
breaks, and only there.

Their code (conv.py, norm.py) is used by no earlier unit, so each submission is graded on
the chapters' units alone, which keeps the test short: the mutants are packed a few to a
submission, each from a different unit (units are graded in isolation).
"""
import pytest

from autograder import course, grade
from grader_support import graded_once, unit_table
from mutants import apply_mutants
from mutants_conv import MUTANTS
from test_grader_honesty import answers_in, solution_lines
from test_grader_mutants import check_hinted

UNITS = [name for name, unit in course.load().units.items() if unit.assignment in (6, 7)
         and unit.kind != "convergence"]


def groups() -> list[list]:
    """Submissions of one mutant per unit, as few as the largest unit's count."""
    count = max(sum(m[1] == unit for m in MUTANTS) for unit in UNITS)
    packed: list[list] = [[] for _ in range(count)]
    for unit in UNITS:
        for k, mutant in enumerate(m for m in MUTANTS if m[1] == unit):
            packed[k].append(mutant)
    return packed


GROUPS = groups()


def test_at_least_three_mutants_for_each_unit_of_the_chapters():
    assert {m[1] for m in MUTANTS} == set(UNITS)
    assert all(sum(m[1] == unit for m in MUTANTS) >= 3 for unit in UNITS)
    assert sorted(m[0] for g in GROUPS for m in g) == sorted(m[0] for m in MUTANTS)


@pytest.mark.parametrize("index", range(len(GROUPS)),
                         ids=["+".join(m[0] for m in g) for g in GROUPS])
def test_chapter_mutants_lose_points_in_their_units_only(index):
    mutants = GROUPS[index]
    result = graded_once(("mutants_conv", index), lambda root: apply_mutants(mutants, root),
                         seed=5, units=UNITS)
    earned, points = unit_table(result), grade.load_points()
    for name, unit, *_ in mutants:
        assert earned[unit] < points[unit], f"{name} was not caught"
    broken = {m[1] for m in mutants}
    elsewhere = {u: e for u, e in earned.items() if u not in broken and e < points[u]}
    assert elsewhere == {}, f"{[m[0] for m in mutants]} cost points outside their units"
    check_hinted(result, broken)
    lines = solution_lines()  # the feedback names concepts, never the answer
    assert [o.text for o in result.outcomes if answers_in(o.text, lines)] == []
