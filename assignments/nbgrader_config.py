"""nbgrader configuration of the nn100 course.  Every path is inside this folder:
no Jupyter server, no system-wide exchange, no personal settings needed."""
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
# The repository holds the grader (autograder/) and the stub package (exercises/nn100);
# the Makefile says where it is (the course folder may be a copy elsewhere).
REPO = Path(os.environ.get("NN100_REPO", ROOT.parent)).resolve()
sys.path[:0] = [str(ROOT), str(REPO)]  # for nbcourse and autograder below

from nbcourse.feedback import RedactHiddenTracebacks  # noqa: E402
from nbcourse.late import CoursePolicy  # noqa: E402
from nbcourse.preprocessor import ExecuteToTheEnd, TrustedGrades  # noqa: E402
from nbgrader.converters import Autograde  # noqa: E402
from nbgrader.preprocessors import (ClearHiddenTests, Execute, GetGrades,  # noqa: E402
                                    SaveAutoGrades)
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

c.CourseDirectory.course_id = "nn100"
c.CourseDirectory.root = str(ROOT)
c.CourseDirectory.db_url = f"sqlite:///{ROOT / 'gradebook.db'}"
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", ".state"]
# release_assignment/collect would otherwise use a world-writable folder under /srv.
c.Exchange.root = str(ROOT / "exchange")

# Per-cell time limit while autograding (Execute.timeout wins over ExecutePreprocessor's).
c.Execute.timeout = 60
# A deleted test cell is put back and graded instead of silently scoring nothing.
c.OverwriteCells.add_missing_cells = True
# Every supporting file (gradcheck.py, toolbox.py, data) is given code: the grader's copy
# replaces the student's.  Students work in the notebook only, so nothing is excluded.
c.Autograde.exclude_overwriting = {}

# The grade is the sandboxed grader's: TrustedGrades, after the kernel ran the notebook
# (Execute: outputs and plots stay) and before nbgrader reads the test cells' outputs
# (SaveAutoGrades), sets each test cell's outcome from the grader's verdict.
# ExecuteToTheEnd is Execute, except that a dead kernel leaves the rest of the notebook
# unrun instead of dropping the notebook before TrustedGrades can grade it.
_default = list(Autograde.class_traits()["autograde_preprocessors"].default())
_at = _default.index(SaveAutoGrades)
c.Autograde.autograde_preprocessors = [
    ExecuteToTheEnd if p is Execute else p for p in _default[:_at]] + [TrustedGrades] + \
    _default[_at:]
# Late work: nbgrader measures how late (the due date `make due` records, against each
# submission's timestamp.txt); course.toml's [late] table says what it costs, as it does
# for grade-all (nbcourse/late.py). nbgrader's AssignLatePenalties, in the list above,
# asks this plugin for each late notebook's penalty.
c.AssignLatePenalties.plugin_class = CoursePolicy

# The student's kernel runs confined (nbcourse/kernel.py): it can read only the system,
# the packages and its own folder, and write only its own folder.
# Without the Makefile's JUPYTER_DATA_DIR there is no place of ours for the kernelspec:
# the notebook's own python3 kernel runs, unconfined (grades are the grader's anyway).
KERNEL = "nn100-confined"
if os.environ.get("JUPYTER_DATA_DIR"):
    c.Execute.kernel_name = KERNEL
    _spec = Path(os.environ["JUPYTER_DATA_DIR"]) / "kernels" / KERNEL / "kernel.json"
    _spec.parent.mkdir(parents=True, exist_ok=True)
    _spec.write_text(json.dumps({
        "argv": [sys.executable, "-m", "nbcourse.kernel", "-f", "{connection_file}"],
        "display_name": "Python 3 (nn100, confined)", "language": "python",
        "env": {"PYTHONPATH": os.pathsep.join([str(ROOT), str(REPO)])}}, indent=1))
c.TrustedGrades.stubs = str(REPO / "exercises" / "nn100")
c.TrustedGrades.source = str(ROOT / "source")

# Feedback: hidden test code leaves the cell source (ClearHiddenTests) and the
# tracebacks (RedactHiddenTracebacks, which must run first, while it can still see
# which cells held hidden tests).
c.GenerateFeedback.preprocessors = [
    GetGrades, RedactHiddenTracebacks, ClearHiddenTests, CSSHTMLHeaderPreprocessor]
c.RedactHiddenTracebacks.enabled = True
