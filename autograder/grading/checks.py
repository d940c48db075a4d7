"""Trusted side: what a check is, and the comparisons every check family shares.

A unit (``Linear``, ``mse_loss``, ...) is a list of jobs for the sandbox plus a list of
checks.  Each check's ``judge`` receives the job results (plain arrays) and either
returns a short note (passed) or raises ``Fail`` with what was checked, the measured
error, the bound and, through ``Check.hint``, the concept to revisit (course.toml holds
the hints, by unit and check family).  Expected values are computed here, in the grader's
process, from the reference; they never reach a child.

A check that judges a property (no mutation, accumulation, float32, ...) *needs* the
unit's value checks: when one of them fails, the property check is "not judged" rather
than passed on values that are wrong anyway (a backward returning zeros "accumulates"
perfectly) or failed with a hint about a mistake the student did not make.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..sandbox import JobStatus

# Bounds, calibrated on the reference (see README.md for its own errors):
MATCH = 1e-9        # float64 result against the reference, relative to the largest value
FD_BOUND = 1e-6     # analytic gradient against central differences, relative
FD_STEP = 1e-6      # central-difference step h, in float64
FLOAT32 = 1e-4      # float32 result against the float64 reference, relative
MAX_FORWARD_CALLS = 1  # forward calls a backward may make (recomputing once is legal)
NOT_JUDGED = "not judged"
NUMERIC_LOOKING = 1e-5  # gradient errors below this, above a tight bound: numeric, not analytic


class Fail(Exception):
    """A check did not pass; the message is shown to the student, with the check's hint
    unless ``hint=False`` (the message already says what is wrong, and the usual hint
    would point at a mistake the student did not make)."""

    def __init__(self, message: str = "", hint: bool = True):
        super().__init__(message)
        self.show_hint = hint


class NotJudged(Fail):
    """A check could not be judged because something it stands on fails (no hint)."""


@dataclass
class Check:
    unit: str
    title: str
    judge: Callable[[dict], str]
    family: str = ""       # the hint and visibility key in course.toml ([units.X.hints])
    weight: int = 1
    needs: tuple = ()      # keys of checks of the same unit that must pass first
    key: str = ""          # unique within the unit; defaults to the family
    uses: tuple = ()       # units this check stands on (named when they fail their checks)
    hint: str = ""         # the concept to revisit, from the course (set when planned)
    visibility: str = "visible"  # Gradescope's visibility, from the course (set when planned)

    def __post_init__(self):
        self.key = self.key or self.family

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
    hint: str = ""           # the hint appended to ``text`` (grade-all rebuilds it when it changes)
    hint_allowed: bool = False  # a failure whose message takes the check's hint


def run_judge(check: Check, results: dict) -> Outcome:
    try:
        return Outcome(check, True, check.judge(results) or "passed")
    except NotJudged as failure:
        return Outcome(check, False, f"{NOT_JUDGED}: {failure}")
    except Fail as failure:
        text = str(failure)
        hint = check.hint if failure.show_hint else ""
        if hint:
            text += f"\nHint: {hint}"
        return Outcome(check, False, text, hint=hint, hint_allowed=failure.show_hint)
    except Exception as exc:  # a grader bug must not crash the grading of the others
        return Outcome(check, False, f"internal grader error while judging: "
                                     f"{type(exc).__name__}: {exc}")


def judge_all(checks: list[Check], results: dict) -> list[Outcome]:
    """Every check's outcome, in the given order; a check whose ``needs`` fail is not
    judged, and says which value check fails first (the root of the chain)."""
    by_key = {c.key: c for c in checks}
    done: dict = {}

    def outcome(check: Check) -> Outcome:
        if check.key not in done:
            for key in check.needs:
                first = outcome(by_key[key])
                if not first.passed:
                    text = (first.text if first.text.startswith(NOT_JUDGED) else
                            f"{NOT_JUDGED}: '{first.check.title}' fails first")
                    done[check.key] = Outcome(check, False, text.splitlines()[0])
                    break
            else:
                done[check.key] = run_judge(check, results)
        return done[check.key]

    return [outcome(c) for c in checks]


def judged_failure(outcome: Outcome) -> bool:
    """A failure the check itself established (not one it inherits or could not run)."""
    return not outcome.passed and not outcome.text.startswith((NOT_JUDGED, "not run"))


def headline_first(outcomes: list[Outcome]) -> list[Outcome]:
    """One unit's outcomes with its headline first: the first failure a check established,
    not a "not judged" that only points at it (the terminal table and results.json show
    the unit's first failing check as its diagnosis).  Otherwise in the given order."""
    lead = next((o for o in outcomes if judged_failure(o)), None)
    return outcomes if lead is None else [lead] + [o for o in outcomes if o is not lead]


def blame(outcomes: list[Outcome]) -> None:
    """Name the likely culprit in a failed check that stands on other units (convergence):
    the units it uses that fail their own checks.  Scores are unchanged."""
    failing = {o.check.unit for o in outcomes if not o.passed and not o.check.uses}
    for o in outcomes:
        culprits = [u for u in o.check.uses if u in failing]
        if not o.passed and culprits and not o.text.startswith("not run"):
            lead = (f"This problem uses {', '.join(culprits)}, whose own checks fail: "
                    f"fix {'it' if len(culprits) == 1 else 'them'} first.")
            o.text = f"{lead}\n{o.text}"


def need(results: dict, job_id: str):
    """The job's result when it ran to completion, else Fail with why it did not."""
    result = results.get(job_id)
    if result is None:
        raise Fail("this check did not run")
    if result.status == JobStatus.OK:
        return result
    if result.status == JobStatus.ERROR:
        raise Fail(raised(result.message))
    return_text = result.message or result.status
    raise Fail(return_text)


def array(result, name: str, what: str) -> np.ndarray:
    """A returned array as plain float64, or Fail when the code returned none."""
    if name not in result.arrays:
        if result.info.get("error"):
            raise Fail(raised(result.info["error"]))
        raise Fail(f"{what}: nothing was returned")
    return np.asarray(result.arrays[name], dtype=np.float64)


# Where the child's traceback left the submission: "(nn100/layers.py, line 95)" at the end.
WHERE = re.compile(r"^(?P<error>.*?) \((?P<file>nn100/[^()]*?\.py), line (?P<line>\d+)\)\s*$",
                   re.S)


def raised(error: str, doing: str = "") -> str:
    """What to say of an exception the child reported: the student's file and line come
    first, so a one-line summary keeps them ("your code raised ValueError
    (nn100/layers.py, line 95): operands could not be broadcast ..."); ``doing``, e.g.
    " adding ...", follows the place."""
    error = str(error).strip()
    found = WHERE.match(error)
    if not found:
        return f"your code raised {error}" + (f" ({doing.strip()})" if doing else "")
    kind, _, message = found["error"].partition(": ")
    where = f"{kind} ({found['file']}, line {found['line']}){doing}"
    return f"your code raised {where}: {message}" if message else f"your code raised {where}"


def rel_error(got: np.ndarray, expected: np.ndarray) -> float:
    """The largest error relative to the largest expected value.  Deliberately not the
    norm-based gradcheck.relative_error: a bound on it holds for every element alike,
    so one wrong element among many right ones cannot be averaged away."""
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


# What the container checks (Sequential, Residual) call on the container, in this order.
MODES = ("eval", "train", "eval")


def check_modes(found, count: int, what: str) -> None:
    """Judge the training flags of the ``count`` layers inside a container, recorded by the
    child after each call of MODES on it (a list of flags per call): every layer must
    follow every call. ``what`` names the container, as "model.eval() on <what>"."""
    for k, mode in enumerate(MODES):
        want = [mode == "train"] * count
        if not isinstance(found, list) or len(found) <= k or found[k] != want:
            got = found[k] if isinstance(found, list) and len(found) > k else "nothing"
            raise Fail(f"after model.{mode}() on {what}, the layers' training flags are "
                       f"{got}, expected {want}")


class Worst:
    """Collects comparisons over all cases and reports the worst, not the first.

    ``worst.compare(...)`` never raises; ``worst.verdict()`` raises Fail naming every
    quantity that is wrong and the case where each is worst, or returns the pass note.
    """

    def __init__(self, bound: float = MATCH):
        self.bound = bound
        self.errors: list[float] = []
        self.wrong: dict = {}   # quantity -> (error, where, message)

    def compare(self, got, expected, quantity: str, where: str, bound: float | None = None):
        bound = self.bound if bound is None else bound
        try:
            self.errors.append(compare(got, expected, f"{quantity} for {where}", bound))
        except Fail as failure:
            expected = np.asarray(expected, dtype=np.float64)
            got = np.asarray(got, dtype=np.float64)
            error = (rel_error(got, expected) if got.shape == expected.shape
                     and np.all(np.isfinite(got)) else np.inf)
            if quantity not in self.wrong or error > self.wrong[quantity][0]:
                self.wrong[quantity] = (error, where, str(failure))

    def verdict(self) -> str:
        if self.wrong:
            text = "\n".join(message for _, _, message in self.wrong.values())
            worst = max(error for error, _, _ in self.wrong.values())
            if self.bound < NUMERIC_LOOKING and worst < NUMERIC_LOOKING:
                text += ("\n(an error this small, yet far above rounding, is what finite "
                         "differences give: backward must compute the exact derivative)")
            raise Fail(text)
        return passed(self.errors, self.bound)


def same(got: np.ndarray, expected, what: str) -> None:
    """Bit-for-bit equality (for inputs that must come back unchanged)."""
    expected = np.asarray(expected)
    if got.shape != expected.shape or not np.array_equal(got, expected):
        raise Fail(f"{what} was modified (it must be left as it was given)")


def dtype_of(result, name: str, what: str) -> str:
    if name not in result.arrays:
        array(result, name, what)  # raises the reason
    return str(result.arrays[name].dtype)


def require_float32(result, names: dict, given: str) -> None:
    """Each array ``name`` of ``names`` (name -> what it is) came back float32, for
    float32 ``given`` ("inputs", "weights"); else Fail naming the first that did not."""
    for name, what in names.items():
        found = dtype_of(result, name, what)
        if found != "float32":
            raise Fail(f"{what}: dtype {found} for float32 {given} (expected float32)")


def passed(errors, bound: float) -> str:
    worst = max(errors) if errors else 0.0
    return f"largest relative error {worst:.1e} (bound {bound:.0e})"


def scope(shape) -> str:
    return "x".join(str(n) for n in shape)
