"""Grade the one submission of a Gradescope run and write its results.json.

    python run_submission.py AUTOGRADER_ROOT

Finds the nn100 package in ``submission/`` with the grader's one resolver (at the
top, one folder down, the package's own files, or inside the zip the student
uploaded), grades it with ``python -m autograder grade`` in a child process (only
the zip's assignment when ``assignment.json`` says so), and writes
``results/results.json``. Whatever happens (no package, a crash, a timeout), a
results.json saying why is written: Gradescope shows its ``output`` to the student
instead of an opaque failure.
"""
import json
import sys
import tempfile
from pathlib import Path

from autograder.classroom.grader_process import Context, dumps_results, failure_result, run_grader
from autograder.sandbox.atomic import atomic_write
from autograder.classroom.gradebook import GRADED
from autograder.grading.submissions import SubmissionError, resolved

# Gradescope stops a submission after 10 minutes by default and then keeps nothing:
# stop the grader first so the student still gets a result.
TIMEOUT = 540.0
SETTINGS = Path(__file__).resolve().with_name("assignment.json")  # written by tools/gradescope.py


def grade_arguments() -> list[str]:
    if not SETTINGS.is_file():
        return []
    number = json.loads(SETTINGS.read_text())["assignment"]
    return ["--assignment", str(int(number))]


def main(root: Path) -> int:
    results = root / "results" / "results.json"
    with tempfile.TemporaryDirectory(prefix="nn100-gradescope-") as scratch:
        work = Path(scratch)
        ctx = Context(out=work, grade_command=[sys.executable, "-m", "autograder", "grade"],
                      grade_args=grade_arguments(), student_timeout=TIMEOUT)
        try:
            with resolved(root / "submission") as package_root:
                result = run_grader(package_root, work, ctx)
        except SubmissionError as error:
            result = failure_result(error.status, error.reason)
    extra = result.get("extra_data", {})
    status = extra.pop("classroom", {}).get("status")
    if status != GRADED:
        result.setdefault("output", "The submission could not be graded.")
    atomic_write(results, dumps_results(result))
    print(f"run_submission: {status}, score {result.get('score')} / {result.get('max_score', '?')}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "/autograder")))
