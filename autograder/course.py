"""The course registry: ``course.toml`` read once, validated, as typed records.

Standard library only (tomllib), so the grader, the tools, the notebooks' build and
the tests can all import it. A mistake in the table is a ``CourseError`` naming the
unit, the field, what was expected and what was found.
"""
from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path

COURSE_FILE = Path(__file__).resolve().parent / "course.toml"
KINDS = ("layer", "container", "loss", "optimizer", "learner", "convergence")
HINT_MODES = ("concept", "answer")
VISIBILITIES = ("visible", "after_due_date", "after_published", "hidden")


class CourseError(ValueError):
    """course.toml says something the course cannot be built from."""


@dataclass(frozen=True)
class Exercise:
    number: str    # "1.2": chapter.step
    module: str    # file in the nn100 package
    target: str    # qualified name of the function that encloses the solution block
    title: str     # what the stub's NotImplementedError names
    unit: str      # the unit the grader scores it under


@dataclass(frozen=True)
class Unit:
    name: str
    kind: str
    assignment: int
    points: float
    exercises: tuple[Exercise, ...]
    visibility: str


@dataclass(frozen=True)
class Assignment:
    number: int
    title: str
    units: tuple[str, ...]


@dataclass(frozen=True)
class Course:
    name: str
    total: float
    hints: str
    visibility: str
    units: dict          # name -> Unit, in the table's order
    assignments: dict    # number -> Assignment
    checkpoints: dict    # "C.1" -> (title, needs)
    notebooks: dict = None  # nbgrader assignment -> {test cell id: (selector, ...)}

    @property
    def exercises(self) -> list[Exercise]:
        """Every exercise in the order students do them (by chapter, then step)."""
        found = [e for unit in self.units.values() for e in unit.exercises]
        return sorted(found, key=lambda e: tuple(int(part) for part in e.number.split(".")))

    def points(self) -> dict:
        return {name: unit.points for name, unit in self.units.items()}


def _field(table: dict, key: str, kind, where: str, default=None):
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


def _choice(value: str, allowed: tuple, where: str) -> str:
    if value not in allowed:
        raise CourseError(f"course.toml: {where} must be one of {', '.join(allowed)}, "
                          f"found {value!r}")
    return value


def parse(table: dict) -> Course:
    top = table.get("course", {})
    hints = _choice(_field(top, "hints", str, "[course]", "concept"), HINT_MODES,
                    "[course].hints")
    visibility = _choice(_field(top, "visibility", str, "[course]", "visible"), VISIBILITIES,
                         "[course].visibility")
    titles = {}
    for entry in table.get("assignments", []):
        number = _field(entry, "number", int, "[[assignments]]")
        titles[number] = _field(entry, "title", str, f"assignment {number}")
    units, seen_numbers = {}, {}
    for name, entry in table.get("units", {}).items():
        where = f"[units.{name}]"
        kind = _choice(_field(entry, "kind", str, where), KINDS, f"{where}.kind")
        assignment = _field(entry, "assignment", int, where)
        if assignment not in titles:
            raise CourseError(f"course.toml: {where}.assignment is {assignment}, but the "
                              f"assignments are {sorted(titles)}")
        points = _field(entry, "points", float, where)
        if points < 0:
            raise CourseError(f"course.toml: {where}.points must be >= 0, found {points}")
        module = entry.get("module", "")
        exercises = []
        for item in _field(entry, "exercises", list, where):
            number = _field(item, "number", str, f"{where} exercise")
            if number in seen_numbers:
                raise CourseError(f"course.toml: exercise {number} appears in both "
                                  f"{seen_numbers[number]} and {name}")
            seen_numbers[number] = name
            exercises.append(Exercise(number, module, _field(item, "target", str, where),
                                      _field(item, "title", str, where), name))
        unit_visibility = _choice(_field(entry, "visibility", str, where, visibility),
                                  VISIBILITIES, f"{where}.visibility")
        units[name] = Unit(name, kind, assignment, points, tuple(exercises), unit_visibility)
    assignments = {n: Assignment(n, t, tuple(u for u, unit in units.items()
                                            if unit.assignment == n))
                   for n, t in sorted(titles.items())}
    total = _field(top, "total", float, "[course]")
    found = sum(unit.points for unit in units.values())
    if abs(found - total) > 1e-9:
        raise CourseError(f"course.toml: the units' points add up to {found:g}, but "
                          f"[course].total says {total:g}: change one of them")
    checkpoints = {key: (_field(c, "title", str, f"checkpoint {key}"),
                         _field(c, "needs", str, f"checkpoint {key}"))
                   for key, c in table.get("checkpoints", {}).items()}
    notebooks = _notebooks(table.get("notebooks", {}), units)
    return Course(_field(top, "name", str, "[course]", "nn100"), total, hints, visibility,
                  units, assignments, checkpoints, notebooks)


def selector_unit(selector: str) -> str:
    """The unit a notebook cell's selector names: "Linear" or "Linear: forward" -> "Linear"."""
    return selector.split(":", 1)[0].strip()


def _notebooks(table: dict, units: dict) -> dict:
    """[notebooks.<assignment>]: test cell id -> selectors. Every selector names a known
    unit; a unit belongs to one notebook; a unit split over cells by name ("Unit: start")
    also has one cell taking the rest ("Unit"), so no check of it goes ungraded."""
    notebooks, owner = {}, {}
    for notebook, cells in table.items():
        where = f"[notebooks.{notebook}]"
        if not isinstance(cells, dict) or not cells:
            raise CourseError(f"course.toml: {where} must map test cell ids to lists of "
                              f"units, found {cells!r}")
        whole, parts = {}, set()
        for cell, selectors in cells.items():
            if not isinstance(selectors, list) or not selectors or \
                    not all(isinstance(s, str) for s in selectors):
                raise CourseError(f"course.toml: {where}.{cell} must be a list of unit "
                                  f"names, found {selectors!r}")
            for selector in selectors:
                unit = selector_unit(selector)
                if unit not in units:
                    raise CourseError(f"course.toml: {where}.{cell}: {selector!r} names no "
                                      f"unit; the units are {', '.join(units)}")
                if owner.setdefault(unit, notebook) != notebook:
                    raise CourseError(f"course.toml: unit {unit} is graded in two notebooks, "
                                      f"{owner[unit]} and {notebook}")
                if ":" in selector:
                    parts.add(unit)
                elif unit in whole:
                    raise CourseError(f"course.toml: {where}: unit {unit} is taken whole by "
                                      f"both {whole[unit]} and {cell}")
                else:
                    whole[unit] = cell
        for unit in sorted(parts - set(whole)):
            raise CourseError(f"course.toml: {where}: {unit} is split by check name, but no "
                              f"cell takes its remaining checks (add \"{unit}\" to one)")
        notebooks[notebook] = {cell: tuple(s) for cell, s in cells.items()}
    return notebooks


def read(path: Path = COURSE_FILE) -> Course:
    path = Path(path)
    try:
        with open(path, "rb") as f:
            table = tomllib.load(f)
    except FileNotFoundError:
        raise CourseError(f"course: no course table at {path}") from None
    except tomllib.TOMLDecodeError as error:
        raise CourseError(f"course: {path} is not valid TOML: {error}") from None
    return parse(table)


@functools.lru_cache(maxsize=1)
def load() -> Course:
    """The course table shipped with the grader (cached: it is read-only at run time)."""
    return read(COURSE_FILE)
