"""Hostile submissions: none raises its score above what its honest part earns, none
leaves a process behind, none stops the grading."""
import json
import os

import pytest

from autograder import course
from autograder.grading import grade
from autograder import sandbox
from grader_support import CONVERGENCE, leftover_processes, unit_table
from hostile import (EXPECT, HOSTILE, MARKER, MUST_FAIL, NUMERIC_RESIDUAL, REPO,
                     WITHOUT_CONVERGENCE, apply_hostile)

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
    points = grade.load_points()
    units = sorted(set(points) - CONVERGENCE) if name in WITHOUT_CONVERGENCE else None
    result = grade.grade(root, seed=7, timeout=TIMEOUT, units=units)

    planned = grade.selected(grade.plan(course.load(), 7), units)
    assert len(result.outcomes) == sum(len(p.checks) for p in planned)
    earned = unit_table(result)
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


# What the numeric routes of NUMERIC_RESIDUAL earn (seed 9), as autograder/README.md gives
# it ("What it does not enforce"): the elementwise losses, MaxPool2D and Dropout keep every
# point their twins with a zero gradient lose.  A route the grader learns to tell stops
# matching here, and belongs in NUMERIC_BACKWARD (test_grader_honesty.py).
RESIDUAL_EARNS = {"mse_loss": (4.0, 1.33), "bce_loss": (4.0, 1.2),
                  "bce_with_logits_loss": (5.0, 1.5), "MaxPool2D": (5.0, 0.91),
                  "Dropout": (5.0, 4.09)}


def test_numeric_routes_the_grader_cannot_tell_earn_what_the_readme_says(tmp_path):
    cheat = [p for patches, _, _ in NUMERIC_RESIDUAL.values() for p in patches]
    twin = [p for _, patches, _ in NUMERIC_RESIDUAL.values() for p in patches]
    units = [u for _, _, names in NUMERIC_RESIDUAL.values() for u in names]
    scores = [unit_table(grade.grade(apply_hostile((name, patches), tmp_path / name), seed=9,
                                     timeout=TIMEOUT, units=units))
              for name, patches in (("cheat", cheat), ("twin", twin))]
    found = {u: (scores[0][u], round(scores[1][u], 2)) for u in units}
    assert found == RESIDUAL_EARNS
