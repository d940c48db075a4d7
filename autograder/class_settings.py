"""What grade-all knows about a class besides its submissions: the roster, the due
time and late policy, the exports asked for; and the two questions they answer (who
is a name on the command line, how late is a result)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from . import gradebook as gb
from . import late, lms
from .submissions import Submission


@dataclass
class ClassSettings:
    """What grade-all knows about the class besides its submissions."""
    people: dict = field(default_factory=dict)   # roster: id -> name, email, SIS ids
    due: datetime | None = None
    policy: late.Policy = field(default_factory=late.Policy)
    exports: list = field(default_factory=list)  # (lms, path)
    column: str = "nn100"
    git_list: Path | None = None                 # --from-git LIST
    feedback: list = field(default_factory=list)  # (lms, path): the reports in a zip to upload
    course: str = ""                             # titles for the summary page
    assignment: str = ""


def from_args(args, table, selection) -> ClassSettings:
    settings = ClassSettings(policy=table.late or late.Policy())
    if getattr(args, "roster", None):
        settings.people = lms.read_roster(Path(args.roster))
    if getattr(args, "due", None):
        settings.due = late.parse_time(args.due)
    for kind, path in getattr(args, "export", None) or []:
        if kind not in ("canvas", "moodle"):
            raise ValueError(f"--export: expected canvas or moodle, found {kind!r}")
        settings.exports.append((kind, Path(path)))
    for kind, path in getattr(args, "feedback_zip", None) or []:
        if kind not in ("canvas", "moodle"):
            raise ValueError(f"--feedback-zip: expected canvas or moodle, found {kind!r}")
        settings.feedback.append((kind, Path(path)))
    if getattr(args, "from_git", None):
        settings.git_list = Path(args.from_git)
    settings.course = table.name
    chosen = table.assignments.get(selection.number) if selection.number else None
    settings.assignment = (f"Assignment {chosen.number}: {chosen.title}" if chosen
                           else f"all assignments ({len(table.assignments)}, {table.total:g} points)")
    settings.column = getattr(args, "export_column", None) or (
        f"{table.name} assignment {selection.number}" if selection.number else table.name)
    return settings


def students_named(wanted: set, submissions: list[Submission], people: dict) -> set:
    """The ids of the students ``wanted`` names, by id or by name (roster or download)."""
    by_name = {}
    for sub in submissions:
        for name in (sub.name, people.get(sub.student, {}).get("name", "")):
            if name:
                by_name.setdefault(name.casefold(), set()).add(sub.student)
    ids = {sub.student for sub in submissions}
    found, unknown = set(), []
    for item in wanted:
        if item in ids:
            found.add(item)
        elif len(by_name.get(item.casefold(), ())) == 1:
            found |= by_name[item.casefold()]
        else:
            unknown.append(item)
    if unknown:
        shown = ", ".join(sorted(ids)[:10]) + (", ..." if len(ids) > 10 else "")
        raise ValueError(f"--regrade names {', '.join(sorted(unknown))}: no such student (or the name is "
                         f"shared); students: {shown}")
    return found


def apply_late(result: dict, settings: ClassSettings) -> None:
    """Record days late and the penalty with a result, from its submission time and
    the current --due and policy (recomputed every run: changing them needs no regrade)."""
    info = gb.classroom(result)
    if result.get("extra_data") is None:
        return
    info.pop("days_late", None)
    info.pop("penalty_percent", None)
    submitted = info.get("submitted_at")
    if settings.due is None or not submitted or info.get("status") != gb.GRADED:
        return
    days = settings.policy.days_late(late.parse_time(submitted, "submitted_at"), settings.due)
    info.update(due=late.iso(settings.due), days_late=days, penalty_percent=settings.policy.penalty(days))
