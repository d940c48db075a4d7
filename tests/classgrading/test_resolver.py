"""One resolver for every way a student hands in the package (grade, grade-all, Gradescope)."""
import shutil
import subprocess
import sys
import zipfile

import pytest

from autograder.grading.submissions import SubmissionError, resolved
from classgrading_support import ROOT, solved, zipped
from tools.student_submit import pack


def forms(tmp_path):
    """Every accepted form of one correct submission, by name."""
    folder = solved(tmp_path / "folder")
    above = tmp_path / "above"
    solved(above / "my-homework")
    made = {"folder holding nn100/": folder, "one level above": above,
            "the package folder itself": folder / "nn100"}
    pack(folder / "nn100", tmp_path / "submission.zip")
    made["make submit zip"] = tmp_path / "submission.zip"
    made["zip of a folder"] = zipped(folder, tmp_path / "folder.zip", prefix="homework/")
    made["zip of the package's files"] = zipped(folder / "nn100", tmp_path / "bare.zip")
    upload = tmp_path / "upload"
    upload.mkdir()
    pack(folder / "nn100", upload / "anything.zip")
    made["folder holding only the zip"] = upload
    return made


def test_every_form_resolves_to_a_folder_holding_the_package(tmp_path):
    for name, path in forms(tmp_path).items():
        with resolved(path) as root:
            assert (root / "nn100" / "layers.py").read_bytes() == (ROOT / "solutions" / "nn100" /
                                                                   "layers.py").read_bytes(), name
    # zips and copies are laid out in a temporary folder, removed afterwards
    with resolved(tmp_path / "submission.zip") as root:
        scratch = root
    assert not scratch.exists()


def test_what_is_not_a_submission_is_named(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("finish Linear")
    (tmp_path / "readme.md").write_text("not a zip")
    cases = {"empty": "empty", "notes": "found: todo.txt", "readme.md": "is a file but not a zip",
             "missing": "does not exist"}
    for name, message in cases.items():
        with pytest.raises(SubmissionError, match=message):
            with resolved(tmp_path / name):
                pass


def test_zip_safety_checks_apply_to_grade_too(tmp_path):
    with zipfile.ZipFile(tmp_path / "slip.zip", "w") as archive:
        archive.writestr("nn100/__init__.py", "")
        archive.writestr("../../evil.py", "print('escaped')")
    with pytest.raises(SubmissionError, match="outside the folder"):
        with resolved(tmp_path / "slip.zip"):
            pass


def test_grade_takes_the_make_submit_zip_and_fails_under(tmp_path):
    """`make grade SUBMISSION=submission.zip`: the reference's zip at 100, and
    --fail-under turns a score below it into exit status 1 (the stubs of assignment 4)."""
    pack(ROOT / "solutions" / "nn100", tmp_path / "submission.zip")
    run = subprocess.run(["make", "-s", "grade", f"SUBMISSION={tmp_path / 'submission.zip'}",
                          "FAIL_UNDER=100", "ASSIGNMENT=4", f"RESULTS={tmp_path / 'r.json'}"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Score: 100 / 100" in run.stdout and "assignment 4" in run.stdout
    stubs = subprocess.run([sys.executable, "-m", "autograder", "grade", "exercises",
                            "--assignment", "4", "--fail-under", "0.5"],
                           cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert stubs.returncode == 1 and "below --fail-under 0.5" in stubs.stderr, stubs.stderr
    # "full": every point of what is graded (assignment 4's 100 here, not the course's total)
    full = subprocess.run([sys.executable, "-m", "autograder", "grade",
                           str(tmp_path / "submission.zip"),
                           "--assignment", "4", "--fail-under", "full"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert full.returncode == 0, full.stdout + full.stderr
    mutant = tmp_path / "mutant"
    shutil.copytree(ROOT / "solutions" / "nn100", mutant / "nn100")
    losses = mutant / "nn100" / "losses.py"
    text = losses.read_text()
    assert text.count("loss = -np.mean(Yt") == 1
    losses.write_text(text.replace("loss = -np.mean(Yt", "loss = -np.sum(Yt"))  # bce_loss wrong
    short = subprocess.run([sys.executable, "-m", "autograder", "grade", str(mutant),
                            "--assignment", "4", "--fail-under", "full"],
                           cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert short.returncode == 1 and "below --fail-under full" in short.stderr, short.stderr
