"""Run the visible checks and print one status line per exercise.

    python -m tools.check                  # every exercise        (make check)
    python -m tools.check --exercise 1.2   # one exercise, with the failing details
    python -m tools.check --exercise 3     # one chapter
    python -m tools.check --root DIR       # check the nn100 package in DIR instead

Each exercise is "not started" while its stub still raises NotImplementedError,
"FAILING" with the first reason when a check fails, and "passing" when all its checks
pass. Exit status: 0 when nothing is failing (not started is not failing), 1 when
something fails, 2 for bad usage. The visible checks are a safety net, not the grade.
"""
import argparse
import contextlib
import io
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from tools.student_exercises import CHECKPOINTS, select, title_of

ROOT = Path(__file__).resolve().parents[1]
CHECKS = ROOT / "exercises" / "checks"
STUB = re.compile(r"NotImplementedError: Exercise (\w+\.\d+)")


class Collector:
    """A pytest plugin that files each check's outcome under its exercise number."""

    def __init__(self):
        self.number_of = {}                      # test id -> exercise number
        self.outcomes = defaultdict(list)        # exercise number -> [(outcome, message)]
        self.errors = []                         # collection errors: nn100 does not import
        self.details = []                        # (test name, traceback) of real failures

    def pytest_collection_modifyitems(self, items):
        for item in items:
            marker = item.get_closest_marker("exercise")
            self.number_of[item.nodeid] = str(marker.args[0]) if marker else "?"

    def pytest_collectreport(self, report):
        if report.failed:
            self.errors.append(f"{report.nodeid}: {first_line(report)}")

    def pytest_runtest_logreport(self, report):
        if report.when == "call" or report.failed or report.skipped:
            number = self.number_of.get(report.nodeid, "?")
            message = first_line(report)
            self.outcomes[number].append((report.outcome, message))
            if report.failed and not STUB.search(message):
                self.details.append((f"{number}  {report.nodeid}", report.longreprtext))


def first_line(report, limit: int = 200) -> str:
    """One line that says why a check failed: the exception and its message."""
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr or "")
    text = text.split("\nassert ")[0]  # pytest's own restatement of the assert adds nothing
    line = " ".join(part.strip() for part in text.splitlines() if part.strip())
    return line if len(line) <= limit else line[:limit - 3] + "..."


def status(number: str, outcomes) -> tuple[str, str]:
    """(status, detail) for one exercise from the outcomes of its checks."""
    if not outcomes:
        return "no checks", "no check ran (see the errors above)"
    failures = [message for outcome, message in outcomes if outcome == "failed"]
    unstarted = [STUB.search(message) for message in failures]
    real = [message for message, stub in zip(failures, unstarted, strict=True) if stub is None]
    if real:
        return "FAILING", real[0]
    if number in CHECKPOINTS:
        return ("not yet", f"needs {CHECKPOINTS[number][1]}") if failures else ("passing", "")
    if failures:
        waiting = sorted({stub.group(1) for stub in unstarted} - {number})
        return "not started", (f"(its checks need {', '.join(waiting)} first)" if waiting else "")
    return "passing", f"{len(outcomes)} check{'s' if len(outcomes) > 1 else ''}"


def import_error(root: Path) -> str | None:
    """The end of the traceback when ``import nn100`` fails in ``root``, else None.

    Tried in a fresh interpreter first, so a syntax error reads as one clear message
    instead of one collection error per check file.
    """
    try:
        result = subprocess.run([sys.executable, "-c", "import nn100"], cwd=root,
                                capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return "importing nn100 took over 120 s: is there a loop that never ends at import time?"
    if result.returncode == 0:
        return None
    lines = result.stderr.strip().splitlines()
    start = max((i for i, line in enumerate(lines) if line.startswith("  File ")), default=0)
    return "\n".join(lines[start:])


def run_checks(root: Path, checks: Path, pattern: str | None, verbose: bool) -> Collector:
    import pytest  # here, so that --help works without pytest installed

    collector = Collector()
    arguments = [str(checks), "-c", str(checks / "pytest.ini"), "--rootdir", str(checks),
                 f"--nn100-root={root}", "-q", "--tb=short", "-p", "no:cacheprovider"]
    if pattern:
        arguments.append(f"--exercise={pattern}")
    output = io.StringIO()
    with contextlib.redirect_stdout(sys.stdout if verbose else output):
        pytest.main(arguments, plugins=[collector])
    collector.output = output.getvalue()
    return collector


def shown(path: Path) -> str:
    """``path`` relative to the current folder when it lies inside it, else absolute."""
    path = path.resolve()
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.check", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--exercise", help="one exercise (1.2) or chapter (1); default: all")
    parser.add_argument("--root", type=Path, default=ROOT / "exercises",
                        help="folder holding the nn100 package (default: exercises)")
    parser.add_argument("--checks", type=Path, default=CHECKS, help=argparse.SUPPRESS)
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="also print pytest's own output, with every traceback")
    args = parser.parse_args(argv)
    try:
        numbers = select(args.exercise)
    except ValueError as error:
        print(f"check: {error}", file=sys.stderr)
        return 2
    if not (args.root / "nn100" / "__init__.py").is_file():
        print(f"check: no nn100 package in {args.root}", file=sys.stderr)
        return 2

    problem = import_error(args.root)
    if problem:
        print(f"nn100 in {args.root} does not import, so no check can run:\n\n{problem}")
        return 1
    collector = run_checks(args.root.resolve(), args.checks.resolve(), args.exercise,
                           args.verbose)
    print(f"Visible checks of {shown(args.root / 'nn100')} (a safety net: the grader tests "
          "more)\n")
    for error in collector.errors:
        print(f"  ERROR  {error}")
    counts = defaultdict(int)
    first_failing = None
    width = max(len(title_of(number)) for number in numbers)
    number_width = max(4, *(len(number) for number in numbers))  # "10.12" is five wide
    for number in numbers:
        state, detail = status(number, collector.outcomes.get(number, []))
        if state == "FAILING" and first_failing is None:
            first_failing = number
        if number in CHECKPOINTS and state == "not yet":
            counts["checkpoints to come"] += 1
        else:
            counts[state] += 1
        print(f"  {number:<{number_width}} {title_of(number):<{width}}  {state:<11}  "
              f"{detail}".rstrip())
    print("\n" + ", ".join(f"{counts[state]} {state}" for state in
                           ("passing", "FAILING", "not started", "no checks",
                            "checkpoints to come") if counts[state]))
    failing = counts["FAILING"] or counts["no checks"] or collector.errors
    if failing and args.exercise and not args.verbose:
        for name, traceback in collector.details:
            print(f"\n---- {name}\n{traceback}")
        if collector.errors:
            print("\n" + collector.output)
    elif failing:
        print(f"The details of one exercise: make check EX={first_failing or '1.2'}")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
