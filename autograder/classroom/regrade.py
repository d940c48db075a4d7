"""What grade-all does with a stored result whose record differs from the current one
(provenance.py): grade the submission again, or bring the stored result up to date
without running anything.

* The points changed: every check's points are rescaled by its unit's new points over
  its old ones (a unit's points are shared among its checks by fixed weights, so the
  ratio carries over exactly), and the score is their sum.
* The hints or visibilities changed: each failed check's hint and each check's
  visibility are taken from course.toml again, using the unit and check family the
  grader stored beside the tests (``extra_data.checks``).

Either needs what the stored result holds; when it does not (a result from before the
record had these parts, a unit that had no points), the submission is graded again.
"""
from __future__ import annotations

from . import gradebook as gb
from . import provenance

GRADE, UPDATE = "grade", "update"


def plan(stored: dict | None, current: dict) -> tuple[str | None, list[str], str]:
    """(action, parts, why) for a stored record against the current one: action None
    (current), UPDATE (``parts`` are among points and feedback), or GRADE."""
    changed = provenance.changes(stored, current)
    if not changed:
        return None, [], ""
    if changed == ["no record"]:
        return GRADE, changed, "it has no grading record"
    rerun = [part for part in changed if part not in (provenance.RESCORE, provenance.REBUILD)]
    if rerun:
        why = []
        for part in rerun:
            text = provenance.PARTS.get(part, part)
            if part == "checks":
                units = [u if u != "*" else "what all units share"
                         for u in provenance.changed_units(stored, current)]
                text += f" ({', '.join(units)})"
            why.append(text)
        return GRADE, rerun, ", ".join(why) + " changed"
    return UPDATE, changed, ", ".join(provenance.PARTS[part] for part in changed) + " changed"


def update(result: dict, parts: list[str], stored: dict, current: dict, table) -> str | None:
    """Bring ``result`` up to date for ``parts`` in place; None when done, else why not."""
    if provenance.RESCORE in parts:
        why = rescore(result, stored["points"], current["points"])
        if why:
            return why
    if provenance.REBUILD in parts:
        why = rebuild_feedback(result, table)
        if why:
            return why
    return None


def rescore(result: dict, old: dict, new: dict) -> str | None:
    """Rescale each check's points to its unit's new points; None when done, else why not."""
    old_units, new_units = (old or {}).get("units") or {}, (new or {}).get("units") or {}
    tests = result.get("tests") or []
    factors = {}
    for test in tests:
        unit = gb.unit_of(test.get("name", ""))
        if unit not in factors:
            if not old_units.get(unit) or unit not in new_units:
                return f"its record has no points for {unit}"
            factors[unit] = new_units[unit] / old_units[unit]
    if set(new_units) - set(factors) and tests:
        return ("the stored results have no checks of "
                f"{', '.join(sorted(set(new_units) - set(factors)))}")
    for test in tests:
        factor = factors[gb.unit_of(test.get("name", ""))]
        test["score"] = round(gb.number(test.get("score")) * factor, 4)
        test["max_score"] = round(gb.number(test.get("max_score")) * factor, 4)
    if tests:
        result["score"] = round(sum(gb.number(t.get("score")) for t in tests), 4)
        result["max_score"] = round(sum(gb.number(t.get("max_score")) for t in tests), 4)
    return None


def rebuild_feedback(result: dict, table) -> str | None:
    """Take each check's hint and visibility from ``table`` again; None when done."""
    tests = result.get("tests") or []
    if not tests:  # not graded (an empty folder, a corrupt zip, ...): nothing to rebuild
        return None
    checks = (result.get("extra_data") or {}).get("checks")
    if not isinstance(checks, list) or len(checks) != len(tests):
        return "its results do not say which check family each test is"
    for test, check in zip(tests, checks, strict=True):
        unit, family = check.get("unit", ""), check.get("family", "")
        test["visibility"] = table.visibility_of(unit, family)
        if not check.get("hint_allowed"):
            continue
        output, old = str(test.get("output", "")), check.get("hint") or ""
        if old and output.endswith(f"\nHint: {old}"):
            output = output[: -len(f"\nHint: {old}")]
        hint = table.hint(unit, family)
        test["output"] = output + (f"\nHint: {hint}" if hint else "")
        check["hint"] = hint
    return None
