"""Run the visible checks and print one status line per exercise.

    python -m tools.check                  # every exercise        (make check)
    python -m tools.check --exercise 1.2   # one exercise, with the failing details
    python -m tools.check --exercise 3     # one chapter
    python -m tools.check --root DIR       # check the nn100 package in DIR instead

Each exercise is "not started" while its stub still raises NotImplementedError,
"FAILING" with the first reason when a check fails, "not judged" when an earlier exercise
of the same unit fails (its checks would fail on the same bug), and "passing" when all
its checks pass. Rows appear as the checks run; a check that runs longer than the limit
in exercises/checks/pytest.ini (10 s) is stopped and reported as a likely infinite loop.
Exit status: 0 when nothing is failing (not started is not failing), 1 when something
fails, 2 for bad usage. The visible checks are a safety net, not the grade.
"""
import argparse
import contextlib
import io
import os
import re
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

from tools.student_exercises import (BY_NUMBER, CHECKPOINTS, all_numbers, needed_by, select,
                                     title_of)

ROOT = Path(__file__).resolve().parents[1]
CHECKS = ROOT / "exercises" / "checks"
STUB = re.compile(r"NotImplementedError: Exercise (\w+\.\d+)")
# pytest-timeout's message; the limit itself is set once, in the checks' pytest.ini.
TIMEOUT = re.compile(r"Timeout \(>([\d.]+)s\) from pytest-timeout")
IMPORT_LIMIT = 30  # seconds; numpy's first import on a cold disk takes a few
PACKAGE_FILE = re.compile(r"nn100[/\\][\w/\\]+\.py$")


class Collector:
    """A pytest plugin that runs the checks in exercise order, files each check's outcome
    under its exercise number and prints an exercise's row as soon as its checks are done.

    One diagnosis per bug, as the grader gives: once a check of a unit fails, the later
    checks of that unit are "not judged" (they would fail on the same bug), and so is a
    checkpoint that needs a failing exercise.
    """

    def __init__(self, on_done=None):
        self.number_of = {}                      # test id -> exercise number
        self.outcomes = defaultdict(list)        # exercise number -> [(outcome, message)]
        self.errors = []                         # collection errors: nn100 does not import
        self.details = []                        # (test name, traceback) of real failures
        self.on_done = on_done                   # called with (number, outcomes) in order
        self.waiting = {}                        # exercise number -> checks still to run
        self.failing = []                        # exercise numbers with a real failure
        self.running = None                      # (test id, start) of the check running
        self.limit = 0.0                         # seconds a check may run (pytest.ini)

    def pytest_configure(self, config):
        try:
            self.limit = float(config.getini("timeout") or 0)
        except (ValueError, TypeError):  # pytest-timeout missing: no limit to watch
            self.limit = 0.0

    def pytest_collection_modifyitems(self, items):
        order = {number: index for index, number in enumerate(all_numbers())}
        for item in items:
            marker = item.get_closest_marker("exercise")
            self.number_of[item.nodeid] = str(marker.args[0]) if marker else "?"
        items.sort(key=lambda item: order.get(self.number_of[item.nodeid], len(order)))

    def pytest_collection_finish(self, session):
        for item in session.items:
            number = self.number_of[item.nodeid]
            self.waiting[number] = self.waiting.get(number, 0) + 1

    def pytest_collectreport(self, report):
        if report.failed:
            self.errors.append(f"{report.nodeid}: {first_line(report)}")

    def pytest_runtest_setup(self, item):
        self.running = (item.nodeid, time.monotonic())
        earlier = self.failed_first(self.number_of[item.nodeid])
        if earlier:
            import pytest
            pytest.skip(f"not judged: {earlier} fails first")

    def failed_first(self, number: str) -> str | None:
        """The failing exercise that makes the checks of ``number`` not judged, if any."""
        if number in CHECKPOINTS:
            needed = set(needed_by(number))
            return next((failing for failing in self.failing if failing in needed), None)
        unit = BY_NUMBER[number].unit if number in BY_NUMBER else None
        return next((failing for failing in self.failing
                     if failing in BY_NUMBER and BY_NUMBER[failing].unit == unit), None)

    def pytest_runtest_logreport(self, report):
        number = self.number_of.get(report.nodeid, "?")
        if report.when == "call" or report.failed or report.skipped:
            message = first_line(report)
            self.outcomes[number].append((report.outcome, message))
            if report.failed and not STUB.search(message):
                self.details.append((f"{number}  {report.nodeid}", report.longreprtext))
                if number not in self.failing:
                    self.failing.append(number)
        if report.when == "teardown":
            self.running = None
        if report.when == "teardown" and number in self.waiting:
            self.waiting[number] -= 1
            if self.waiting[number] == 0 and self.on_done:
                self.on_done(number, self.outcomes[number])


def first_line(report, limit: int = 200) -> str:
    """One line that says why a check failed: the exception and its message, and for a
    crash or a timeout, the line of the package under test where it happened."""
    if report.skipped and isinstance(report.longrepr, tuple):  # (path, line, "Skipped: why")
        return report.longrepr[2].removeprefix("Skipped: ")
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr or "")
    timeout = TIMEOUT.search(text)
    if timeout:
        check = report.nodeid.rpartition("::")[2]
        where = student_line(report)
        return (f"{check} did not finish within {float(timeout.group(1)):g} s: an infinite "
                f"loop?" + (f" (it was running {where})" if where else ""))
    text = text.split("\nassert ")[0]  # pytest's own restatement of the assert adds nothing
    line = " ".join(part.strip() for part in text.splitlines() if part.strip())
    line = line if len(line) <= limit else line[:limit - 3] + "..."
    where = None if line.startswith(("AssertionError", "Failed:")) else student_line(report)
    return f"{line} (raised at {where})" if where and not STUB.search(line) else line


def student_line(report) -> str | None:
    """"nn100/learner.py, line 40": the last line of the package under test (the given
    gradient checker aside) in a failed check's traceback, or None when none is there."""
    entries = getattr(getattr(report.longrepr, "reprtraceback", None), "reprentries", [])
    for entry in reversed(entries):
        location = getattr(entry, "reprfileloc", None)
        found = PACKAGE_FILE.search(location.path) if location is not None else None
        if found and not found.group(0).endswith("gradcheck.py"):
            return f"{found.group(0)}, line {location.lineno}"
    return None


def status(number: str, outcomes) -> tuple[str, str]:
    """(status, detail) for one exercise from the outcomes of its checks."""
    if not outcomes:
        return "no checks", "no check ran (see the errors above)"
    failures = [message for outcome, message in outcomes if outcome == "failed"]
    unstarted = [STUB.search(message) for message in failures]
    real = [message for message, stub in zip(failures, unstarted, strict=True) if stub is None]
    if real:
        return "FAILING", real[0]
    if not failures and any(outcome == "skipped" for outcome, _ in outcomes):
        reason = next(message for outcome, message in outcomes if outcome == "skipped")
        return "not judged", f"({reason.removeprefix('not judged: ')})"
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
                                capture_output=True, text=True, timeout=IMPORT_LIMIT)
    except subprocess.TimeoutExpired:
        return (f"importing nn100 did not finish within {IMPORT_LIMIT} s: an infinite loop "
                "at import time (outside any function)?")
    if result.returncode == 0:
        return None
    lines = result.stderr.strip().splitlines()
    start = max((i for i, line in enumerate(lines) if line.startswith("  File ")), default=0)
    return "\n".join(lines[start:])


def watch(collector: Collector, on_hang) -> None:
    """Call ``on_hang(exercise number, message)`` when a check outlives twice its time limit:
    pytest-timeout interrupts a check once, and an ``except:`` inside the student's loop
    can swallow that interruption, after which nothing else would ever stop the run."""
    main = threading.main_thread().ident
    while True:
        time.sleep(0.5)
        running = collector.running
        if running is None or not collector.limit:
            continue
        waited = time.monotonic() - running[1]
        if waited > 2 * collector.limit + 2:
            check = running[0].rpartition("::")[2]
            where = running_line(sys._current_frames().get(main))
            on_hang(collector.number_of.get(running[0], "?"),
                    f"{check} did not stop within {waited:.0f} s, even when "
                    f"interrupted at {collector.limit:g} s: an infinite loop whose `except` "
                    "catches the interruption?" + (f" (it was running {where})" if where else ""))
            return


def running_line(frame) -> str | None:
    """"nn100/layers.py, line 40": the innermost line of the package under test on the
    stack of ``frame``, or None."""
    while frame is not None:
        found = PACKAGE_FILE.search(frame.f_code.co_filename.replace("\\", "/"))
        if found and not found.group(0).endswith("gradcheck.py"):
            return f"{found.group(0)}, line {frame.f_lineno}"
        frame = frame.f_back
    return None


def the_terminal():
    """A second handle on this process's standard output, which pytest's capture of file
    descriptor 1 during a check does not redirect; sys.stdout when it has no descriptor."""
    try:
        return os.fdopen(os.dup(sys.stdout.fileno()), "w")
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return sys.stdout


def run_checks(root: Path, checks: Path, pattern: str | None, verbose: bool,
               on_done=None, on_hang=None) -> Collector:
    import pytest  # here, so that --help works without pytest installed

    collector = Collector(on_done)
    if on_hang is not None:
        threading.Thread(target=watch, args=(collector, on_hang), daemon=True).start()
    arguments = [str(checks), "-c", str(checks / "pytest.ini"), "--rootdir", str(checks),
                 f"--nn100-root={root}", "-q", "--tb=short", "-p", "no:cacheprovider"]
    if pattern:
        arguments.append(f"--exercise={pattern}")
    output = io.StringIO()
    with contextlib.redirect_stdout(sys.stdout if verbose else output):
        pytest.main(arguments, plugins=[collector])
    collector.output = output.getvalue()
    return collector


class Table:
    """The status table, printed one row at a time as the checks of each exercise end."""

    def __init__(self, numbers: list[str], out):
        self.numbers, self.out = numbers, out
        self.width = max(len(title_of(number)) for number in numbers)
        self.number_width = max(4, *(len(number) for number in numbers))  # "10.12": five
        self.printed = 0
        self.states = {}
        self.first_failing = None

    def done(self, number: str, outcomes) -> None:
        """Record ``number``'s row; print every row up to it (their checks ran earlier)."""
        self.states[number] = status(number, outcomes)
        if self.states[number][0] == "FAILING" and self.first_failing is None:
            self.first_failing = number
        self.print_up_to(self.numbers.index(number) + 1 if number in self.numbers else 0)

    def print_up_to(self, end: int) -> None:
        for number in self.numbers[self.printed:end]:
            state, detail = self.states.get(number) or status(number, [])
            print(f"  {number:<{self.number_width}} {title_of(number):<{self.width}}  "
                  f"{state:<11}  {detail}".rstrip(), file=self.out, flush=True)
            self.states[number] = (state, detail)
        self.printed = max(self.printed, end)

    def counts(self) -> dict:
        counts = defaultdict(int)
        for number, (state, _) in self.states.items():
            if number in CHECKPOINTS and state in ("not yet", "not judged"):
                counts["checkpoints to come"] += 1
            else:
                counts[state] += 1
        return counts


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
    print(f"Visible checks of {shown(args.root / 'nn100')} (a safety net: the grader tests "
          "more)\n", flush=True)
    table = Table(numbers, sys.stdout)
    terminal = the_terminal()

    def hung(number: str, message: str) -> None:
        table.out = terminal  # pytest captures file descriptor 1 while a check runs
        table.done(number, [("failed", message)])
        print("\nmake check stopped there: the later checks did not run.", file=terminal,
              flush=True)
        os._exit(1)  # the main thread is stuck in the student's loop: end the process

    collector = run_checks(args.root.resolve(), args.checks.resolve(), args.exercise,
                           args.verbose, on_done=table.done, on_hang=hung)
    for error in collector.errors:
        print(f"  ERROR  {error}")
    table.print_up_to(len(numbers))
    counts = table.counts()
    first_failing = table.first_failing
    print("\n" + ", ".join(f"{counts[state]} {state}" for state in
                           ("passing", "FAILING", "not judged", "not started", "no checks",
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
