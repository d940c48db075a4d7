"""Set an assignment's due date in nbgrader's gradebook: ``python -m nbcourse.due
ASSIGNMENT TIME`` (``make due ASSIGNMENT=backprop DUE=2026-09-14T23:59Z``).

The time is ISO 8601, UTC unless a zone is given (as grade-all's ``--due``). nbgrader
then measures each submission's lateness from its ``timestamp.txt`` at ``make
autograde``, and the course's late policy (nbcourse/late.py) sets the penalty.
"""
import argparse
import os
import sys
from datetime import timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def set_due(db: Path, assignment: str, text: str) -> str:
    """Record ``text`` as ``assignment``'s due date; the time recorded (ISO, UTC)."""
    sys.path.insert(0, os.environ.get("NN100_REPO", str(ROOT.parent)))
    from autograder.classroom.late import iso, parse_time
    from nbgrader.api import Gradebook
    moment = parse_time(text, "DUE")
    with Gradebook(f"sqlite:///{db}") as gradebook:
        names = [a.name for a in gradebook.assignments]
        if assignment not in names:
            raise ValueError(f"nbcourse.due: no assignment {assignment!r} in {db} "
                             f"(it has {', '.join(names) or 'none'}: run `make notebooks` first)")
        # nbgrader keeps times as naive UTC
        gradebook.update_or_create_assignment(
            assignment, duedate=moment.astimezone(timezone.utc).replace(tzinfo=None))
    return iso(moment)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nbcourse.due",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("assignment")
    parser.add_argument("time")
    parser.add_argument("--db", default=str(ROOT / "gradebook.db"))
    args = parser.parse_args(argv)
    try:
        when = set_due(Path(args.db), args.assignment, args.time)
    except ValueError as error:  # PolicyError included
        print(error, file=sys.stderr)
        return 2
    print(f"nbcourse.due: {args.assignment} is due {when}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
