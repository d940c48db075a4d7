"""The gradebook nbgrader's own export leaves thin, made whole: ``python -m nbcourse.export
--out grades-cells.csv [--roster roster.csv] [--assignment NAME --export canvas FILE.csv]``.

``nbgrader export`` writes one row per student and assignment with empty name, email
and timestamp columns when students were never registered (the case here: they arrive
as submitted/ folders), and no per-cell scores. This reads the same gradebook.db and
writes, per student and assignment: the student id, the roster's name and email (the
roster layouts of ``autograder.classroom.platforms.read_roster``: ours, a Canvas export
or a Moodle worksheet), the submission time (nbgrader's, from the submission's
timestamp.txt, or else the newest file of submitted/<student>/<assignment>/), the
score before and after nbgrader's late penalty (nbcourse/late.py: course.toml's
``[late]``), the due date, days late and percent taken, and one column per graded cell
(``<notebook>/<cell>``), in the order the cells appear.

``--export PLATFORM FILE`` (``canvas``, ``moodle``: the platforms of
autograder/classroom/platforms/) also writes one assignment's grades as that platform
imports them, exactly as grade-all writes the package track's: the score after the late
penalty, the Moodle comment saying how late and what it cost, rows refused when the
platform cannot match them to a student (not on the roster; ``--export-unmatched``
writes them anyway), with the platforms' own options (``--export-column``,
``--moodle-max``).
"""
import argparse
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def file_time(folder: Path) -> str:
    """The newest modification time of the files in ``folder`` (ISO 8601 UTC), or ""."""
    stamps = ([p.stat().st_mtime for p in folder.rglob("*") if p.is_file()] if folder.is_dir()
              else [])
    if not stamps:
        return ""
    return datetime.fromtimestamp(max(stamps), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc(moment) -> str:
    """nbgrader's naive UTC time as ISO 8601, or ""."""
    return moment.replace(tzinfo=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else ""


def lateness(submission) -> dict:
    """Due, days late and percent taken of one nbgrader submission: days by the course's
    policy, the percent from the penalty nbgrader stored (what its grades.csv takes)."""
    from nbcourse.late import penalty_percent
    if submission.duedate is None:
        return {"due": "", "extension": False, "days_late": "", "penalty_percent": ""}
    days, percent = penalty_percent(submission.total_seconds_late)
    penalty = submission.late_submission_penalty or 0.0
    if submission.score:
        percent = round(100 * penalty / submission.score, 6)
    return {"due": utc(submission.duedate), "extension": bool(submission.extension),
            "days_late": days, "penalty_percent": percent}


def rows(db: Path, people: dict) -> tuple[list[str], list[dict]]:
    from nbgrader.api import Gradebook
    cells, found = [], []
    with Gradebook(f"sqlite:///{db}") as gradebook:
        for assignment in gradebook.assignments:
            for submission in assignment.submissions:
                person = people.get(submission.student_id, {})
                student = submission.student
                name = person.get("name") or " ".join(
                    p for p in (student.first_name, student.last_name) if p)
                penalty = submission.late_submission_penalty or 0.0
                row = {"student": submission.student_id, "name": name,
                       "email": person.get("email") or student.email or "",
                       "assignment": assignment.name,
                       "timestamp": (utc(submission.timestamp) if submission.timestamp else
                                     file_time(db.parent / "submitted" / submission.student_id
                                               / assignment.name)),
                       "raw_score": submission.score, "late_penalty": penalty,
                       "score": submission.score - penalty, "max_score": submission.max_score,
                       **lateness(submission)}
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        column = f"{notebook.name}/{grade.name}"
                        if column not in cells:
                            cells.append(column)
                        row[column] = grade.score
                found.append(row)
    return cells, sorted(found, key=lambda r: (r["assignment"], r["student"]))


def as_results(found: list[dict], assignment: str, people: dict) -> tuple[list[str], dict]:
    """One assignment's rows as the results grade-all keeps (earned score, the late
    figures with it), so the platforms export them as they do the package track's; a
    roster student without a submission is not-submitted."""
    from autograder.classroom.grader_process import failure_result
    from autograder.grading.submissions import Status
    results = {}
    for row in found:
        if row["assignment"] != assignment:
            continue
        info = {"status": Status.GRADED, "reason": "", "student": row["student"],
                "name": row["name"], "submitted_at": row["timestamp"]}
        if row["due"]:
            info.update(due=row["due"], extension=row["extension"], days_late=row["days_late"],
                        penalty_percent=row["penalty_percent"])
        results[row["student"]] = {"score": row["raw_score"], "max_score": row["max_score"],
                                   "tests": [], "extra_data": {"classroom": info}}
    for student in people:
        results.setdefault(student, failure_result(Status.NOT_SUBMITTED,
                                                   "on the roster, but no submission was found"))
    return sorted(results), results


def export(kind: str, path: Path, found: list[dict], assignment: str, people: dict, args,
           unmatched_ok: bool) -> str:
    """Write one platform's grade import of ``assignment``; what was done, in words."""
    from autograder.classroom import gradebook as gb
    from autograder.classroom import platforms
    platform = platforms.get(kind)
    students, results = as_results(found, assignment, people)
    table = gb.table_rows(students, results, people)
    strays = platforms.unmatched(table, kind, people)
    if strays and not unmatched_ok:
        raise ValueError(f"did not write {path}: {len(strays)} rows {platform.title} cannot "
                         f"match to a student ({', '.join(strays[:8])}): they are not on the "
                         "--roster. Give the roster, or --export-unmatched to write them anyway")
    maximum = max((r["max_score"] for r in found if r["assignment"] == assignment), default=0)
    from autograder import course
    options = platforms.configure(args, f"{course.load().name} {assignment}")[kind]
    Path(path).write_text(platform.export(table, maximum, options), newline="")
    return f"wrote the {platform.title} grade import {path} ({len(table)} students of {assignment})"


def main(argv=None) -> int:
    sys.path.insert(0, os.environ.get("NN100_REPO", str(ROOT.parent)))  # the classroom's code
    sys.path.insert(0, str(ROOT))  # nbcourse.late
    from autograder.classroom import platforms
    from autograder.sandbox.safe_text import csv_text
    parser = argparse.ArgumentParser(prog="python -m nbcourse.export",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=str(ROOT / "gradebook.db"))
    parser.add_argument("--roster", default=None)
    parser.add_argument("--out", required=True)
    parser.add_argument("--assignment", default=None,
                        help="the assignment --export writes (needed when the gradebook has "
                             "several)")
    parser.add_argument("--export", nargs=2, action="append", default=[],
                        metavar=("LMS", "FILE.csv"),
                        help=f"also write the grade-import CSV of {platforms.names()}")
    parser.add_argument("--export-unmatched", action="store_true",
                        help="write export rows the platform cannot match (no roster entry)")
    platforms.add_options(parser)
    args = parser.parse_args(argv)
    people = platforms.read_roster(Path(args.roster)) if args.roster else {}
    cells, found = rows(Path(args.db), people)
    header = ["student", "name", "email", "assignment", "timestamp", "raw_score", "late_penalty",
              "score", "max_score", "due", "days_late", "penalty_percent", *cells]
    with open(args.out, "w", newline="") as handle:
        handle.write(csv_text([header, *([row.get(c, "") for c in header] for row in found)]))
    print(f"nbcourse.export: {len(found)} rows, {len(cells)} graded cells, in {args.out}")
    names = sorted({row["assignment"] for row in found})
    assignment = args.assignment or (names[0] if len(names) == 1 else None)
    if args.export and assignment not in names:
        print(f"nbcourse.export: --export needs --assignment, one of "
              f"{', '.join(names) or 'none graded'}; found {args.assignment!r}", file=sys.stderr)
        return 2
    try:
        for kind, path in args.export:
            print("nbcourse.export: " + export(kind, Path(path), found, assignment, people, args,
                                               args.export_unmatched))
    except ValueError as error:
        print(f"nbcourse.export: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
