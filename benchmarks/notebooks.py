"""What grading by the sandbox costs nbgrader: autograde time per notebook, before/after.

    .venv/bin/python benchmarks/notebooks.py [--students 2] [--rounds 1]

Needs the notebook requirements (`make notebooks` installs them), so it is not a
section of `make bench`. Copies the course to a temporary folder, builds it, hands in
the reference notebooks of every assignment for ``--students`` students, and times
`make autograde` with the course's configuration ("after": the sandboxed grader decides,
the kernel is confined) and with nbgrader's stock scoring ("before": the same
configuration with the default autograde preprocessors and the plain python3 kernel).
The two runs alternate; the figure to quote is the difference per notebook.
"""
import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COURSE_FILES = ["Makefile", "nbgrader_config.py", "nbcourse", "text"]
sys.path.insert(0, str(ROOT))
from autograder import course  # noqa: E402

ASSIGNMENTS = list(course.load().notebooks)
# Appended to the copy's nbgrader_config.py for the "before" runs.
STOCK = ("\nc.Autograde.autograde_preprocessors = _default\n"
         "c.Execute.kernel_name = ''\n")


def make(course: Path, *args: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds of every process it ran) of one make target. CPU time
    is the steadier figure on a shared machine."""
    start, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(["make", "-C", str(course), *args, f"VENV={ROOT / '.venv'}",
                    f"SOLUTIONS={ROOT / 'solutions' / 'nn100'}", f"DATA={ROOT / 'data'}"],
                   check=True, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (time.perf_counter() - start,
            after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime)


def course_copy(folder: Path, students: int, stock: bool) -> Path:
    course = folder / ("before" if stock else "after")
    course.mkdir(parents=True)
    for name in COURSE_FILES:
        source = ROOT / "assignments" / name
        if source.is_dir():
            shutil.copytree(source, course / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, course / name)
    if stock:
        with open(course / "nbgrader_config.py", "a") as config:
            config.write(STOCK)
    make(course, "notebooks")  # also records the assignments in the gradebook
    sys.path.insert(0, str(ROOT))
    import nbformat
    for student in range(students):
        for assignment in ASSIGNMENTS:
            folder = course / "submitted" / f"s{student}" / assignment
            shutil.copytree(course / "release" / assignment, folder)
            nb = nbformat.read(course / "source" / assignment / f"{assignment}.ipynb",
                               as_version=4)
            nbformat.write(nb, folder / f"{assignment}.ipynb")  # the reference, as handed in
    return course


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args(argv)
    notebooks = args.students * len(ASSIGNMENTS)
    times = {"before": [], "after": []}
    cpus = {"before": [], "after": []}
    with tempfile.TemporaryDirectory(prefix="nn100-bench-nb-") as folder:
        courses = {"before": course_copy(Path(folder), args.students, True),
                   "after": course_copy(Path(folder), args.students, False)}
        for _ in range(args.rounds):
            for name, course in courses.items():
                wall, cpu = make(course, "autograde", "TIMEOUT=60")
                times[name].append(wall)
                cpus[name].append(cpu)
    result = {name: statistics.median(t) for name, t in times.items()}
    per = {name: value / notebooks for name, value in result.items()}
    cpu = {name: statistics.median(t) / notebooks for name, t in cpus.items()}
    print(f"autograde of {notebooks} reference notebooks ({args.students} students x "
          f"{len(ASSIGNMENTS)} assignments), median of {args.rounds} round(s):")
    for name in ("before", "after"):
        print(f"  {name:6s} {result[name]:6.1f} s   {per[name]:5.2f} s wall and "
              f"{cpu[name]:5.2f} s CPU per notebook")
    print(f"  the sandbox adds {per['after'] - per['before']:+.2f} s wall and "
          f"{cpu['after'] - cpu['before']:+.2f} s CPU per notebook")
    print(json.dumps({"notebooks": notebooks, "seconds": times, "cpu_seconds": cpus,
                      "per_notebook": per, "cpu_per_notebook": cpu}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
