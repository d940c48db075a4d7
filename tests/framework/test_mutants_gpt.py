"""The tests of chapters 8 and 9 catch realistic mistakes: each mutant of
tests/grader/mutants_gpt.py, applied to a copy of the reference, makes test_attention.py
fail (the control, an unchanged copy passing, is below)."""
import sys
from pathlib import Path

import pytest

from test_mutants import run_module

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "grader"))
from mutants_gpt import MUTANTS, apply_mutant  # noqa: E402

UNITS = {"Embedding", "PositionalEmbedding", "GELU", "CausalSelfAttention", "TransformerBlock",
         "AdamWOptimizer", "clip_grad_norm"}


def test_an_unchanged_copy_passes_the_chapters_tests(tmp_path):
    root = apply_mutant(("control", "GELU", "attention.py",
                         "import numpy as np", "import numpy as np"),
                        tmp_path / "root")
    result = run_module("test_attention.py", root)
    assert result.returncode == 0, result.stdout[-2000:]


def test_every_unit_has_at_least_three_mutants():
    units = [m[1] for m in MUTANTS]
    counts = {unit: units.count(unit) for unit in set(units)}
    assert set(counts) == UNITS
    assert min(counts.values()) >= 3, counts


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m[0] for m in MUTANTS])
def test_framework_tests_catch_the_mutant(mutant, tmp_path):
    result = run_module("test_attention.py", apply_mutant(mutant, tmp_path / "root"))
    assert result.returncode == 1, f"mutant {mutant[0]} survived:\n{result.stdout[-2000:]}"
