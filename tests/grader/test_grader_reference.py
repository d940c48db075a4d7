"""The reference earns full marks on every seed, the stubs exactly 0, and grading repeats."""
import pytest

from autograder import course
from autograder.grading import grade
from grader_support import EXERCISES, make_stubs

SEEDS = [grade.DEFAULT_SEED] + list(range(1, 20))


@pytest.mark.parametrize("seed", SEEDS)
def test_reference_scores_full_marks(seed):
    result = grade.grade(grade.reference.SOLUTIONS.parent, seed=seed)
    failed = [f"{o.check.name}: {o.text}" for o in result.outcomes if not o.passed]
    assert failed == []
    assert result.score == result.max_score == course.load().total


def test_fallback_stubs_score_zero_without_grader_error(tmp_path):
    result = grade.grade(make_stubs(tmp_path), seed=3)
    assert result.score == 0
    assert all(not o.passed for o in result.outcomes)
    assert not [o for o in result.outcomes if "internal grader error" in o.text]
    # each check either meets the stub or stands on one that did
    assert all("NotImplementedError" in o.text or o.text.startswith("not judged: '")
               for o in result.outcomes)


@pytest.mark.skipif(not (EXERCISES / "__init__.py").is_file(), reason="exercises/ not generated")
def test_generated_exercises_score_zero():
    result = grade.grade(EXERCISES.parent)
    assert result.score == 0
    assert not [o for o in result.outcomes if "internal grader error" in o.text]


def test_same_submission_same_result(tmp_path):
    from mutants import MUTANTS, apply_mutant
    mutant = next(m for m in MUTANTS if m[0] == "dropout_not_inverted")
    root = apply_mutant(mutant, tmp_path)
    first, second = grade.grade(root), grade.grade(root)
    assert first.score == second.score < course.load().total
    assert [(o.check.name, o.passed, o.text) for o in first.outcomes] == \
           [(o.check.name, o.passed, o.text) for o in second.outcomes]
