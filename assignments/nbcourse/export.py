"""The gradebook nbgrader's own export leaves thin, made whole: ``python -m nbcourse.export
--out grades-cells.csv [--roster roster.csv]``.

``nbgrader export`` writes one row per student and assignment with empty name, email
and timestamp columns when students were never registered (the case here: they arrive
as submitted/ folders), and no per-cell scores. This reads the same gradebook.db and
writes, per student and assignment: the student id, the roster's name and email (the
roster layouts of ``autograder.classroom.platforms.read_roster``: ours, a Canvas export or a Moodle
worksheet), the submission time (nbgrader's, from the submission's timestamp.txt, or
else the newest file of submitted/<student>/<assignment>/), the total, and one column
per graded cell (``<notebook>/<cell>``), in the order the cells appear.
"""
import argparse
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def file_time(folder: Path) -> str:
    """The newest modification time of the files in ``folder`` (ISO 8601 UTC), or ""."""
    stamps = [p.stat().st_mtime for p in folder.rglob("*") if p.is_file()] if folder.is_dir() else []
    if not stamps:
        return ""
    return datetime.fromtimestamp(max(stamps), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def rows(db: Path, people: dict) -> tuple[list[str], list[dict]]:
    from nbgrader.api import Gradebook
    cells, found = [], []
    with Gradebook(f"sqlite:///{db}") as gradebook:
        for assignment in gradebook.assignments:
            for submission in assignment.submissions:
                person = people.get(submission.student_id, {})
                student = submission.student
                name = person.get("name") or " ".join(p for p in (student.first_name, student.last_name) if p)
                row = {"student": submission.student_id, "name": name,
                       "email": person.get("email") or student.email or "",
                       "assignment": assignment.name,
                       "timestamp": (submission.timestamp.isoformat() if submission.timestamp else
                                     file_time(db.parent / "submitted" / submission.student_id / assignment.name)),
                       "score": submission.score, "max_score": submission.max_score}
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        column = f"{notebook.name}/{grade.name}"
                        if column not in cells:
                            cells.append(column)
                        row[column] = grade.score
                found.append(row)
    return cells, sorted(found, key=lambda r: (r["assignment"], r["student"]))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nbcourse.export", description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=str(ROOT / "gradebook.db"))
    parser.add_argument("--roster", default=None)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    sys.path.insert(0, os.environ.get("NN100_REPO", str(ROOT.parent)))  # roster reader, CSV writer
    from autograder.sandbox.safe_text import csv_text
    people = {}
    if args.roster:
        from autograder.classroom.platforms import read_roster
        people = read_roster(Path(args.roster))
    cells, found = rows(Path(args.db), people)
    header = ["student", "name", "email", "assignment", "timestamp", "score", "max_score", *cells]
    with open(args.out, "w", newline="") as handle:
        handle.write(csv_text([header, *([row.get(c, "") for c in header] for row in found)]))
    print(f"nbcourse.export: {len(found)} rows, {len(cells)} graded cells, in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
