"""Trusted side: what a check is, and the comparisons every check family shares.

A unit (``Linear``, ``mse_loss``, ...) is a list of jobs for the sandbox plus a list of
checks.  Each check's ``judge`` receives the job results (plain arrays) and either
returns a short note (passed) or raises ``Fail`` with what was checked, the measured
error, the bound and, through ``Check.hint``, what usually causes it.  Expected values
are computed here, in the grader's process, from the reference; they never reach a child.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

# Bounds, calibrated on the reference (see README.md for its own errors):
MATCH = 1e-9        # float64 result against the reference, relative to the largest value
FD_BOUND = 1e-6     # analytic gradient against central differences, relative
FD_STEP = 1e-6      # central-difference step h, in float64
FLOAT32 = 1e-4      # float32 result against the float64 reference, relative
MAX_FORWARD_CALLS = 1  # forward calls a backward may make (recomputing once is legal)


class Fail(Exception):
    """A check did not pass; the message is shown to the student."""


@dataclass
class Check:
    unit: str
    title: str
    judge: Callable[[dict], str]
    hint: str = ""
    weight: int = 1

    @property
    def name(self) -> str:
        return f"{self.unit}: {self.title}"


@dataclass
class Outcome:
    check: Check
    passed: bool
    text: str
    points: float = 0.0
    max_points: float = 0.0


def run_judge(check: Check, results: dict) -> Outcome:
    try:
        return Outcome(check, True, check.judge(results) or "passed")
    except Fail as failure:
        text = str(failure)
        if check.hint:
            text += f"\nHint: {check.hint}"
        return Outcome(check, False, text)
    except Exception as exc:  # a grader bug must not crash the grading of the others
        return Outcome(check, False, f"internal grader error while judging: "
                                     f"{type(exc).__name__}: {exc}")


def need(results: dict, job_id: str):
    """The job's result when it ran to completion, else Fail with why it did not."""
    result = results.get(job_id)
    if result is None:
        raise Fail("this check did not run")
    if result.status == "ok":
        return result
    if result.status == "error":
        raise Fail(f"your code raised {result.message}")
    return_text = result.message or result.status
    raise Fail(return_text)


def array(result, name: str, what: str) -> np.ndarray:
    """A returned array as plain float64, or Fail when the code returned none."""
    if name not in result.arrays:
        if result.info.get("error"):
            raise Fail(f"your code raised {result.info['error']}")
        raise Fail(f"{what}: nothing was returned")
    return np.asarray(result.arrays[name], dtype=np.float64)


def rel_error(got: np.ndarray, expected: np.ndarray) -> float:
    scale = max(float(np.max(np.abs(expected))) if expected.size else 0.0, 1e-12)
    return float(np.max(np.abs(got - expected))) / scale if got.size else 0.0


def compare(got: np.ndarray, expected, what: str, bound: float = MATCH) -> float:
    """Shape, finiteness, then the largest error relative to the largest expected value."""
    expected = np.asarray(expected, dtype=np.float64)
    got = np.asarray(got, dtype=np.float64)
    if got.shape != expected.shape:
        raise Fail(f"{what}: shape {got.shape}, expected {expected.shape}")
    if not np.all(np.isfinite(got)):
        raise Fail(f"{what}: contains NaN or inf")
    error = rel_error(got, expected)
    if not error <= bound:
        raise Fail(f"{what}: relative error {error:.2e} exceeds the bound {bound:.0e}")
    return error


def same(got: np.ndarray, expected, what: str) -> None:
    """Bit-for-bit equality (for inputs that must come back unchanged)."""
    expected = np.asarray(expected)
    if got.shape != expected.shape or not np.array_equal(got, expected):
        raise Fail(f"{what} was modified (it must be left as it was given)")


def dtype_of(result, name: str, what: str) -> str:
    if name not in result.arrays:
        array(result, name, what)  # raises the reason
    return str(result.arrays[name].dtype)


def passed(errors, bound: float) -> str:
    worst = max(errors) if errors else 0.0
    return f"largest relative error {worst:.1e} (bound {bound:.0e})"


def scope(shape) -> str:
    return "x".join(str(n) for n in shape)
