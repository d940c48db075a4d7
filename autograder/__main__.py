"""python -m autograder grade PATH [--results FILE] [--timeout S] [--seed N] [--jobs N]
python -m autograder grade-all DIR --gradebook FILE.csv [--jobs N]
python -m autograder list-tests [--points]"""
from __future__ import annotations

import argparse
import sys


def positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text}")
    return value


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m autograder",
                                  description="The nn100 autograder.")
    commands = top.add_subparsers(dest="command", required=True)
    grade = commands.add_parser("grade", help="grade one submission folder")
    grade.add_argument("path", help="a folder holding the nn100 package (PATH/nn100/__init__.py)")
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
    # Listed for --help only; main() hands grade-all to autograder.classroom's own parser.
    commands.add_parser("grade-all", help="grade every submission in a folder (see grade-all --help)")
    listing = commands.add_parser("list-tests", help="the hidden tests' names, one per line")
    listing.add_argument("--points", action="store_true", help="prefix each with its points")
    return top


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["grade-all"]:
        from . import classroom  # imported only here: grading one submission stays light
        return classroom.main(classroom.build_parser().parse_args(argv[1:])) or 0
    args = parser().parse_args(argv)
    if args.command == "list-tests":
        from . import catalog
        for name, points in catalog.tests_with_points():
            print(f"{points:7.3f}  {name}" if args.points else name)
        return 0
    from . import grade, report, sandbox
    try:
        result = grade.grade(args.path, seed=grade.DEFAULT_SEED if args.seed is None else args.seed,
                             timeout=args.timeout, jobs=args.jobs, budget=args.budget)
    except grade.UsageError as error:
        print(error, file=sys.stderr)
        return 2
    except sandbox.GraderError as error:  # the grader's own failure, never the student's
        print(f"grade: the grader failed (not the submission's fault): {error}", file=sys.stderr)
        return 3
    print(report.table(result, details=args.details))
    if args.results:
        report.write_atomically(args.results, report.results_json(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
