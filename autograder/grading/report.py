"""Reporting: the terminal table by unit and the Gradescope results.json."""
from __future__ import annotations

import json

from ..sandbox.atomic import atomic_write
from ..sandbox.safe_text import visible, visible_tree


def number(value) -> float:
    """A score as a float: anything unreadable or NaN counts as nothing."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return 0.0
    return x if x == x else 0.0  # NaN counts as nothing


def fmt(value) -> str:
    """The one way the grader and class grading write a score: at most two decimals,
    trailing zeros dropped (12.5, 0.33, 10), "" for None."""
    if value is None:
        return ""
    x = round(number(value), 2)  # 9.999999 of float sums reads as 10
    return str(int(x)) if x == int(x) else f"{x:.2f}".rstrip("0")


def table(grade, details: bool = False) -> str:
    """One line per unit: points earned / possible and its first failing check; whatever
    a submission wrote shows as text (safe_text.visible), never as terminal control."""
    lines = [f"{'Unit':<28} {'Points':>11}   First failing check", "-" * 100]
    for unit, (earned, possible) in grade.unit_scores.items():
        failing = [o for o in grade.outcomes if o.check.unit == unit and not o.passed]
        first = ""
        if failing:
            message = failing[0].text.splitlines()[0] if failing[0].text else ""
            first = f"{failing[0].check.title} -- {message}"
            if len(first) > 150:
                first = first[:147] + "..."
        lines.append(f"{unit:<28} {fmt(earned):>5} / {fmt(possible):<5}   {first}")
    if details:
        for o in grade.outcomes:
            if not o.passed:
                lines += ["", f"FAILED {o.check.name}", *("    " + t for t in o.text.splitlines())]
    lines += ["", "Sandbox: " + "; ".join(grade.protections),
              f"Graded in {grade.seconds:.1f} s ({', '.join(grade.notes)})",
              f"Score: {fmt(grade.score)} / {fmt(grade.max_score)}"]
    return visible("\n".join(lines))


TEST_OUTPUT_CHARS = 4000   # per test: results.json stays well under a megabyte
TOP_OUTPUT_CHARS = 8000


def bounded(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "\n[... cut]"


def results_json(grade) -> dict:
    """The Gradescope results.json schema (top-level score overrides the tests' sum).
    Each test's visibility comes from course.toml (per unit or per check family); note
    that Gradescope hides the total score from students while any test is hidden."""
    tests = []
    for number, o in enumerate(grade.outcomes, 1):
        tests.append({"name": o.check.name, "number": str(number),
                      "score": round(o.points, 4), "max_score": round(o.max_points, 4),
                      "status": "passed" if o.passed else "failed",
                      "output": bounded(o.text, TEST_OUTPUT_CHARS),
                      "visibility": o.check.visibility})
    output = bounded("\n".join([f"Score: {fmt(grade.score)} / {fmt(grade.max_score)}",
                                "Sandbox: " + "; ".join(grade.protections), *grade.notes]),
                     TOP_OUTPUT_CHARS)
    # What grade-all needs to rebuild a check's hint and visibility when course.toml's
    # change, without running anything again (classroom/regrade.py), one per test.
    checks = [{"unit": o.check.unit, "family": o.check.family, "hint": o.hint,
               "hint_allowed": o.hint_allowed} for o in grade.outcomes]
    return visible_tree({"score": round(grade.score, 4), "max_score": round(grade.max_score, 4),
                         "execution_time": round(grade.seconds, 2), "output": output,
                         "visibility": "visible", "stdout_visibility": "hidden", "tests": tests,
                         "extra_data": {**grade.extra_data, "checks": checks}})


def write_atomically(path, data: dict) -> None:
    """``data`` as results.json (strict JSON: no NaN), written atomically."""
    atomic_write(path, json.dumps(data, indent=1, allow_nan=False) + "\n")
