"""Reading one value of course.toml: its type checked, a ``CourseError`` naming where it is,
what was expected and what was found.  Shared by the registry and the families' specs."""
from __future__ import annotations


class CourseError(ValueError):
    """course.toml says something the course cannot be built from."""


def field(table: dict, key: str, kind, where: str, default=None):
    """``table[key]`` of type ``kind`` (an int accepted for a float), else ``default``
    when given, else a CourseError."""
    if key not in table:
        if default is not None:
            return default
        raise CourseError(f"course.toml: {where} has no {key!r}")
    value = table[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise CourseError(f"course.toml: {where}.{key} must be {kind.__name__}, "
                          f"found {value!r}")
    return value


def choice(value: str, allowed: tuple, where: str) -> str:
    if value not in allowed:
        raise CourseError(f"course.toml: {where} must be one of {', '.join(allowed)}, "
                          f"found {value!r}")
    return value
