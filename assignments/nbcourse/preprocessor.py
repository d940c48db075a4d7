"""``TrustedGrades``: nbgrader's autograde asks the sandboxed grader for each test cell's
score (see trusted.py for how).  Configured in nbgrader_config.py, between ``Execute``
and ``SaveAutoGrades`` in ``Autograde.autograde_preprocessors``; ``ExecuteToTheEnd``
takes ``Execute``'s place so that a dead kernel does not stop the grading."""
from __future__ import annotations

import dataclasses
import os
import shutil
import stat
import tempfile
import time
from pathlib import Path

from nbclient.exceptions import DeadKernelError
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Float, Unicode

from . import trusted

DIED = "the kernel died while running this cell (os._exit, sys.exit in a thread, a crash)"
NOT_RUN = "not run: the kernel had died in an earlier cell"


def reachable_tempdir() -> str:
    """A temporary folder the sandbox's unprivileged child can enter. The Makefile points
    TMPDIR into the course folder, which may sit below a folder only the grader's user
    may enter (pytest's, a home folder of mode 700): the child would then fail to import
    anything, and every notebook would score 0."""
    for candidate in (tempfile.gettempdir(), "/tmp", "/var/tmp"):
        path = Path(candidate).resolve()
        if path.is_dir() and all(os.stat(p).st_mode & stat.S_IXOTH
                                 for p in [path, *path.parents]):
            return str(path)
    return tempfile.gettempdir()


class TrustedGrades(NbGraderPreprocessor):
    """Replace every autograded test cell's verdict by the sandboxed grader's."""

    stubs = Unicode(help="the stub package (exercises/nn100): every name of the contract").tag(
        config=True)
    source = Unicode(help="the course's source/ folder (the trusted toolbox.py of each "
                          "assignment)").tag(config=True)
    timeout = Float(5.0, help="the grader's time limit per check, seconds").tag(config=True)

    def preprocess(self, nb, resources):
        from autograder import course
        from autograder.grading import grade
        assignment = resources["nbgrader"]["assignment"]
        student = resources["nbgrader"].get("student", "?")
        plan = trusted.notebook_plan(assignment)
        tests = {cell.metadata["nbgrader"]["grade_id"]: cell for cell in nb.cells
                 if trusted._is_test_cell(cell)}
        if plan is None:
            self.log.warning("TrustedGrades: %s has no [notebook_cells.%s] in course.toml: its "
                             "test cells are scored by the student's kernel", assignment,
                             assignment)
            return nb, resources
        units, claimed, _ = plan
        started = time.monotonic()
        saved, tempfile.tempdir = tempfile.tempdir, reachable_tempdir()
        folder = Path(tempfile.mkdtemp(prefix="nn100-notebook-"))
        try:
            toolbox = Path(self.source) / assignment / "toolbox.py"
            trusted.assemble(nb, Path(self.stubs), folder, toolbox)
            graded = grade.grade(folder, timeout=self.timeout, units=units)
            code = (folder / "nn100" / "notebook.py").read_text()
        except Exception as error:  # fail closed: no trusted verdict, no points
            self.log.error("TrustedGrades: %s/%s could not be graded: %s", student,
                           assignment, error)
            for cell in tests.values():
                cell.outputs = trusted._kernel_outputs_as_text(cell) + trusted.failure_outputs(
                    f"the grader could not grade this notebook ({type(error).__name__}); "
                    "tell your instructor")
            return nb, resources
        finally:
            shutil.rmtree(folder, ignore_errors=True)
            tempfile.tempdir = saved
        # the child names places in the assembled module: say them as the notebook's cells
        by_name = {o.check.name: dataclasses.replace(o, text=trusted.located(o.text, nb, code))
                   for o in graded.outcomes}
        visibility = {name: unit.visibility for name, unit in course.load().units.items()}
        shown = lambda o: visibility.get(o.check.name.split(":", 1)[0]) != "hidden"  # noqa: E731
        for grade_id, cell in tests.items():
            outcomes = [by_name[c.name] for c in claimed.get(grade_id, []) if c.name in by_name]
            kernel = trusted._kernel_outputs_as_text(cell)
            if not outcomes:
                cell.outputs = kernel + trusted.failure_outputs(
                    f"test cell {grade_id!r} stands for no check in course.toml, so it "
                    "earns nothing")
                continue
            points = float(cell.metadata["nbgrader"]["points"])
            cell.outputs = kernel + trusted.verdict_outputs(outcomes, points, shown)
        self.log.info("TrustedGrades: %s/%s graded by the sandbox in %.2f s: %.2f / %.2f",
                      student, assignment, time.monotonic() - started, graded.score,
                      graded.max_score)
        return nb, resources


class ExecuteToTheEnd(Execute):
    """nbgrader's Execute, except that a kernel that dies (``os._exit``, a crash) does
    not end the notebook's grading: nbgrader would drop the notebook before any later
    preprocessor runs, so the student would get no grade at all. The cell where it died
    gets a DeadKernelError output, the cells after it one saying they did not run, and
    TrustedGrades grades the code as usual."""

    def preprocess(self, nb, resources=None, km=None):
        self.kernel_died = False
        return super().preprocess(nb, resources, km)

    def preprocess_cell(self, cell, resources, index):
        if self.kernel_died:
            if cell.cell_type == "code":
                cell.outputs = [new_output("error", ename="NotRun", evalue=NOT_RUN,
                                           traceback=[f"NotRun: {NOT_RUN}"])]
            return cell, self.resources
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self.kernel_died = True
            self.log.warning("the kernel died in cell %d; the grader still grades the code",
                             index)
            cell.outputs.append(new_output("error", ename="DeadKernelError", evalue=DIED,
                                           traceback=[f"DeadKernelError: {DIED}"]))
            return cell, self.resources
