"""What ``--assignment N`` grades: its units (its convergence problems included: each is a
unit), their points.

An assignment is graded alone with the points of the course table, scaled so they add
up to the assignment's own total.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import registry as course_table


@dataclass(frozen=True)
class Selection:
    number: int | None      # None: the whole course
    units: tuple | None     # names to grade (None: all)
    points: dict | None     # unit -> points (None: the points table as it is)
    total: float

    def options(self) -> list[str]:
        """The ``grade`` arguments that make the same selection (for child graders)."""
        return [] if self.number is None else ["--assignment", str(self.number)]


def select(number: int | None, table=None) -> Selection:
    """The selection of assignment ``number`` (None: the whole course, as before)."""
    table = table or course_table.load()
    if number is None:
        return Selection(None, None, None, table.total)
    if number not in table.assignments:
        raise ValueError(f"--assignment: the course has assignments {sorted(table.assignments)}, "
                         f"not {number}")
    assignment = table.assignments[number]
    raw = {name: table.units[name].points for name in assignment.units}
    found = sum(raw.values())
    if not found > 0:
        raise ValueError(f"--assignment {number}: its units carry no points")
    scale = assignment.total / found
    points = {name: value * scale for name, value in raw.items()}
    return Selection(number, tuple(points), points, assignment.total)
