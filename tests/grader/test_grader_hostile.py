"""Hostile submissions: none raises its score above what its honest part earns, none
leaves a process behind, none stops the grading."""
import json
import os

import pytest

from autograder import course
from autograder.grading import grade
from autograder import sandbox
from grader_support import CONVERGENCE, leftover_processes, unit_table
from hostile import EXPECT, HOSTILE, MARKER, MUST_FAIL, REPO, apply_hostile

TIMEOUT = 3.0  # seconds per check: keeps the hanging cases short, the honest ones safe


def test_enough_hostile_kinds():
    assert len(HOSTILE) >= 12
    assert set(EXPECT) == {name for name, _ in HOSTILE}


@pytest.mark.parametrize("entry", HOSTILE, ids=[e[0] for e in HOSTILE])
def test_hostile_submission_is_contained(entry, tmp_path):
    name, _ = entry
    protections = " ".join(sandbox.protections(sandbox.Limits()))
    if name == "kill_the_grader" and "signals" not in protections and "uid" not in protections:
        pytest.skip("neither signal scoping nor a user switch on this machine")
    root = apply_hostile(entry, tmp_path / "submission")
    result = grade.grade(root, seed=7, timeout=TIMEOUT)

    assert len(result.outcomes) == sum(len(p.checks) for p in grade.plan(course.load(), 7))
    earned, points = unit_table(result), grade.load_points()
    expect = EXPECT[name]
    zero = list(points) if expect.get("zero") == "*" else expect.get("zero", [])
    for unit in zero:
        assert earned[unit] == 0, f"{name}: {unit} earned {earned[unit]}"
    for unit in expect.get("lose", []):
        assert earned[unit] < points[unit], f"{name}: {unit} kept full marks"
    for unit in set(points) - set(zero) - set(expect.get("lose", [])) - CONVERGENCE:
        assert earned[unit] == points[unit], f"{name}: {unit} lost points it should keep"
    if name in MUST_FAIL:
        unit, word = MUST_FAIL[name]
        targeted = [o for o in result.outcomes if o.check.unit == unit and word in o.check.title]
        assert targeted and not any(o.passed for o in targeted), f"{name}: a cheat earned points"
    assert not [o for o in result.outcomes if "internal grader error" in o.text]
    ours = [f"{sandbox.SANDBOX_PREFIX}{os.getpid()}-"]  # this test's sandboxes only
    if name == "spawn_processes_that_outlive":
        ours.append(MARKER)  # `sleep 987.654`, exec'd in a new session
    assert leftover_processes(*ours) == []

    if name == "write_results_everywhere":
        for folder in (REPO, REPO / "build" / "grade", tmp_path, tmp_path / "submission"):
            path = folder / "results.json"
            if path.exists():
                data = json.loads(path.read_text())
                assert data.get("tests") != [], f"a forged results.json appeared at {path}"
