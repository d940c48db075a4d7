"""One graded sample class, shared by every test in this folder.

nbgrader is slow (about 5 s per command, 3 s per student notebook), so the course is
copied to a temporary folder, built, submitted to and graded once per test session.
Under pytest-xdist the first worker to ask builds it while holding a file lock; the
other workers wait for it and then only read, so no two workers ever run nbgrader
in the same course folder.
"""
import fcntl
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import nbformat
import pytest

from .sample_class import CLASS, DUE, SENT, SENT_ON_TIME, make_submission

REPO = Path(__file__).resolve().parents[2]
COURSE_FILES = ["Makefile", "nbgrader_config.py", "nbcourse", "text"]
# The longest reference cell runs in 1.1 s on an idle machine: a short limit keeps cy's
# infinite loop cheap (it spins for the whole limit), with room for a machine loaded by
# the rest of the test suite.
TIMEOUT = 8


def make(course: Path, *args: str) -> float:
    """Run one make target in the course copy; returns its wall time in seconds."""
    start = time.perf_counter()
    result = subprocess.run(
        ["make", "-C", str(course), *args, f"VENV={REPO / '.venv'}",
         f"SOLUTIONS={REPO / 'solutions' / 'nn100'}", f"DATA={REPO / 'data'}"],
        capture_output=True, text=True, timeout=1800)  # 29 notebooks on a loaded machine
    (course / f"make-{args[0]}.log").open("a").write(result.stdout + result.stderr)
    if result.returncode != 0:
        raise RuntimeError(f"make {' '.join(args)} failed:\n{result.stdout[-3000:]}\n"
                           f"{result.stderr[-3000:]}")
    return time.perf_counter() - start


def build_class(course: Path) -> dict:
    """Copy the course, release it, hand in the sample class, grade it, export, feed back."""
    for name in COURSE_FILES:
        source = REPO / "assignments" / name
        if source.is_dir():
            shutil.copytree(source, course / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, course / name)
    timings = {"notebooks": make(course, "notebooks")}
    make(course, "due", "ASSIGNMENT=backprop", f"DUE={DUE}")
    for student in CLASS:
        folder = course / "submitted" / student.name / student.assignment
        shutil.copytree(course / "release" / student.assignment, folder)
        notebook = f"{student.assignment}.ipynb"
        submitted = make_submission(
            nbformat.read(course / "source" / student.assignment / notebook, as_version=4),
            nbformat.read(course / "release" / student.assignment / notebook, as_version=4),
            student)
        nbformat.write(submitted, folder / notebook)
        (folder / "timestamp.txt").write_text(SENT.get(student.name, SENT_ON_TIME))
        for name, text in student.tamper_files.items():
            (folder / name).write_text(text)
    timings["autograde"] = make(course, "autograde", f"TIMEOUT={TIMEOUT}")
    timings["gradebook"] = make(course, "gradebook")
    timings["feedback"] = make(course, "feedback")
    return timings


@pytest.fixture(scope="session")
def graded_class(tmp_path_factory) -> Path:
    """The folder of the graded sample class (read it, never write to it)."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # shared by all the workers of this run
    course = shared / "nbgrader-course"
    with open(shared / "nbgrader-course.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        failed = shared / "nbgrader-course.failed"
        if failed.exists():  # another worker tried already: do not pay for it twice
            pytest.fail(failed.read_text()[-4000:])
        if not (course / "timings.json").exists():
            course.mkdir()
            try:
                timings = build_class(course)
            except Exception as error:
                failed.write_text(f"building the sample class failed: {error}")
                raise
            (course / "timings.json").write_text(json.dumps(timings, indent=1))
    return course
