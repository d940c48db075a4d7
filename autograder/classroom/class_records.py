"""What grade-all keeps beside the gradebook besides the gradebook itself.

    checks.csv    one row per student, one column per check: the points each earned
                  (item analysis in a spreadsheet); a "points possible" row first
    history.csv   every change of a student's grade: when, the old and new score and
                  status, and why (first graded, resubmitted, what of the grader
                  changed, the late penalty recomputed); rows are only ever added

Both are rebuilt from the students' results.json at the end of every run, so a run
killed halfway leaves them as the last finished run wrote them.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

from . import gradebook as gb
from ..sandbox.atomic import atomic_write
from ..sandbox.safe_text import csv_text

POSSIBLE = "points possible"
HISTORY_COLUMNS = [
    "student",
    "name",
    "when",
    "old_score",
    "new_score",
    "old_status",
    "new_status",
    "why",
    "graded_at",
    "submission",
    "penalty_percent",
]


def write(
    folder: Path, students: list[str], results: dict[str, dict], people: dict | None = None
) -> None:
    """checks.csv and history.csv in ``folder`` (the gradebook's)."""
    people = people or {}
    atomic_write(Path(folder) / "checks.csv", render_checks(students, results, people))
    update_history(Path(folder) / "history.csv", students, results, people)


def render_checks(students: list[str], results: dict[str, dict], people: dict) -> str:
    """Students x checks: the points each student earned on each check. Students who
    could not be graded (or are not yet) have empty cells, not zeros: they would read
    as failures of every check."""
    checks: dict[str, float] = {}
    for student in students:
        for test in (results.get(student) or {}).get("tests") or []:
            checks.setdefault(str(test.get("name", "")), gb.number(test.get("max_score")))
    lines = [["student", "name", "status", *checks],
             [POSSIBLE, "", "", *(gb.fmt(points) for points in checks.values())]]
    for student in students:
        result = results.get(student)
        info = gb.classroom(result) if result else {}
        name = people.get(student, {}).get("name") or info.get("name", "")
        status = info.get("status", gb.Status.PENDING)
        earned = {
            str(t.get("name", "")): gb.number(t.get("score"))
            for t in (result or {}).get("tests") or []
        }
        graded = status == gb.GRADED
        lines.append([student, name, str(status),
                      *(gb.fmt(earned[c]) if graded and c in earned else "" for c in checks)])
    return csv_text(lines)


# ---------------------------------------------------------------- history


def read_history(path: Path) -> list[dict]:
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))
    except FileNotFoundError:
        return []


def _state(result: dict) -> dict:
    info = gb.classroom(result)
    graded = info.get("status") == gb.GRADED
    return {
        "score": gb.fmt(gb.final_score(result)) if graded else "0",
        "status": str(info.get("status", "")),
        "graded_at": str(info.get("graded_at", "")),
        "submission": str(info.get("digest", ""))[:12],
        "penalty_percent": gb.fmt(info.get("penalty_percent"))
        if info.get("penalty_percent") not in (None, "")
        else "",
    }


def why_changed(last: dict | None, now: dict, info: dict) -> str | None:
    """Why a student's row changed since ``last`` (a history row), or None if it did not."""
    if last is None:
        return "first graded" if now["status"] == gb.GRADED else f"first recorded ({now['status']})"
    same_grading = last["graded_at"] == now["graded_at"]
    if same_grading and (last["new_score"], last["new_status"], last["penalty_percent"]) == (
        now["score"],
        now["status"],
        now["penalty_percent"],
    ):
        return None
    if same_grading:
        if last["penalty_percent"] != now["penalty_percent"]:
            return (
                f"late penalty recomputed ({last['penalty_percent'] or 0} % before, "
                f"{now['penalty_percent'] or 0} % now)"
            )
        return "score recomputed from the stored check results"
    if info.get("regraded_because"):
        return str(info["regraded_because"])
    if last["submission"] and now["submission"] and last["submission"] != now["submission"]:
        return "the submission changed"
    return "graded again"


def update_history(
    path: Path, students: list[str], results: dict[str, dict], people: dict
) -> list[dict]:
    """Add a row for every student whose grade changed since the history's last row
    for them; return the rows added."""
    rows = read_history(path)
    last = {}
    for row in rows:
        last[row["student"]] = row
    when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    added = []
    for student in students:
        result = results.get(student)
        if result is None:
            continue  # pending: nothing graded yet
        now, info = _state(result), gb.classroom(result)
        why = why_changed(last.get(student), now, info)
        if why is None:
            continue
        before = last.get(student) or {}
        added.append(
            {
                "student": student,
                "name": people.get(student, {}).get("name") or info.get("name", ""),
                "when": when,
                "old_score": before.get("new_score", ""),
                "new_score": now["score"],
                "old_status": before.get("new_status", ""),
                "new_status": now["status"],
                "why": why,
                "graded_at": now["graded_at"],
                "submission": now["submission"],
                "penalty_percent": now["penalty_percent"],
            }
        )
    if added or not path.exists():
        atomic_write(path, csv_text([list(HISTORY_COLUMNS),
                                     *([row.get(k, "") for k in HISTORY_COLUMNS]
                                       for row in rows + added)]))
    return added


def history_of(path: Path, student: str) -> list[dict]:
    """One student's history rows, oldest first."""
    return [row for row in read_history(path) if row["student"] == student]
