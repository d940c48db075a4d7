"""Per-student results on disk and the class gradebook CSV built from them.

A student's ``results.json`` (Gradescope's schema, plus ``extra_data.classroom``) is
the only record that a student is done: it is written last and atomically, so a run
killed at any moment leaves either a complete result or none. The CSV is never
edited in place; it is rebuilt from the results and swapped in whole.
"""
from __future__ import annotations

import json
from pathlib import Path

from ..grading.report import (fmt, number)  # noqa: F401 (the class's scores are written as the grader's)
from ..grading.submissions import Status  # noqa: F401 (a row's status is a submission's)
from ..sandbox.safe_text import csv_text

GRADED = Status.GRADED


def load_json(path: Path):
    """The JSON in ``path``, or None when missing or unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None


def load_result(path: Path) -> dict | None:
    """The results in ``path``, or None when missing or unreadable (to be graded again)."""
    data = load_json(path)
    if (not isinstance(data, dict)
            or not isinstance(data.get("extra_data", {}).get("classroom"), dict)):
        return None
    return data


def unit_of(test_name: str) -> str:
    """The unit a test grades: test names begin with it ("Linear: ...")."""
    head, sep, _ = str(test_name).partition(":")
    return head.strip() if sep else "Other"


def unit_points(result: dict) -> dict[str, tuple[float, float]]:
    """``{unit: (points, max points)}`` in the order the tests come."""
    points: dict[str, list[float]] = {}
    for test in result.get("tests") or []:
        entry = points.setdefault(unit_of(test.get("name", "")), [0.0, 0.0])
        entry[0] += number(test.get("score"))
        entry[1] += number(test.get("max_score"))
    return {unit: (got, out_of) for unit, (got, out_of) in points.items()}


def class_max(results: dict[str, dict]) -> float | None:
    """The maximum score of the assignment, as the graded results report it."""
    maxima = [number(r.get("max_score")) for r in results.values()
              if classroom(r).get("status") == GRADED]
    return max(maxima, default=None)


def classroom(result: dict) -> dict:
    return result.get("extra_data", {}).get("classroom", {})


def final_score(result: dict) -> float:
    """The score after the late penalty recorded with it (percent of the earned score)."""
    penalty = number(classroom(result).get("penalty_percent"))
    return number(result.get("score")) * (1 - penalty / 100)


def table_rows(students: list[str], results: dict[str, dict],
               people: dict | None = None) -> list[dict]:
    """One dict per student (in ``students`` order): what the gradebook and the LMS
    exports write. ``people`` (a roster) gives names, emails and SIS ids."""
    people = people or {}
    maximum = class_max(results)
    rows = []
    for student in students:
        result = results.get(student)
        person = people.get(student, {})
        row = {"student": student, "name": person.get("name", ""), "email": person.get("email", ""),
               "sis_user_id": person.get("sis_user_id", ""),
               "sis_login_id": person.get("sis_login_id", ""),
               "section": person.get("section", ""), "max_score": maximum, "units": {},
               "submitted_at": "", "due": "", "extension": False, "days_late": "",
               "penalty_percent": "", "grader": ""}
        if result is None:
            rows.append(dict(row, score=None, status=Status.PENDING, reason="not graded yet"))
            continue
        info = classroom(result)
        row["name"] = row["name"] or info.get("name", "")
        out_of = result.get("max_score") if info.get("status") == GRADED else maximum
        row.update(score=final_score(result), raw_score=number(result.get("score")),
                   max_score=out_of,
                   units={u: got for u, (got, _) in unit_points(result).items()},
                   status=info.get("status", ""), reason=info.get("reason", ""),
                   lms=info.get("lms", ""),
                   submitted_at=info.get("submitted_at", ""), grader=info.get("grader", ""),
                   due=info.get("due", ""), extension=bool(info.get("extension")),
                   days_late=info.get("days_late", ""),
                   penalty_percent=info.get("penalty_percent", ""),
                   feedback=score_note(result, out_of) + "; see your report for each check")
        rows.append(row)
    return rows


def score_note(result: dict, out_of=None) -> str:
    """The score in words, with the late figures class_settings.apply_late recorded
    (the Moodle comment; the report shows the same figures as a table)."""
    info = classroom(result)
    out_of = fmt(result.get("max_score") if out_of is None else out_of)
    earned = fmt(result.get("score"))
    if info.get("status", GRADED) != GRADED:
        return f"0 / {out_of}: not graded ({info.get('status')})"
    penalty = number(info.get("penalty_percent"))
    days = info.get("days_late")
    if days in ("", None):
        return f"{earned} / {out_of}"
    due = f"due {info.get('due', '')}" + (" (your extension)" if info.get("extension") else "")
    late = f"{days} day{'s' if days != 1 else ''} late ({due})"
    if not days:
        return f"{earned} / {out_of}, on time ({due})"
    if not penalty:
        return f"{earned} / {out_of}, {late}, no penalty"
    return (f"{earned} / {out_of} earned, {late}: -{fmt(penalty)} % gives "
            f"{fmt(final_score(result))} / {out_of}")


def render_csv(students: list[str], results: dict[str, dict], people: dict | None = None) -> str:
    """One row per student: id, name, email, total (after any late penalty), max, each
    unit, status, reason, submission time, due time (an extension's when the student
    has one), days late, penalty, the grader's record."""
    rows = table_rows(students, results, people)
    units: list[str] = []
    for row in rows:
        units += [u for u in row["units"] if u not in units]
    lines = [["student", "name", "email", "score", "max_score", *units, "status", "reason",
              "submitted_at", "due", "days_late", "penalty_percent", "grader"]]
    for row in rows:
        pending = row["score"] is None
        lines.append([
            row["student"], row["name"], row["email"],
            "" if pending else fmt(row["score"]), fmt(row["max_score"]),
            *[("" if pending else "0") if u not in row["units"] else fmt(row["units"][u])
              for u in units],
            str(row["status"]), row["reason"], row["submitted_at"], row["due"],
            row["days_late"],
            row["penalty_percent"] if row["penalty_percent"] == "" else fmt(row["penalty_percent"]),
            row["grader"],
        ])
    return csv_text(lines)


