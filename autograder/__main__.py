"""python -m autograder grade PATH [--assignment N] [--fail-under X] [--results FILE]
                                  [--timeout S] [--seed N] [--jobs N]
python -m autograder grade-all DIR --gradebook FILE.csv [--jobs N] [--similarity]
python -m autograder similarity DIR --out FOLDER [--roster FILE.csv] [--threshold X]
python -m autograder list-tests [--points]"""
from __future__ import annotations

import argparse
import sys


def positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text}")
    return value


FULL = "full"  # --fail-under full: every point of what was graded


def threshold(text: str):
    """--fail-under's value: a number of points, or "full"."""
    if text == FULL:
        return FULL
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number of points or 'full', got {text!r}") from None


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m autograder",
                                  description="The nn100 autograder.")
    commands = top.add_subparsers(dest="command", required=True)
    grade = commands.add_parser("grade", help="grade one submission folder")
    grade.add_argument("path", help="a folder holding nn100/ (or one level above it), the package "
                                    "folder itself, or a zip of any of these (what `make submit` "
                                    "writes)")
    grade.add_argument("--assignment", type=int, default=None,
                       help="grade only this assignment's units, scaled to its total (course.toml)")
    grade.add_argument("--course", default=None,
                       help="the course table (default: autograder/course/course.toml)")
    grade.add_argument("--fail-under", type=threshold, default=None, metavar="X",
                       help="exit with status 1 when the score is below X, a number of "
                            "points or 'full' for the graded total (for CI)")
    grade.add_argument("--results", help="write Gradescope results.json here")
    grade.add_argument("--timeout", type=positive, default=5.0,
                       help="seconds allowed to each check's student code (default 5; "
                            "convergence training gets 3x)")
    grade.add_argument("--seed", type=int, default=None, help="seed of the hidden inputs")
    grade.add_argument("--jobs", type=int, default=2, help="sandboxed children run at once")
    grade.add_argument("--budget", type=positive, default=None,
                       help="seconds for the whole submission (default: 15x the reference's "
                            "own time on this machine, measured once and cached, at least 30)")
    grade.add_argument("--details", action="store_true", help="print every failed check in full")
    # Listed for --help only; main() hands grade-all to autograder.classroom.grade_all's own parser.
    commands.add_parser("grade-all",
                        help="grade every submission in a folder (see grade-all --help)")
    commands.add_parser("similarity", help="the most similar pairs of submissions of a class "
                                           "(see similarity --help)")
    listing = commands.add_parser("list-tests", help="the hidden tests' names, one per line")
    listing.add_argument("--points", action="store_true", help="prefix each with its points")
    return top


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["grade-all"]:
        # imported only here: grading one submission stays light
        from .classroom import (grade_all as classroom)
        return classroom.main(classroom.build_parser().parse_args(argv[1:])) or 0
    if argv[:1] == ["similarity"]:
        from .classroom import similarity
        return similarity.main(argv[1:])
    args = parser().parse_args(argv)
    if args.command == "list-tests":
        from .grading import catalog
        for name, points in catalog.tests_with_points():
            print(f"{points:7.3f}  {name}" if args.points else name)
        return 0
    from .course import assignments
    from . import course, sandbox
    from .grading import grade, report
    try:
        table = course.read(args.course) if args.course else course.load()
        chosen = assignments.select(args.assignment, table)
        points = chosen.points if chosen.points or not args.course else table.points()
        result = grade.grade(args.path, seed=grade.DEFAULT_SEED if args.seed is None else args.seed,
                             timeout=args.timeout, jobs=args.jobs, points=points,
                             units=chosen.units, budget=args.budget,
                             table=table)
    except (grade.UsageError, ValueError) as error:
        print(error, file=sys.stderr)
        return 2
    except sandbox.GraderError as error:  # the grader's own failure, never the student's
        print(f"grade: the grader failed (not the submission's fault): {error}", file=sys.stderr)
        return 3
    if chosen.number is not None:
        result.notes.insert(0, f"assignment {chosen.number}")
    print(report.table(result, details=args.details))
    if args.results:
        report.write_atomically(args.results, report.results_json(result))
    bar = result.max_score if args.fail_under == FULL else args.fail_under
    if bar is not None and result.score < bar - 1e-9:
        print(f"grade: score {report.fmt(result.score)} is below --fail-under "
              f"{args.fail_under if args.fail_under == FULL else report.fmt(bar)}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
