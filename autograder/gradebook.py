"""Per-student results on disk and the class gradebook CSV built from them.

A student's ``results.json`` (Gradescope's schema, plus ``extra_data.classroom``) is
the only record that a student is done: it is written last and atomically, so a run
killed at any moment leaves either a complete result or none. The CSV is never
edited in place; it is rebuilt from the results and swapped in whole.
"""
from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path

# Statuses for a submission the grader could not grade; their score is 0.
GRADED = "graded"


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load_json(path: Path):
    """The JSON in ``path``, or None when missing or unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None


def load_result(path: Path) -> dict | None:
    """The results in ``path``, or None when missing or unreadable (to be graded again)."""
    data = load_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("extra_data", {}).get("classroom"), dict):
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
        entry[0] += _number(test.get("score"))
        entry[1] += _number(test.get("max_score"))
    return {unit: (got, out_of) for unit, (got, out_of) in points.items()}


def class_max(results: dict[str, dict]) -> float | None:
    """The maximum score of the assignment, as the graded results report it."""
    maxima = [_number(r.get("max_score")) for r in results.values() if classroom(r).get("status") == GRADED]
    return max(maxima, default=None)


def classroom(result: dict) -> dict:
    return result.get("extra_data", {}).get("classroom", {})


def render_csv(students: list[str], results: dict[str, dict]) -> str:
    """One row per student (in ``students`` order): id, total, max, each unit, status, reason."""
    units: list[str] = []
    for student in students:
        for unit in unit_points(results.get(student, {})):
            if unit not in units:
                units.append(unit)
    maximum = class_max(results)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", "score", "max_score", *units, "status", "reason", "grader"])
    for student in students:
        result = results.get(student)
        if result is None:
            writer.writerow([_cell(student), "", _fmt(maximum), *([""] * len(units)), "pending", "not graded yet", ""])
            continue
        info = classroom(result)
        per_unit = unit_points(result)
        out_of = result.get("max_score") if info.get("status") == GRADED else maximum
        writer.writerow([
            _cell(student), _fmt(_number(result.get("score"))), _fmt(out_of),
            *[_fmt(per_unit[u][0]) if u in per_unit else "0" for u in units],
            info.get("status", ""), _cell(info.get("reason", "")), _cell(info.get("grader", "")),
        ])
    return out.getvalue()


def _number(value) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return number if number == number else 0.0  # NaN counts as nothing


def _fmt(value) -> str:
    if value is None:
        return ""
    number = round(_number(value), 2)  # 9.999999 of float sums reads as 10
    return str(int(number)) if number == int(number) else f"{number:.2f}"


def _cell(text) -> str:
    """One line of text that a spreadsheet will not read as a formula."""
    text = " ".join(str(text).split())[:300]
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
