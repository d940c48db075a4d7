"""The tests of chapters 6 and 7 catch realistic mistakes: each mutant of
tests/grader/mutants_conv.py, applied to a copy of the reference, makes the test module
of its file fail (the control, an unchanged copy passing, is in test_mutants.py)."""
import sys
from pathlib import Path

import pytest

from test_mutants import run_module

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "grader"))
from mutants_conv import MUTANTS, apply_mutant  # noqa: E402

MODULE_OF_FILE = {"norm.py": "test_norm.py", "conv.py": "test_conv.py"}


def test_an_unchanged_copy_passes_the_chapters_tests(tmp_path):
    root = apply_mutant(("control", "Conv2D", "conv.py",
                         "import numpy as np", "import numpy as np"),
                        tmp_path / "root")
    for module in sorted(set(MODULE_OF_FILE.values())):
        result = run_module(module, root)
        assert result.returncode == 0, result.stdout[-2000:]


def test_every_unit_has_at_least_three_mutants():
    units = [m[1] for m in MUTANTS]
    counts = {unit: units.count(unit) for unit in set(units)}
    assert set(counts) == {"BatchNorm", "LayerNorm", "Conv2D", "MaxPool2D", "Flatten", "Residual"}
    assert min(counts.values()) >= 3, counts


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m[0] for m in MUTANTS])
def test_framework_tests_catch_the_mutant(mutant, tmp_path):
    result = run_module(MODULE_OF_FILE[mutant[2]], apply_mutant(mutant, tmp_path / "root"))
    assert result.returncode == 1, f"mutant {mutant[0]} survived:\n{result.stdout[-2000:]}"
