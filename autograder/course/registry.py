"""The course registry: ``course.toml`` read once, validated, as typed records.

Standard library only (tomllib), so the grader, the tools, the notebooks' build and
the tests can all import it. A mistake in the table is a ``CourseError`` naming the
unit, the field, what was expected and what was found.
"""
from __future__ import annotations

import functools
import math
try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10 (Gradescope's Ubuntu 22.04): the same parser
    import tomli as tomllib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from .fields import CourseError, choice as _choice, field as _field
from .specs import SPECS

COURSE_FILE = Path(__file__).resolve().parent / "course.toml"
KINDS = ("layer", "container", "loss", "optimizer", "learner", "convergence")
HINT_MODES = ("concept", "answer")
VISIBILITIES = ("visible", "after_due_date", "after_published", "hidden")


@dataclass(frozen=True)
class Exercise:
    number: str    # "1.2": chapter.step
    module: str    # file in the nn100 package
    target: str    # qualified name of the function that encloses the solution block
    title: str     # what the stub's NotImplementedError names
    unit: str      # the unit the grader scores it under
    write: str = ""  # the guide's "What you write" for it (exercises/README.md)


@dataclass(frozen=True)
class Unit:
    name: str
    kind: str
    assignment: int
    points: float
    exercises: tuple[Exercise, ...]
    visibility: str
    notebook: str = ""   # the nbgrader notebook that teaches it ("" when none does)
    module: str = ""     # its file in the nn100 package ("" for a convergence problem)
    hints: dict = None             # check family -> Hint (from [units.<name>.hints])
    check_visibility: dict = None  # check family -> visibility (overrides the unit's)
    spec: object = None  # how its family drives its checks (a dataclass of course/specs/)
    guide_row: "GuideRow | None" = None  # its exercises shown as one row of the guide


@dataclass(frozen=True)
class GuideRow:
    """A unit's exercises shown as one row of the guide's table ("3.1, 3.2 | Tanh forward,
    backward | ..."), from ``guide_row = { title = "...", write = "..." }``."""
    title: str
    write: str = ""


@dataclass(frozen=True)
class Notebook:
    name: str               # assignments/text/<name>.py
    data: tuple[str, ...]   # files of data/ copied next to it
    units: tuple[str, ...]  # the units it teaches, each pasted with ``# include:``


@dataclass(frozen=True)
class Hint:
    concept: str   # names the idea to revisit; shown by default
    answer: str    # the formula or the step; shown only when [course].hints = "answer"


@dataclass(frozen=True)
class Assignment:
    number: int
    title: str
    units: tuple[str, ...]
    total: float = 0.0                  # what the assignment is out of when graded alone


@dataclass(frozen=True)
class Course:
    name: str
    total: float
    hints: str
    visibility: str
    units: dict          # name -> Unit, in the table's order
    assignments: dict    # number -> Assignment
    checkpoints: dict    # "C.1" -> (title, needs)
    notebooks: dict = field(default_factory=dict)  # name -> Notebook, in teaching order
    kind_hints: dict = None         # kind -> family -> Hint, shared by a kind's units
    family_visibility: dict = None  # family -> visibility, for every unit
    late: object = None  # Policy from [late]
    notebook_cells: dict = None  # nbgrader assignment -> {test cell id: (selector, ...)}

    def hint(self, unit: str, family: str) -> str:
        """The hint a failed check of ``unit``'s ``family`` shows, in the course's mode
        ("" when the table has none)."""
        entry = self.units.get(unit)
        found = (entry.hints or {}).get(family) if entry else None
        if found is None and entry is not None:
            found = (self.kind_hints or {}).get(entry.kind, {}).get(family)
        if found is None:
            return ""
        if self.hints == "answer" and found.answer:
            return f"{found.concept} Answer: {found.answer}"
        return found.concept

    def visibility_of(self, unit: str, family: str) -> str:
        """Gradescope visibility of a check: the unit's per-family setting, else the
        course's per-family setting, else the unit's, else the course's."""
        entry = self.units.get(unit)
        if entry is not None and family in (entry.check_visibility or {}):
            return entry.check_visibility[family]
        if family in (self.family_visibility or {}):
            return self.family_visibility[family]
        return entry.visibility if entry is not None else self.visibility

    @property
    def exercises(self) -> list[Exercise]:
        """Every exercise in the order students do them (by chapter, then step)."""
        found = [e for unit in self.units.values() for e in unit.exercises]
        return sorted(found, key=lambda e: tuple(int(part) for part in e.number.split(".")))

    def points(self) -> dict:
        return {name: unit.points for name, unit in self.units.items()}


class PolicyError(CourseError):
    """A late policy or a due time that cannot be used."""


@dataclass(frozen=True)
class Policy:
    grace_minutes: float = 0.0
    penalty_per_day: float = 0.0
    cap: float = 100.0

    def days_late(self, submitted: datetime, due: datetime) -> int:
        over = submitted - due - timedelta(minutes=self.grace_minutes)
        return max(0, math.ceil(over / timedelta(days=1)))

    def penalty(self, days: int) -> float:
        """Percent of the earned score taken for ``days`` late."""
        return min(self.cap, days * self.penalty_per_day)


def policy_from(table: dict) -> Policy:
    late = table.get("late", {})
    values = {}
    for key, default in (("grace_minutes", 0.0), ("penalty_per_day", 0.0), ("cap", 100.0)):
        value = late.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise PolicyError(f"course.toml: [late].{key} must be a number >= 0, found {value!r}")
        values[key] = float(value)
    if values["cap"] > 100:
        raise PolicyError(f"course.toml: [late].cap is a percent, at most 100, "
                          f"found {values['cap']:g}")
    unknown = sorted(set(late) - set(values))
    if unknown:
        raise PolicyError(f"course.toml: [late] has unknown keys {unknown}; "
                          "expected grace_minutes, penalty_per_day, cap")
    return Policy(**values)


def _hints(table, where: str) -> dict:
    """{family: {concept = "...", answer = "..."}} -> {family: Hint}."""
    if not isinstance(table, dict):
        raise CourseError(f"course.toml: {where} must be a table of check families, "
                          f"found {table!r}")
    hints = {}
    for family, entry in table.items():
        if isinstance(entry, str):
            entry = {"concept": entry}
        if not isinstance(entry, dict) or set(entry) - {"concept", "answer"}:
            raise CourseError(f"course.toml: {where}.{family} must be "
                              f'{{ concept = "...", answer = "..." }}, found {entry!r}')
        hints[family] = Hint(_field(entry, "concept", str, f"{where}.{family}"),
                             _field(entry, "answer", str, f"{where}.{family}", ""))
    return hints


def _visibilities(table, where: str) -> dict:
    if not isinstance(table, dict):
        raise CourseError(f"course.toml: {where} must be a table family = visibility, "
                          f"found {table!r}")
    return {family: _choice(value, VISIBILITIES, f"{where}.{family}")
            for family, value in table.items()}


def parse(table: dict) -> Course:
    top = table.get("course", {})
    hints = _choice(_field(top, "hints", str, "[course]", "concept"), HINT_MODES,
                    "[course].hints")
    visibility = _choice(_field(top, "visibility", str, "[course]", "visible"), VISIBILITIES,
                         "[course].visibility")
    titles, totals = {}, {}
    for entry in table.get("assignments", []):
        number = _field(entry, "number", int, "[[assignments]]")
        if number in titles:
            raise CourseError(f"course.toml: assignment {number} is defined twice")
        unknown = sorted(set(entry) - {"number", "title", "total"})
        if unknown:  # e.g. the `convergence` list of old tables: problems are units now
            raise CourseError(f"course.toml: assignment {number} has unknown keys {unknown} "
                              "(known: number, title, total; a convergence problem is a unit "
                              "with its own assignment)")
        titles[number] = _field(entry, "title", str, f"assignment {number}")
        totals[number] = _field(entry, "total", float, f"assignment {number}")
        if not totals[number] > 0:
            raise CourseError(f"course.toml: assignment {number}.total must be > 0, "
                              f"found {totals[number]:g}")
    notebook_data = {}
    for entry in table.get("notebooks", []):
        name = _field(entry, "name", str, "[[notebooks]]")
        if name in notebook_data:
            raise CourseError(f"course.toml: notebook {name!r} is listed twice")
        data = _field(entry, "data", list, f"notebook {name}", [])
        if not all(isinstance(item, str) for item in data):
            raise CourseError(f"course.toml: notebook {name}.data must list file names, "
                              f"found {data!r}")
        notebook_data[name] = tuple(data)
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
                                      _field(item, "title", str, where), name,
                                      _field(item, "write", str, f"{where} exercise {number}", "")))
        guide_row = _guide_row(entry, exercises, where)
        unit_visibility = _choice(_field(entry, "visibility", str, where, visibility),
                                  VISIBILITIES, f"{where}.visibility")
        notebook = _field(entry, "notebook", str, where, "")
        if notebook and notebook not in notebook_data:
            raise CourseError(f"course.toml: {where}.notebook is {notebook!r}, but the "
                              f"notebooks are {sorted(notebook_data)}")
        if "spec" in entry and kind not in SPECS:
            raise CourseError(f"course.toml: {where}.spec is for {', '.join(SPECS)}, but "
                              f"{name} is a {kind}")
        spec = (SPECS[kind](table.get("kind_spec", {}).get(kind, {}), entry.get("spec", {}),
                            f"{where}.spec") if kind in SPECS else None)
        units[name] = Unit(name, kind, assignment, points, tuple(exercises), unit_visibility,
                           notebook, module,
                           _hints(entry.get("hints", {}), f"{where}.hints"),
                           _visibilities(entry.get("check_visibility", {}),
                                         f"{where}.check_visibility"), spec, guide_row)
    assignments = {n: Assignment(n, t, tuple(u for u, unit in units.items()
                                            if unit.assignment == n), totals[n])
                   for n, t in sorted(titles.items())}
    total = _field(top, "total", float, "[course]")
    found = sum(unit.points for unit in units.values())
    if abs(found - total) > 1e-9:
        raise CourseError(f"course.toml: the units' points add up to {found:g}, but "
                          f"[course].total says {total:g}: change one of them")
    checkpoints = {key: (_field(c, "title", str, f"checkpoint {key}"),
                         _field(c, "needs", str, f"checkpoint {key}"))
                   for key, c in table.get("checkpoints", {}).items()}
    notebooks = {name: Notebook(name, data, tuple(u for u, unit in units.items()
                                                  if unit.notebook == name))
                 for name, data in notebook_data.items()}
    kind_hints = {}
    for kind, families in table.get("kind_hints", {}).items():
        _choice(kind, KINDS, "[kind_hints] table name")
        kind_hints[kind] = _hints(families, f"[kind_hints.{kind}]")
    family_visibility = _visibilities(top.get("check_visibility", {}),
                                      "[course].check_visibility")
    return Course(_field(top, "name", str, "[course]", "nn100"), total, hints, visibility,
                  units, assignments, checkpoints, notebooks, kind_hints, family_visibility,
                  policy_from(table), _notebook_cells(table.get("notebook_cells", {}), units))


def _guide_row(entry: dict, exercises: list, where: str) -> GuideRow | None:
    """[units.X].guide_row: one row of the guide for all the unit's exercises."""
    if "guide_row" not in entry:
        return None
    row = entry["guide_row"]
    if not isinstance(row, dict) or "title" not in row or set(row) - {"title", "write"}:
        raise CourseError(f"course.toml: {where}.guide_row must be "
                          f'{{ title = "...", write = "..." }}, found {row!r}')
    if len(exercises) < 2:
        raise CourseError(f"course.toml: {where}.guide_row groups the exercises of one row, "
                          f"but the unit has {len(exercises)}")
    own = [e.number for e in exercises if e.write]
    if own:
        raise CourseError(f"course.toml: {where}: exercises {own} have their own `write`, but "
                          "the unit's guide_row shows them as one row: put the text in "
                          "guide_row.write")
    return GuideRow(_field(row, "title", str, f"{where}.guide_row"),
                    _field(row, "write", str, f"{where}.guide_row", ""))


def selector_unit(selector: str) -> str:
    """The unit a notebook cell's selector names: "Linear" or "Linear: forward" -> "Linear"."""
    return selector.split(":", 1)[0].strip()


def _notebook_cells(table: dict, units: dict) -> dict:
    """[notebook_cells.<assignment>]: test cell id -> selectors. Every selector names a known
    unit; a unit belongs to one notebook; a unit split over cells by name ("Unit: start")
    also has one cell taking the rest ("Unit"), so no check of it goes ungraded."""
    notebooks = {}
    for notebook, cells in table.items():
        where = f"[notebook_cells.{notebook}]"
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
                if units[unit].notebook != notebook:
                    raise CourseError(f"course.toml: {where}.{cell} grades {unit}, but "
                                      f"[units.{unit}].notebook is "
                                      f"{units[unit].notebook or 'none'!r}")
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
