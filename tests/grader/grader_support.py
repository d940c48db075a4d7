"""Shared helpers of the grader's tests: stubbed copies, grading, leftover processes."""
import re
import shutil
from pathlib import Path

from autograder import course
from autograder.sandbox import server_pids
from autograder.sandbox.processes import processes

REPO = Path(__file__).resolve().parents[2]
SOLUTIONS = REPO / "solutions" / "nn100"
EXERCISES = REPO / "exercises" / "nn100"
# the convergence problems: units that stand on every other (a mutant elsewhere costs them)
CONVERGENCE = frozenset(u for u, entry in course.load().units.items()
                        if entry.kind == "convergence")
BLOCK = re.compile(r"^([ \t]*)### BEGIN SOLUTION\n.*?^[ \t]*### END SOLUTION\n", re.M | re.S)


def make_stubs(dest_root) -> Path:
    """A copy of the reference with every solution block replaced by a raise, the way
    tools.make_exercises does it (kept here so the tests never wait for it)."""
    package = Path(dest_root) / "nn100"
    shutil.copytree(SOLUTIONS, package, ignore=shutil.ignore_patterns("__pycache__"))
    for path in package.glob("*.py"):
        text = path.read_text()
        stubbed = BLOCK.sub(lambda m, stem=path.stem: f'{m.group(1)}raise NotImplementedError('
                                                      f'"Exercise: {stem}")\n', text)
        path.write_text(stubbed)
    return Path(dest_root)


def leftover_processes(*needles: str) -> list[str]:
    """Command lines of live processes that contain any of the needles, but this
    process's own fork servers (kept for its next grading; ``sandbox.close_shared``
    ends them): a unit's child, forked from one, has another pid and is found."""
    found, servers = [], server_pids()
    for process in processes():
        cmdline = process.cmdline()
        if process.state != "Z" and process.pid not in servers and \
                any(n in cmdline for n in needles):
            found.append(f"{process.pid}: {cmdline}")
    return found


def unit_table(grade) -> dict:
    return {unit: earned for unit, (earned, _) in grade.unit_scores.items()}


_GRADED: dict = {}


def graded_once(key, make_root, **options):
    """Grade the submission ``make_root(folder)`` builds, once per test session: tests that
    look at the same grading from different sides (scores, feedback) share it."""
    import tempfile

    from autograder.grading import grade
    if key not in _GRADED:
        folder = tempfile.mkdtemp(prefix="nn100-graded-")
        try:
            _GRADED[key] = grade.grade(make_root(Path(folder) / "sub"), **options)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    return _GRADED[key]
