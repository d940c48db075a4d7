"""A Moodle download whose participants' display names are spreadsheet formulas and
terminal escapes: every CSV grade-all writes (the gradebook, Canvas's and Moodle's
imports) holds them as text no spreadsheet runs, and no file shows a control character
(the fake grader: the exports are the point here)."""
import csv
import json
import os
import subprocess
import sys

from classgrading_support import ROOT, solved, zipped

NAMES = ['=HYPERLINK("http:evil","x")', "@SUM(1+1)", "+1+1", "-1+1", "\t=1+1",
         "Eve\x1b]8;;http:evil\x07\u202egnp.exe"]
OBEYED = ["\x1b", "\x07", "\u202e", "\r"]


def test_display_names_reach_no_csv_as_formulas_or_controls(tmp_path):
    download = tmp_path / "download"
    for number, name in enumerate(NAMES):
        folder = download / f"{name}_{700 + number}_assignsubmission_file"
        folder.mkdir(parents=True)
        zipped(solved(tmp_path / f"sent{number}"), folder / "submission.zip")
    out = tmp_path / "a1"
    fake = f"{sys.executable} {ROOT / 'tests' / 'classgrading' / 'fake_grade.py'}"
    run = subprocess.run([sys.executable, "-m", "autograder", "grade-all", str(download),
                          "--gradebook", str(out / "gradebook.csv"), "--grade-command", fake,
                          "--export", "canvas", str(out / "canvas.csv"),
                          "--export", "moodle", str(out / "moodle.csv"),
                          "--export-unmatched"],  # a Moodle download: its ids are not Canvas's
                         cwd=ROOT, capture_output=True, text=True, timeout=300,
                         env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Moodle download: 6 students" in run.stderr

    for sheet, column in (("gradebook.csv", 1), ("canvas.csv", 0), ("moodle.csv", 1)):
        text = (out / sheet).read_text()
        assert [c for c in OBEYED if c in text] == [], sheet
        rows = list(csv.reader(text.splitlines()))
        names = [row[column] for row in rows if row[column] and row[column] != "Points Possible"]
        assert len(names) == 1 + len(NAMES), (sheet, names)
        for row in rows:
            for cell in row:
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")) or cell == "-" \
                    or cell.lstrip("-").replace(".", "", 1).isdigit(), (sheet, cell)
        # the names are kept, as text: the formula after its apostrophe
        assert "'=HYPERLINK(\"http:evil\",\"x\")" in names, (sheet, names)
        assert "Eve\\x1b]8;;http:evil\\x07\\u202egnp.exe" in names, (sheet, names)

    stored = [json.loads(path.read_text()) for path in out.rglob("results.json")]
    assert len(stored) == len(NAMES)
    for result in stored:
        name = result["extra_data"]["classroom"]["name"]
        assert [c for c in OBEYED if c in name] == [] and name, name


def test_the_notebook_tracks_csvs_hold_no_formulas(tmp_path, monkeypatch):
    """nbcourse.export's per-cell matrix and nbcourse.audit's findings: the same writer."""
    monkeypatch.syspath_prepend(str(ROOT / "assignments"))
    from nbcourse import audit, export
    student = '=HYPERLINK("http:evil","x")'
    monkeypatch.setattr(export, "rows", lambda db, people: (["backprop/linear_test"], [
        {"student": student, "name": NAMES[-1], "email": "", "assignment": "backprop",
         "timestamp": "", "score": 1.5, "max_score": 4, "backprop/linear_test": 1.5}]))
    export.main(["--db", str(tmp_path / "gradebook.db"), "--out", str(tmp_path / "cells.csv")])
    monkeypatch.setattr(audit, "audit", lambda root: [
        {"student": student, "assignment": "backprop", "notebook": "backprop",
         "cell": "@cell", "problem": NAMES[-1]}])
    audit.main(["--out", str(tmp_path / "audit.csv")])
    for sheet in ("cells.csv", "audit.csv"):
        text = (tmp_path / sheet).read_text()
        assert [c for c in OBEYED if c in text] == [], sheet
        row = list(csv.reader(text.splitlines()))[1]
        assert row[0] == "'" + student, (sheet, row)
        assert not [cell for cell in row if cell.startswith(("=", "@", "+", "\t"))], (sheet, row)
