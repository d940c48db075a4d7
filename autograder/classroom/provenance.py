"""What produced a grade: the record a stored result carries, so grades never go stale,
and what a change in it asks for (grading again only when the checks' outcome can change).

A record holds, by concern:

* ``grader``, ``reference``, ``data``, ``options``, ``command``: the grader's code (its
  checks, sandbox and child side; not course.toml, not the class-grading plumbing), the
  reference, the hidden data, the options that change a score (seed, time limits,
  assignment), the grading command. A change grades the submission again.
* ``checks``: per graded unit, a digest of what its checks read from course.toml (its
  kind, its kind's and its own spec, the convergence problems): a change grades
  the submission again (grade runs every unit of a submission in one sandboxed pass).
* ``points``: the graded units' points (scaled to the assignment's total) and the total.
  A change rescales the stored check results: nothing is run.
* ``feedback``: a digest of the hints and visibilities of the graded units. A change
  rebuilds each check's hint and visibility from the stored results: nothing is run.

Late policy and due times are not in the record: the penalty is worked out every run
(class_settings.apply_late). Units and problems of other assignments are not in it
either, so editing them changes nothing here.
"""
from __future__ import annotations

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib
import hashlib
import json
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]   # autograder/
ROOT = PACKAGE.parent
# Class-grading plumbing (the classroom package and the guides): it lays submissions out
# and writes pages, never scores. And course.toml, whose parts the record holds by concern
# (below), not as code.
PLUMBING = {"classroom", "CLASSROOM.md", "README.md", "course/course.toml"}
# What each part of the record is, in the words grade-all prints.
PARTS = {"grader": "the grader's code", "checks": "what the checks read from course.toml",
         "points": "the points", "feedback": "the hints or visibilities",
         "reference": "the reference", "data": "the hidden data",
         "options": "the options (seed, time limits, assignment)", "command": "the grading command"}
# The parts whose change grade-all handles without running anything.
RESCORE, REBUILD = "points", "feedback"
# A unit's entries in course.toml by concern; the rest of its entry is what its checks read.
FEEDBACK_KEYS = ("hints", "visibility", "check_visibility")
# (module and exercises say where the stubs are, for make exercises and the notebooks;
# the checks never read them.)
NOT_CHECKS = {"points", "assignment", "notebook", "guide_row", "module", "exercises",
              *FEEDBACK_KEYS}
# Top-level tables no check reads: the late policy, the assignments (their units, total
# and problems come in through the selection), the notebooks, make check's checkpoints.
NOT_GRADING = {"late", "assignments", "notebooks", "notebook_cells", "checkpoints", "course",
               "kind_hints", "units"}


def tree_digest(folder: Path, skip=frozenset()) -> str:
    """sha256 over the names and bytes of the files under ``folder`` (caches left out)."""
    sha = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if (not path.is_file() or "__pycache__" in relative.parts or path.suffix == ".pyc"
                or relative.as_posix() in skip or relative.parts[0] in skip):
            continue
        sha.update(relative.as_posix().encode() + b"\0")
        sha.update(hashlib.sha256(path.read_bytes()).digest())
    return sha.hexdigest()


def _digest(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def course_parts(selection, table, course_file: Path) -> dict:
    """The ``checks``, ``points`` and ``feedback`` parts of the record for ``selection``."""
    with open(course_file, "rb") as handle:
        raw = tomllib.load(handle)
    units = selection.units or tuple(table.units)
    points = selection.points or {name: table.units[name].points for name in units}
    top = raw.get("course", {})
    shared = {key: value for key, value in raw.items() if key not in NOT_GRADING}  # kind_spec, ...
    checks = {"*": _digest(shared)}
    kinds = sorted({raw.get("units", {}).get(name, {}).get("kind", "") for name in units})
    feedback = {"*": {"hints": top.get("hints"), "visibility": top.get("visibility"),
                      "check_visibility": top.get("check_visibility"),
                      "kind_hints": {kind: raw.get("kind_hints", {}).get(kind) for kind in kinds}}}
    for name in units:
        entry = raw.get("units", {}).get(name, {})
        checks[name] = _digest({key: value for key, value in entry.items()
                                if key not in NOT_CHECKS})
        feedback[name] = {key: entry.get(key) for key in FEEDBACK_KEYS}
    return {"checks": checks,
            "points": {"units": {name: round(float(points[name]), 9) for name in units},
                       "total": float(selection.total)},
            "feedback": _digest(feedback)}


def record(selection, table, options: dict, command: list[str],
           course_file: Path | None = None) -> dict:
    """The current record for results graded with ``selection`` and ``options``."""
    from ..course import COURSE_FILE
    return {
        "grader": tree_digest(PACKAGE, skip=PLUMBING),
        **course_parts(selection, table, Path(course_file or COURSE_FILE)),
        "reference": tree_digest(ROOT / "solutions" / "nn100"),
        "data": tree_digest(ROOT / "data"),
        "options": dict(options),
        "command": " ".join(Path(part).name for part in command),
    }


def short(rec: dict) -> str:
    """Twelve hex digits naming a record (the gradebook's ``grader`` column)."""
    return hashlib.sha256(json.dumps(rec, sort_keys=True).encode()).hexdigest()[:12]


def changes(stored, current: dict) -> list[str]:
    """The parts of ``current`` that ``stored`` differs in (all of them when missing)."""
    if not isinstance(stored, dict):
        return ["no record"]
    return [part for part in current if stored.get(part) != current[part]]


def changed_units(stored: dict, current: dict) -> list[str]:
    """The units whose checks' inputs differ ("*": what all of them share)."""
    old, new = stored.get("checks") or {}, current.get("checks") or {}
    return sorted(name for name in set(old) | set(new) if old.get(name) != new.get(name))
