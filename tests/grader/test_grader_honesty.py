"""Grades that mean what they say: nothing for doing nothing, nothing for a backward that is
not backpropagation, full marks for honest code in another algebraic form, and feedback
that names the concept, never the answer."""
import re

import pytest

from autograder import course
from autograder.grading import grade
from grader_support import EXERCISES, SOLUTIONS, graded_once, unit_table
from hostile import (HONEST_ALTERNATIVES, NUMERIC_BACKWARD, apply_hostile, write_do_nothing)

PROPERTY_TITLES = ("not modified", "float32", "accumulate", "own forward", "own loss",
                   "zeroed", "same mask", "keeps each input row", "backward before update",
                   "reach every layer", "refused", "own call's values", "as given")


def test_a_submission_that_does_nothing_earns_almost_nothing():
    result = graded_once("do_nothing", write_do_nothing, seed=5)
    assert result.score <= 0.015 * course.load().total, unit_table(result)
    earned = {o.check.name for o in result.outcomes if o.passed}
    # the post's own Sequential.parameters is honestly right, and nothing else is
    assert earned == {"Sequential: parameters lists every layer's parameters in order"}
    for o in result.outcomes:
        if any(word in o.check.title for word in PROPERTY_TITLES):
            assert o.text.startswith("not judged: '"), f"{o.check.name}: {o.text}"
            assert "Hint:" not in o.text


@pytest.mark.parametrize("family", NUMERIC_BACKWARD)
def test_numeric_backward_earns_no_more_than_a_zero_backward(family, tmp_path):
    cheat, twin, units = NUMERIC_BACKWARD[family]
    # a short time limit: the per-element family spends it on the large layers; only the
    # units compared are graded, so the whole budget is theirs (the cheat's best chance)
    scores = [unit_table(grade.grade(apply_hostile((family, patches), tmp_path / name),
                                     seed=9, timeout=1.5, units=units))
              for name, patches in (("cheat", cheat), ("twin", twin))]
    for unit in units:
        assert scores[0][unit] <= scores[1][unit], f"{family}: {unit} {scores}"
    assert all(scores[0][u] < grade.load_points()[u] for u in units)


def test_honest_alternative_formulas_keep_full_marks(tmp_path):
    result = grade.grade(apply_hostile(("alternatives", HONEST_ALTERNATIVES), tmp_path), seed=4)
    assert [f"{o.check.name}: {o.text}" for o in result.outcomes if not o.passed] == []


# ---------------------------------------------------------------- feedback gives no answer

SOLUTION_BLOCK = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)
# Derivative formulas as students would write them (and as earlier hints did).
LINEAR = [r"D\s*@\s*\w*\.?T\b", r"X\.T\s*@\s*D", r"D\.sum\(axis\s*=\s*0\)"]  # the worked example
FORMULAS = LINEAR + [r"1\s*-\s*Y\s*\*\*\s*2",
            r"1\s*-\s*Y\s*\*\s*Y", r"Y\s*\*\s*\(1\s*-\s*Y\)", r"\(Yp\s*-\s*Yt\)\s*/",
            r"2\s*\*?\s*\(Yp\s*-\s*Yt\)", r"sigmoid\(Z\)\s*-\s*Yt", r"softmax\(Z\)\s*-\s*onehot",
            r"\(P\s*-\s*Yt\)\s*/", r"diag\(Y", r"Y\s*\*\s*\(D\s*-", r"gradient\.fill\(0\)",
            r"sum\(D\s*\*\s*Y", r"tanh'\(", r"sigmoid'\(", r"dX\s*=\s*D\b(?!\s*@)",
            r"m\s*/\s*\(1\s*-\s*beta1", r"D\s*\*\s*mask", r"D\s*\*\s*factor", r"slope\s*\*\s*D"]


def solution_lines() -> set:
    """Lines of the reference's solution blocks, but not those the given code has too
    (e.g. the identity layer's ``return X, lambda D: D``)."""
    lines, given = set(), set()
    for path in SOLUTIONS.glob("*.py"):
        text = path.read_text()
        for block in SOLUTION_BLOCK.findall(text):
            lines |= {line.strip() for line in block.splitlines() if len(line.strip()) > 12}
        given |= {line.strip() for line in SOLUTION_BLOCK.sub("", text).splitlines()}
    return lines - given


def answers_in(text: str, lines: set) -> list:
    found = [line for line in lines if line in text]
    return found + [f for f in FORMULAS if re.search(f, text)]


@pytest.mark.xdist_group("mutant-groups")  # the gradings test_grader_mutants makes
def test_the_mutants_feedback_names_concepts_never_answers():
    from test_grader_mutants import GROUPS, grade_group
    lines = solution_lines()
    assert len(lines) > 40
    for index in range(len(GROUPS)):
        for o in grade_group(index).outcomes:
            assert answers_in(o.text, lines) == [], f"{o.check.name}: {o.text}"


@pytest.mark.skipif(not (EXERCISES / "__init__.py").is_file(), reason="exercises/ not generated")
def test_the_stubs_state_no_derivative():
    lines = solution_lines()
    for path in EXERCISES.glob("*.py"):
        text = path.read_text()
        assert answers_in(text, lines) == [], path.name


def test_the_guide_works_out_linear_and_no_other_derivative():
    guide = (EXERCISES.parent / "README.md").read_text()
    assert all(re.search(f, guide) for f in LINEAR)
    assert [f for f in FORMULAS[len(LINEAR):] if re.search(f, guide)] == []


def test_answer_hints_appear_only_when_the_course_says_so():
    from autograder import course
    concept = course.load()
    answer = course.parse({**_table(), "course": {**_table()["course"], "hints": "answer"}})
    assert "D @ W.T" not in concept.hint("Linear", "input")
    assert "D @ W.T" in answer.hint("Linear", "input")
    for unit in concept.units.values():  # concept hints never state the answer
        for family, hint in (unit.hints or {}).items():
            assert answers_in(hint.concept, set()) == [], f"{unit.name}.{family}"


def _table():
    from autograder.course import tomllib  # tomli on Python 3.10

    from autograder import course
    with open(course.COURSE_FILE, "rb") as f:
        return tomllib.load(f)
