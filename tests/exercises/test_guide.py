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
    (("### Points (168 in all)", "### Points (170 in all)"), "the heading says 170"),
    (("| **3** | **More layers** |", "| **3** | **Layers** |"), "chapter 3"),
    (("| Tanh | 3.1, 3.2 | 4 |\n", ""), "points: the guide lists the units"),
])
def test_a_guide_that_drifted_from_the_course_is_reported(edit, reported):
    old, new = edit
    edited = old.sub(new, GUIDE, count=1) if isinstance(old, re.Pattern) else GUIDE.replace(old, new)
    assert edited != GUIDE, f"the guide no longer has {old!r}: update this test's example"
    found = problems(edited, course.load())
    assert any(reported in problem for problem in found), found


def test_the_guide_says_how_to_check_and_submit():
    for command in ["make check", "make check EX=1.2", "make submit", "gradcheck("]:
        assert command in GUIDE, command
