"""Every realistic mistake loses points in the unit it breaks, and only there
(the end-to-end convergence problems aside).

Mutants are graded a dozen at a time, each from a different unit (mutants.combined()):
units are graded in isolation, so each must still cost points in its own unit while
every unit without a mutant keeps full marks.  The mistakes of chapters 6 to 9
(mutants_conv.py, mutants_gpt.py) and the broken properties (mutants_properties.py) are
packed with the others, at most one per unit in each grading, so there are as many
gradings as the unit with the most mutants has; each property mutant must fail the check
of its property.  One mutant per unit of mutants.py is also graded alone.
"""
import pytest

from autograder import course
from autograder.grading import grade
from autograder.grading.checks import judged_failure
from grader_support import CONVERGENCE, graded_once, unit_table
from mutants import MUTANTS, apply_mutant, apply_mutants, combined
from mutants_conv import MUTANTS as CONV_MUTANTS  # conv.py, norm.py
from mutants_gpt import MUTANTS as GPT_MUTANTS  # attention.py, AdamW and clipping
from mutants_properties import MUTANTS as PROPERTY_MUTANTS, PROPERTY  # closures, state

# TransformerBlock's mutants are not graded here: the block is given code, composed of
# graded units (tests/framework/test_mutants_gpt.py holds its tests to them).
CHAPTER_MUTANTS = CONV_MUTANTS + [m for m in GPT_MUTANTS if m[1] in course.load().units]
GROUPS = combined(MUTANTS + CHAPTER_MUTANTS + PROPERTY_MUTANTS)
ALONE = list({m[1]: m for m in reversed(MUTANTS)}.values())  # the first mutant of each unit


def test_enough_mutants_covering_every_unit():
    assert len(MUTANTS) >= 30
    assert len({m[0] for m in MUTANTS}) == len(MUTANTS)
    chapters = {m[1] for m in CHAPTER_MUTANTS}
    assert {m[1] for m in MUTANTS} | chapters == set(course.load().units) - CONVERGENCE
    everything = MUTANTS + CHAPTER_MUTANTS + PROPERTY_MUTANTS
    assert sorted(m[0] for g in GROUPS for m in g) == sorted(m[0] for m in everything)
    assert all(sum(m[1] == unit for m in CHAPTER_MUTANTS) >= 3 for unit in chapters)
    assert sorted(PROPERTY) == sorted(m[0] for m in PROPERTY_MUTANTS)
    assert {"closures", "mutation", "state"} <= set(PROPERTY.values())


def check_caught(result, mutants):
    earned, points = unit_table(result), grade.load_points()
    broken = {m[1] for m in mutants}
    for name, unit, *_ in mutants:
        assert earned[unit] < points[unit], f"{name} was not caught"
        if name in PROPERTY:  # in the check of the property it breaks
            assert any(judged_failure(o) and o.check.family == PROPERTY[name]
                       for o in result.outcomes if o.check.unit == unit), \
                f"{name}: no judged failure of '{PROPERTY[name]}' in {unit}"
    elsewhere = {u: e for u, e in earned.items()
                 if u not in broken | CONVERGENCE and e < points[u]}
    assert elsewhere == {}, f"{[m[0] for m in mutants]} cost points outside their units"
    check_hinted(result, broken)


def check_hinted(result, broken: set) -> None:
    """No grader error; each broken unit has a judged failure with its hint, and no
    "not judged" outcome carries a hint."""
    failed = [o for o in result.outcomes if o.check.unit in broken and not o.passed]
    assert all("internal grader error" not in o.text for o in failed)
    for unit in broken:  # the mistake is named, with the concept to revisit
        judged = [o for o in failed if o.check.unit == unit and not o.text.startswith("not judged")]
        assert any("Hint:" in o.text for o in judged), f"{unit}: no judged failure with a hint"
    assert all("Hint:" not in o.text for o in failed if o.text.startswith("not judged"))


def grade_group(index: int):
    """A group's grading, shared with the test that searches the feedback for answers."""
    return graded_once(("mutants", index), lambda root: apply_mutants(GROUPS[index], root),
                       seed=5)


# One worker grades the groups once (graded_once) for this test and for the feedback test
# of test_grader_honesty, which reads the same gradings.
@pytest.mark.xdist_group("mutant-groups")
@pytest.mark.parametrize("index", range(len(GROUPS)),
                         ids=["+".join(m[0] for m in g) for g in GROUPS])
def test_mutants_lose_points_in_their_units_only(index):
    check_caught(grade_group(index), GROUPS[index])


@pytest.mark.parametrize("mutant", ALONE[::4], ids=[m[0] for m in ALONE[::4]])
def test_single_mutant(mutant, tmp_path):
    check_caught(grade.grade(apply_mutant(mutant, tmp_path), seed=11), [mutant])
