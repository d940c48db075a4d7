"""What grade-all knows about a class besides its submissions: the roster, the due
time and late policy, the exports asked for; and the two questions they answer (who
is a name on the command line, how late is a result)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from . import gradebook as gb
from . import late, platforms
from ..grading.submissions import Submission


@dataclass
class ClassSettings:
    """What grade-all knows about the class besides its submissions."""
    people: dict = field(default_factory=dict)   # roster: id -> name, email, SIS ids
    due: datetime | None = None
    policy: late.Policy = field(default_factory=late.Policy)
    exports: list = field(default_factory=list)  # (platform name, path)
    # platform name -> its export's options (Canvas: the column; Moodle: the maximum grade)
    export_options: dict = field(default_factory=dict)
    git_list: Path | None = None                 # --from-git LIST
    git_at_due: bool = False                     # --git-at-due: grade the last commit before --due
    extensions: dict = field(default_factory=dict)  # student id -> their own due time
    # What the exports do with rows no platform can match (not on the roster): refuse
    # (the default), or write them anyway (--export-unmatched).
    export_unmatched: bool = False
    course: object = None                       # the course table (hints and visibilities)

    def due_for(self, student: str) -> datetime | None:
        """The due time of ``student``: their extension, else --due."""
        return self.extensions.get(student, self.due)
    feedback: list = field(default_factory=list)  # (platform name, path): reports to upload
    course_title: str = ""                       # titles for the summary page
    assignment_title: str = ""


def from_args(args, table, selection) -> ClassSettings:
    """The settings grade-all's parsed options (``options.build_parser``) give."""
    settings = ClassSettings(policy=table.late or late.Policy(), course=table,
                             git_at_due=args.git_at_due, export_unmatched=args.export_unmatched,
                             git_list=Path(args.from_git) if args.from_git else None)
    if args.roster:
        settings.people = platforms.read_roster(Path(args.roster))
        settings.extensions = {
            student: late.parse_time(person["due"], f"--roster {args.roster}: {student}'s due")
            for student, person in settings.people.items() if person.get("due")}
    if args.due:
        settings.due = late.parse_time(args.due)
    if args.extensions:
        settings.extensions.update(late.read_extensions(Path(args.extensions)))
    if settings.extensions and settings.due is None:
        raise late.PolicyError("extensions give some students their own due time: give --due "
                               "for the others")
    for kind, path in args.export:
        settings.exports.append((platforms.get(kind, "--export").name, Path(path)))
    for kind, path in args.feedback_zip:
        settings.feedback.append((platforms.get(kind, "--feedback-zip").name, Path(path)))
    settings.course_title = table.name
    chosen = table.assignments.get(selection.number) if selection.number else None
    settings.assignment_title = (
        f"Assignment {chosen.number}: {chosen.title}" if chosen
        else f"all assignments ({len(table.assignments)}, {table.total:g} points)")
    settings.export_options = platforms.configure(
        args, f"{table.name} assignment {selection.number}" if selection.number else table.name)
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
        raise ValueError(f"--regrade names {', '.join(sorted(unknown))}: no such student (or the "
                         f"name is shared); students: {shown}")
    return found


def apply_late(result: dict, settings: ClassSettings) -> None:
    """Record the due time, days late and the penalty with a result, from its submission
    time, the student's due time (an extension, else --due) and the policy. This is the
    one late computation: the gradebook, the exports, the summary and the report all
    read what it records. It runs every time: changing them needs no regrading."""
    info = gb.classroom(result)
    if result.get("extra_data") is None:
        return
    for key in LATE_KEYS:
        info.pop(key, None)
    submitted = info.get("submitted_at")
    due = settings.due_for(info.get("student", ""))
    if due is None or not submitted or info.get("status") != gb.GRADED:
        return
    days = settings.policy.days_late(late.parse_time(submitted, "submitted_at"), due)
    info.update(due=late.iso(due), extension=info.get("student") in settings.extensions,
                days_late=days, penalty_percent=settings.policy.penalty(days))


LATE_KEYS = ("due", "extension", "days_late", "penalty_percent")
