"""The late policy of course.toml's ``[late]`` table, applied to a submission time.

    [late]
    grace_minutes = 15     # this long after the due time still counts as on time
    penalty_per_day = 10   # percent of the earned score taken per day late, or part of one
    cap = 50               # never more than this percent taken

A submission is ``ceil((submitted - due - grace) / 1 day)`` days late when that is
positive. The penalty is applied when the gradebook is written, from the time
recorded with each result, so changing ``--due`` or the policy needs no regrading.

An extension gives one student a due time of their own: a ``due`` column in the
roster, or ``--extensions FILE.csv`` with the columns ``student,due``.
"""
from __future__ import annotations

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10 (Gradescope's Ubuntu 22.04): the same parser
    import tomli as tomllib
import csv
import io
from datetime import datetime, timezone
from pathlib import Path

from ..course import (Policy, PolicyError, policy_from)  # noqa: F401 (the policy is part of the course table)


def read_policy(path: Path) -> Policy:
    with open(path, "rb") as handle:
        return policy_from(tomllib.load(handle))


def parse_time(text: str, what: str = "--due") -> datetime:
    """An ISO 8601 time; without a zone it is UTC (say +02:00 for another)."""
    try:
        moment = datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
    except ValueError:
        raise PolicyError(f"{what}: expected a time such as 2026-09-14T23:59 or "
                          f"2026-09-14T23:59+02:00, found {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def iso(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_extensions(path: Path) -> dict[str, datetime]:
    """student id -> their own due time, from a CSV with the columns ``student,due``."""
    reader = csv.DictReader(io.StringIO(Path(path).read_text(encoding="utf-8-sig")))
    if not {"student", "due"} <= set(reader.fieldnames or []):
        raise PolicyError(f"--extensions {path}: expected the columns student,due, "
                          f"found {reader.fieldnames}")
    found = {}
    for line, row in enumerate(reader, 2):
        student = (row["student"] or "").strip()
        if not student:
            continue
        if student in found:
            raise PolicyError(f"--extensions {path}: line {line}: {student} has a due time already")
        found[student] = parse_time(row["due"] or "", f"--extensions {path}: line {line}")
    return found
