"""The late policy of course.toml's ``[late]`` table, applied to a submission time.

    [late]
    grace_minutes = 15     # this long after the due time still counts as on time
    penalty_per_day = 10   # percent of the earned score taken per day late, or part of one
    cap = 50               # never more than this percent taken

A submission is ``ceil((submitted - due - grace) / 1 day)`` days late when that is
positive. The penalty is applied when the gradebook is written, from the time
recorded with each result, so changing ``--due`` or the policy needs no regrading.
"""
from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path


class PolicyError(ValueError):
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
        raise PolicyError(f"course.toml: [late].cap is a percent, at most 100, found {values['cap']:g}")
    unknown = sorted(set(late) - set(values))
    if unknown:
        raise PolicyError(f"course.toml: [late] has unknown keys {unknown}; "
                          "expected grace_minutes, penalty_per_day, cap")
    return Policy(**values)


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
