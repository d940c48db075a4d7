"""`python -m autograder grade-all` with the real grader on a small mixed class."""
import csv
import json
import re
import subprocess
import sys

import pytest

from classgrading_support import ROOT, solved, zipped
from tools.make_class import OWN_HOSTILE, OWN_MUTANTS, apply_own_mutant, write_stub

pytestmark = pytest.mark.skipif(not (ROOT / "autograder" / "__main__.py").exists(),
                                reason="the single-submission grader (autograder/__main__.py) "
                                       "is not there yet")


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """Seven students, one of each kind, graded once for all the tests of this module."""
    base = tmp_path_factory.mktemp("e2e")
    class_dir = base / "class"
    class_dir.mkdir()
    solved(class_dir / "correct-folder")
    zipped(solved(base / "scratch"), class_dir / "correct-submit.zip")  # as `make submit` writes it
    mutant = next(m for m in OWN_MUTANTS if m[0] == "linear-bias-mean")
    apply_own_mutant(mutant, solved(class_dir / "mutant-linear"))
    write_stub(class_dir / "stub")
    killer = next(h for h in OWN_HOSTILE if h[0] == "kills-its-grader")
    init = solved(class_dir / "hostile") / "nn100" / "__init__.py"
    init.write_text(init.read_text() + "\n" + killer[2])
    (class_dir / "corrupt.zip").write_bytes(b"PK\x03\x04 broken")
    (class_dir / "empty").mkdir()
    gradebook = base / "out" / "gradebook.csv"
    run = subprocess.run([sys.executable, "-m", "autograder", "grade-all", str(class_dir),
                          "--gradebook", str(gradebook), "--jobs", "2"],
                         cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout + run.stderr
    with open(gradebook, newline="") as handle:
        table = {row["student"]: row for row in csv.DictReader(handle)}
    return base / "out", table


def test_one_row_per_student_with_the_expected_scores(graded_class):
    out, table = graded_class
    assert sorted(table) == ["correct-folder", "correct-submit", "corrupt", "empty", "hostile",
                             "mutant-linear", "stub"]
    maximum = float(table["correct-folder"]["max_score"])
    assert maximum > 0
    for student in ("correct-folder", "correct-submit"):
        assert table[student]["status"] == "graded" and float(table[student]["score"]) == maximum
    assert table["stub"]["status"] == "graded" and float(table["stub"]["score"]) == 0
    mutant = table["mutant-linear"]
    assert 0 < float(mutant["score"]) < maximum
    assert float(mutant["Linear"]) < float(table["correct-folder"]["Linear"])
    assert mutant["ReLU"] == table["correct-folder"]["ReLU"]  # units are graded in isolation
    assert float(table["hostile"]["score"]) < maximum
    assert (table["corrupt"]["status"], table["empty"]["status"]) == ("bad-zip", "empty")
    assert all(table[s]["reason"] for s in ("corrupt", "empty"))


def test_reports_and_summary_are_written(graded_class):
    out, table = graded_class
    for student in table:
        result = json.loads((out / "reports" / student / "results.json").read_text())
        assert result["extra_data"]["classroom"]["student"] == student
    page = (out / "reports" / "mutant-linear" / "report.html").read_text()
    assert "Failed checks" in page and "Linear" in page
    correct = json.loads((out / "reports" / "correct-folder" / "results.json").read_text())
    if correct["extra_data"].get("loss_curves"):
        assert re.search(r'<img alt="loss per epoch[^>]*base64,',
                         (out / "reports" / "correct-folder" / "report.html").read_text())
    summary = (out / "summary.html").read_text()
    assert "Checks failed most often" in summary and "Linear:" in summary
