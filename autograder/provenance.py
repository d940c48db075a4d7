"""What produced a grade: the record a stored result carries, so grades never go stale.

A record holds a digest of each input that can change a score: the grader's code
(its checks, sandbox and child side), the course table as it concerns the graded
selection (the units' points, the assignment's total and problems), the reference,
the hidden data, and the options (seed, time limits, assignment). ``grade-all``
compares a stored result's record with the current one and grades again on any
difference, naming what changed.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent
# Class-grading plumbing: it lays submissions out and writes pages, never scores.
PLUMBING = {"classroom.py", "gradebook.py", "summary.py", "report_html.py", "grader_process.py",
            "provenance.py", "lms.py", "late.py", "merge.py", "from_git.py", "class_settings.py", "CLASSROOM.md", "README.md",
            "similarity.py", "class_records.py", "feedback_zip.py"}  # class outputs only: never regrade for them
# What each part of the record is, in the words grade-all prints.
PARTS = {"grader": "the grader's code", "course": "the course table", "reference": "the reference",
         "data": "the hidden data", "options": "the options (seed, time limits, assignment)",
         "command": "the grading command"}


def tree_digest(folder: Path, skip=frozenset()) -> str:
    """sha256 over the names and bytes of the files under ``folder`` (caches left out)."""
    sha = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if (not path.is_file() or "__pycache__" in relative.parts or path.suffix == ".pyc"
                or relative.as_posix() in skip):
            continue
        sha.update(relative.as_posix().encode() + b"\0")
        sha.update(hashlib.sha256(path.read_bytes()).digest())
    return sha.hexdigest()


def course_digest(selection, table) -> str:
    """The course table as it concerns ``selection``: other units' points do not count."""
    units = selection.units or tuple(table.units)
    points = selection.points or {name: table.units[name].points for name in units}
    view = {"points": {name: points[name] for name in units}, "total": selection.total,
            "problems": list(selection.problems or [])}
    return hashlib.sha256(json.dumps(view, sort_keys=True).encode()).hexdigest()


def record(selection, table, options: dict, command: list[str]) -> dict:
    """The current record for results graded with ``selection`` and ``options``."""
    return {
        "grader": tree_digest(PACKAGE, skip=PLUMBING),
        "course": course_digest(selection, table),
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
