"""Generate a class of notebook submissions to try the nbgrader track's term.

    make notebooks                       # the course's source/ and release/ notebooks
    python -m tools.make_notebook_class assignments --assignment backprop \\
        --students 6 --due 2026-09-14T23:59Z --late 2

The sibling of tools/make_class.py (the package track's classes). Each student gets
``submitted/<id>/<assignment>/`` in the nbgrader course folder, as ``nbgrader collect``
lays it out: the released files, the notebook with the reference's solution cells filled
in (or left as released), and ``timestamp.txt``, nbgrader's record of when it was sent.
The first is the reference, the second hands the released notebook in untouched, the
third fills only half its solution cells; then references again. The last ``--late``
students send theirs 36 hours after ``--due`` (2 days late after course.toml's grace
period), the others an hour before. A roster (``id,name,email``) is written beside
(``--roster``, default ``<course>/roster.csv``). Then, in the course folder:

    make -C assignments due ASSIGNMENT=backprop DUE=2026-09-14T23:59Z
    make -C assignments autograde gradebook lms ASSIGNMENT=backprop ROSTER=roster.csv
"""
from __future__ import annotations

import argparse
import copy
import csv
import shutil
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
ON_TIME = timedelta(hours=-1)
LATE = timedelta(hours=36)
KINDS = ("reference", "untouched", "half")  # the first three students; then references


def by_id(nb) -> dict:
    return {cell.metadata["nbgrader"]["grade_id"]: cell for cell in nb.cells
            if "grade_id" in cell.metadata.get("nbgrader", {})}


def filled(source, release, keep_released: float = 0.0):
    """The release notebook with its solution cells taken from the source (markers
    dropped), but for the first ``keep_released`` share of them, left as released."""
    nb = copy.deepcopy(release)
    reference = by_id(source)
    solutions = [(gid, cell) for gid, cell in by_id(nb).items()
                 if cell.metadata["nbgrader"].get("solution")]
    kept = int(len(solutions) * keep_released)
    for grade_id, cell in solutions[kept:]:
        cell.source = "\n".join(line for line in reference[grade_id].source.splitlines()
                                if line.strip() not in SOLUTION_MARKERS)
    return nb


def make_notebook_class(course: Path, assignment: str, students: int, due: datetime,
                        late: int, roster: Path) -> list[dict]:
    """Write the submissions into ``course``/submitted/ and the roster; the students made."""
    import nbformat
    sys.path.insert(0, str(ROOT))
    from tools.make_class import people
    source = course / "source" / assignment / f"{assignment}.ipynb"
    release = course / "release" / assignment
    if not source.is_file() or not (release / f"{assignment}.ipynb").is_file():
        raise ValueError(f"make_notebook_class: expected {source} and "
                         f"{release}/{assignment}.ipynb: run `make notebooks` first")
    source_nb = nbformat.read(source, as_version=4)
    release_nb = nbformat.read(release / f"{assignment}.ipynb", as_version=4)
    made = []
    for i, person in enumerate(people(students)):
        kind = KINDS[i] if i < len(KINDS) else "reference"
        is_late = i >= students - late
        student = f"s{i + 1:03d}-{kind}" + ("-late" if is_late else "")
        folder = course / "submitted" / student / assignment
        if folder.exists():
            raise ValueError(f"make_notebook_class: {folder} exists; remove it first")
        shutil.copytree(release, folder)
        keep = {"reference": 0.0, "untouched": 1.0, "half": 0.5}[kind]
        nbformat.write(filled(source_nb, release_nb, keep), folder / f"{assignment}.ipynb")
        sent = due + (LATE if is_late else ON_TIME)
        # nbgrader's own timestamp layout (what `nbgrader collect` writes)
        (folder / "timestamp.txt").write_text(sent.strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
        made.append({"id": student, "name": person["name"], "email": person["email"],
                     "sent": sent, "late": is_late})
    with open(roster, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "name", "email"])
        writer.writerows([s["id"], s["name"], s["email"]] for s in made)
    return made


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.make_notebook_class",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("course", help="the nbgrader course folder (assignments/), notebooks built")
    parser.add_argument("--assignment", required=True, help="the notebook, e.g. backprop")
    parser.add_argument("--students", type=int, default=6)
    parser.add_argument("--due", required=True, metavar="TIME",
                        help="the due time (ISO 8601, UTC unless a zone is given)")
    parser.add_argument("--late", type=int, default=1, help="how many send theirs 36 h after it")
    parser.add_argument("--roster", default=None, help="default: <course>/roster.csv")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from autograder.classroom.late import parse_time
    course = Path(args.course)
    if not 0 <= args.late <= args.students:
        print(f"make_notebook_class: --late must lie in 0..{args.students}, found {args.late}",
              file=sys.stderr)
        return 2
    try:
        due = parse_time(args.due).astimezone(timezone.utc)
        made = make_notebook_class(course, args.assignment, args.students, due, args.late,
                                   Path(args.roster or course / "roster.csv"))
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    late = [s["id"] for s in made if s["late"]]
    print(f"make_notebook_class: {len(made)} submissions of {args.assignment} in "
          f"{course / 'submitted'}; late: {', '.join(late) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
