"""The student guide lists every exercise, the grader's points, and how to check and submit."""
import os
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from tools.student_exercises import EXERCISES

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


def guide_points() -> dict[str, tuple[str, float]]:
    """{unit: (exercises, points)} from the guide's Points table."""
    section = GUIDE[GUIDE.index("### Points"):]
    rows = re.findall(r"^\| (\w+) \| ([^|]+) \| (\d+) \|$", section, re.MULTILINE)
    return {unit: (exercises.strip(), float(points)) for unit, exercises, points in rows}


def test_the_guide_points_are_the_graders():
    found, expected = guide_points(), grader_points()
    assert set(found) == set(expected), (set(found), set(expected))
    for unit, (_, points) in found.items():
        assert abs(points - expected[unit]) < 0.05, f"{unit}: guide {points}, grader {expected[unit]}"
    total = re.search(r"### Points \((\d+) in all\)", GUIDE).group(1)
    assert abs(float(total) - sum(expected.values())) < 0.05


def test_the_guide_lists_every_exercise_in_order_under_its_unit():
    listed = [number for number in re.findall(r"^\| (\d\.\d)", GUIDE, re.MULTILINE)]
    listed += [n for pair in re.findall(r"^\| (\d\.\d), (\d\.\d) \|", GUIDE, re.MULTILINE) for n in pair]
    assert sorted(set(listed)) == [e.number for e in EXERCISES]
    units = guide_points()
    for exercise in EXERCISES:
        assert exercise.number in units[exercise.unit][0].split(", "), exercise


def test_the_guide_says_how_to_check_and_submit():
    for command in ["make check", "make check EX=1.2", "make submit", "gradcheck("]:
        assert command in GUIDE, command
