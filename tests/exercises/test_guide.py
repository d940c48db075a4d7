"""The student guide lists every exercise, the grader's points, and how to check and submit."""
import os
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from autograder import course
from guide_tables import key, problems

ROOT = Path(__file__).resolve().parents[2]
GUIDE = (ROOT / "exercises" / "README.md").read_text()


def grader_points() -> dict[str, float]:
    """Points per unit, summed from `python -m autograder list-tests --points`."""
    result = subprocess.run([sys.executable, "-m", "autograder", "list-tests", "--points"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    assert result.returncode == 0, result.stderr
    points = defaultdict(float)
    for line in result.stdout.splitlines():
        value, name = line.split(None, 1)
        points[name.split(":")[0]] += float(value)
    return points


def test_the_guide_tables_are_the_course_table():
    assert problems(GUIDE, course.load()) == []


def test_the_grader_scores_what_the_course_table_says():
    found = grader_points()
    expected = course.load().points()
    assert found.keys() == expected.keys()
    for unit, points in expected.items():
        # list-tests prints three decimals per test
        assert abs(found[unit] - points) < 0.01, f"{unit}: grader {found[unit]}, course {points}"


def test_numbers_sort_numerically_and_multi_digit_numbers_are_read():
    assert sorted(["2.10", "10.1", "2.9", "1.1"], key=key) == ["1.1", "2.9", "2.10", "10.1"]
    table = course.load()
    # the guide with one row renumbered to two digits no longer matches, and says where
    renumbered = GUIDE.replace("| 5.2 | AdamOptimizer.update |", "| 5.12 | AdamOptimizer.update |")
    assert renumbered != GUIDE
    found = problems(renumbered, table)
    assert "5.12: in the guide, not in the course" in found, found


@pytest.mark.parametrize("edit, reported", [
    ((re.compile(r"^\| 1\.4 \|.*\n", re.M), ""), "exercises: the guide lists"),
    (("| Linear | 1.1, 1.2 | 10 |", "| Linear | 1.1, 1.2 | 11 |"), "Linear: 11 points"),
    (("### Points (171 in all)", "### Points (170 in all)"), "the heading says 170"),
    (("| **3** | **More layers** |", "| **3** | **Layers** |"), "chapter 3"),
    (("| Tanh | 3.1, 3.2 | 4 |\n", ""), "points: the guide lists the units"),
])
def test_a_guide_that_drifted_from_the_course_is_reported(edit, reported):
    old, new = edit
    edited = (old.sub(new, GUIDE, count=1) if isinstance(old, re.Pattern)
              else GUIDE.replace(old, new))
    assert edited != GUIDE, f"the guide no longer has {old!r}: update this test's example"
    found = problems(edited, course.load())
    assert any(reported in problem for problem in found), found


def test_the_guide_says_how_to_check_and_submit():
    for command in ["make check", "make check EX=1.2", "make submit", "gradcheck("]:
        assert command in GUIDE, command


def test_only_numpy_is_stated_once_where_students_start():
    assert GUIDE.count("Only numpy is available") == 1
    assert GUIDE.index("Only numpy is available") < GUIDE.index("## How to work")


# The guide teaches the idea of each step it asks for, in words; the formulas are the
# docstrings' and the students' to derive.
IDEAS = ["**Why momentum.**", "**Why Adam, and why it corrects its averages.**",
         "**Softmax and cross-entropy, taken together.**", "Why shuffle",
         "Run it with the course's Python"]
FLAT_GUIDE = " ".join(GUIDE.split())  # line breaks fall anywhere
FORMULAS = ["1 - b1", "1 - beta", "b1 ** t", "beta1 **", "sqrt(v", "m / ", "P - Y",
            "softmax(Z) -", "probabilities - ", "g + momentum"]


@pytest.mark.parametrize("idea", IDEAS)
def test_the_guide_explains_the_idea(idea):
    assert idea in FLAT_GUIDE


@pytest.mark.parametrize("formula", FORMULAS)
def test_the_guide_gives_no_optimizer_or_loss_formula(formula):
    assert formula not in FLAT_GUIDE
