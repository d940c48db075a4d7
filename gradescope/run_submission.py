"""Grade the one submission of a Gradescope run and write its results.json.

    python run_submission.py AUTOGRADER_ROOT

Finds the nn100 package in ``submission/`` (at the top, one folder down, or inside
a zip the student uploaded), grades it with ``python -m autograder grade`` in a
child process, and writes ``results/results.json``. Whatever happens (no package,
a crash, a timeout), a results.json saying why is written: Gradescope shows its
``output`` to the student instead of an opaque failure.
"""
import sys
import tempfile
from pathlib import Path

from autograder.grader_process import Context, dumps_results, failure_result, run_grader
from autograder.gradebook import atomic_write
from autograder.submissions import Submission, SubmissionError, materialize

# Gradescope stops a submission after 10 minutes by default and then keeps nothing:
# stop the grader first so the student still gets a result.
TIMEOUT = 540.0


def submission_of(folder: Path) -> Submission:
    """The submission folder, or the zip in it when a zip is all the student uploaded."""
    entries = [p for p in folder.iterdir() if not p.name.startswith(".")] if folder.is_dir() else []
    if len(entries) == 1 and entries[0].suffix.lower() == ".zip":
        return Submission("submission", entries[0], True)
    return Submission("submission", folder, False)


def main(root: Path) -> int:
    results = root / "results" / "results.json"
    with tempfile.TemporaryDirectory(prefix="nn100-gradescope-") as scratch:
        work = Path(scratch)
        ctx = Context(out=work, grade_command=[sys.executable, "-m", "autograder", "grade"],
                      grade_args=[], student_timeout=TIMEOUT)
        try:
            package_root = materialize(submission_of(root / "submission"), work / "submission")
            result = run_grader(package_root, work, ctx)
        except SubmissionError as error:
            result = failure_result(error.status, error.reason)
    extra = result.get("extra_data", {})
    status = extra.pop("classroom", {}).get("status")
    if status != "graded":
        result.setdefault("output", "The submission could not be graded.")
    atomic_write(results, dumps_results(result))
    print(f"run_submission: {status}, score {result.get('score')} / {result.get('max_score', '?')}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "/autograder")))
