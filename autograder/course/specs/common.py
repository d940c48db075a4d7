"""What several families' specs share: a case (one way of calling a unit) and the merge of
a kind's defaults with a unit's own keys."""
from __future__ import annotations

from dataclasses import dataclass

from ..fields import CourseError, choice, field


@dataclass(frozen=True)
class Case:
    """One way of calling a layer: an input shape, constructor arguments, how the
    input's values are drawn, and (for the stability case) how they are scaled."""
    input: tuple[int, ...]
    args: tuple = ()
    values: str = ""    # "" = the spec's own
    scale: float = 1.0


def case(entry, where: str, values_allowed: tuple) -> Case:
    if not isinstance(entry, dict) or "input" not in entry \
            or set(entry) - {"input", "args", "values", "scale", "title", "batches"}:
        raise CourseError(f"course.toml: {where} must be {{ input = [sizes], args = [...] }}, "
                          f"found {entry!r}")
    shape = entry["input"]
    if not isinstance(shape, list) or not shape or not all(
            isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in shape):
        raise CourseError(f"course.toml: {where}.input must be a list of positive sizes, "
                          f"found {shape!r}")
    args = field(entry, "args", list, where, [])
    values = field(entry, "values", str, where, "") if "values" in entry else ""
    if values:
        choice(values, values_allowed, f"{where}.values")
    return Case(tuple(shape), tuple(args), values, field(entry, "scale", float, where, 1.0))


def spec_table(defaults: dict, own, known: set, required: tuple, kind: str,
               where: str) -> dict:
    """A unit's spec table: [kind_spec.<kind>]'s keys with the unit's own over them, every
    key known and every required one there."""
    if not isinstance(own, dict):
        raise CourseError(f"course.toml: {where} must be a table, found {own!r}")
    unknown = sorted(set(own) - known)
    if unknown:
        raise CourseError(f"course.toml: {where} has unknown keys {unknown} "
                          f"(known: {', '.join(sorted(known))})")
    spec = {**defaults, **own}
    for key in required:
        if key not in spec:
            raise CourseError(f"course.toml: {where} has no {key!r} (nor [kind_spec.{kind}])")
    return spec


def passes(spec: dict, where: str) -> list:
    found = field(spec, "passes", list, where)
    if len(found) < 2:
        raise CourseError(f"course.toml: {where}.passes needs at least 2 cases (the second "
                          f"is also the float32 case), found {len(found)}")
    return found
