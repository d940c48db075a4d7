"""The framework tests must catch realistic mistakes: each mutant of the grader's own
collection (tests/grader/mutants.py), applied to a copy of the reference, must make
the test module of its unit fail.
"""
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "grader"))
from mutants import MUTANTS, apply_mutant  # noqa: E402

from forked_pytest import run_module  # noqa: E402

MODULE_OF_UNIT = {"Learner": "test_learner.py", "SGDOptimizer": "test_optimizers.py",
                  "MomentumOptimizer": "test_optimizers.py", "AdamOptimizer": "test_optimizers.py"}


def module_for(unit: str) -> str:
    if unit in MODULE_OF_UNIT:
        return MODULE_OF_UNIT[unit]
    return "test_losses.py" if unit.endswith("_loss") else "test_layers.py"


def test_an_unchanged_copy_passes(tmp_path):
    """The control: the copy mechanism alone makes nothing fail."""
    root = apply_mutant(("control", "Linear", "layers.py",
                         "import numpy as np", "import numpy as np"),
                        tmp_path / "root")
    for module in sorted(set(map(module_for, ["Linear", "mse_loss", "Learner", "AdamOptimizer"]))):
        result = run_module(module, root)
        assert result.returncode == 0, result.stdout[-2000:]


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m[0] for m in MUTANTS])
def test_framework_tests_catch_the_mutant(mutant, tmp_path):
    result = run_module(module_for(mutant[1]), apply_mutant(mutant, tmp_path / "root"))
    assert result.returncode == 1, f"mutant {mutant[0]} survived:\n{result.stdout[-2000:]}"
