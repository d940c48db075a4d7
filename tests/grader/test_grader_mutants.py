"""Every realistic mistake loses points in the unit it breaks, and only there
(the end-to-end Convergence share aside)."""
import pytest

from autograder import grade
from grader_support import unit_table
from mutants import MUTANTS, apply_mutant


def test_enough_mutants_covering_every_unit():
    assert len(MUTANTS) >= 30
    assert len({m[0] for m in MUTANTS}) == len(MUTANTS)
    assert {m[1] for m in MUTANTS} == set(grade.UNITS) - {"Convergence"}


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m[0] for m in MUTANTS])
def test_mutant_loses_points_in_its_unit_only(mutant, tmp_path):
    name, unit, *_ = mutant
    result = grade.grade(apply_mutant(mutant, tmp_path), seed=5)
    earned = unit_table(result)
    points = grade.load_points()
    assert earned[unit] < points[unit], f"{name} was not caught"
    elsewhere = {u: e for u, e in earned.items()
                 if u not in (unit, "Convergence") and e < points[u]}
    assert elsewhere == {}, f"{name} cost points outside {unit}"
    failed = [o for o in result.outcomes if o.check.unit == unit and not o.passed]
    assert all("internal grader error" not in o.text for o in failed)
    assert all("Hint:" in o.text for o in failed)
