"""`make autograde STUDENT=...` grades one student only, and nbgrader's per-cell
checksum warnings (every honest notebook triggers them: test cells hold hidden tests)
are folded into one explanation."""
import shutil

import pytest

from .conftest import REPO, make

# On the worker that holds the sample class (the others would wait for its build).
pytestmark = pytest.mark.xdist_group("nbgrader-course")


def test_the_class_log_folds_the_checksum_warnings(graded_class):
    log = (graded_class / "make-autograde.log").read_text()
    assert "Attribute 'checksum'" not in log
    assert "checksum warnings folded" in log and log.count("checksum warnings folded") == 1


def test_autograde_one_student(graded_class, tmp_path):
    course = tmp_path / "course"
    shutil.copytree(graded_class, course, symlinks=True)
    ada = course / "autograded" / "ada" / "backprop" / "backprop.ipynb"
    bob = course / "autograded" / "bob" / "backprop" / "backprop.ipynb"
    before = {"ada": ada.stat().st_mtime_ns, "bob": bob.stat().st_mtime_ns}
    make(course, "autograde", "STUDENT=ada", "ASSIGNMENT=backprop", "TIMEOUT=15")
    assert ada.stat().st_mtime_ns != before["ada"]
    assert bob.stat().st_mtime_ns == before["bob"]
    assert REPO.is_dir()


def test_the_cell_export_joins_the_roster_and_scores_every_cell(graded_class, tmp_path):
    import csv
    import subprocess
    import sys
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name,email\nada,Ada Lovelace,ada@example.edu\n"
                      "bob,Bob Babbage,bob@example.edu\n")
    out = tmp_path / "cells.csv"
    subprocess.run([sys.executable, "-m", "nbcourse.export",
                    "--db", str(graded_class / "gradebook.db"),
                    "--roster", str(roster), "--out", str(out)],
                   cwd=REPO / "assignments", check=True, capture_output=True, text=True,
                   timeout=120)
    with open(out, newline="") as handle:
        rows = {(r["student"], r["assignment"]): r for r in csv.DictReader(handle)}
    ada = rows[("ada", "backprop")]
    assert (ada["name"], ada["email"]) == ("Ada Lovelace", "ada@example.edu") and ada["timestamp"]
    cells = [c for c in ada if "/" in c and ada[c] != ""]
    assert cells and abs(sum(float(ada[c]) for c in cells) - float(ada["score"])) < 1e-9
    from autograder import course
    table = course.load()
    full = sum(table.units[unit].points for unit in table.notebooks["backprop"].units)
    bob = float(rows[("bob", "backprop")]["score"])  # Sigmoid undone, a Linear gradient wrong
    assert float(ada["score"]) == full and 0 < bob <= full - table.units["Sigmoid"].points
    assert (graded_class / "grades-cells.csv").is_file()  # `make gradebook` writes it too
