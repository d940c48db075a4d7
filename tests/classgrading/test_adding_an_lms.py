"""Adding an LMS, as CONTRIBUTING.md says, to a copy of the grader: one file.

A toy platform, "Toybox", whose bulk download holds one ``<id>.toybox.zip`` per student
(the zip's comment carries the student's name), whose grade import is ``id,points``
scaled to a ``--toybox-out-of`` maximum, whose roster calls the id ``Toybox ID``, and
whose feedback upload is a zip of ``<id>/feedback.html``. The module below is the whole
addition; grade-all then detects its download, reads the roster, exports the grades and
writes the feedback zip through it, and names it among the platforms.
"""
import csv
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from classgrading_support import FAKE_GRADE, ROOT, solved, zipped

TOYBOX = '''"""Toybox: one <id>.toybox.zip per student; grades as id,points."""
from __future__ import annotations

import zipfile

from .. import gradebook as gb
from ..late import iso
from ...grading.submissions import Submission
from ...sandbox.safe_text import csv_text
from . import FEEDBACK_NAME, time_of

SUFFIX = ".toybox.zip"


class Toybox:
    name = "toybox"
    title = "Toybox"
    roster_columns = {"id": ("Toybox ID",), "name": ("Learner",)}

    def add_options(self, parser):
        parser.add_argument("--toybox-out-of", type=float, default=None,
                            help="the Toybox activity's maximum points")

    def configure(self, args, assignment):
        out_of = args.toybox_out_of
        if out_of is not None and out_of <= 0:
            raise ValueError(f"--toybox-out-of: expected points above 0, found {out_of:g}")
        return out_of

    def claims(self, entry):
        return entry.name.endswith(SUFFIX) and entry.is_file()

    def read(self, folder, entries, times, staging):
        found, skipped = [], []
        for path in entries:
            if not self.claims(path):
                skipped.append(path.name)
                continue
            with zipfile.ZipFile(path) as archive:
                name = archive.comment.decode()
            found.append(Submission(path.name.removesuffix(SUFFIX), path, True, name=name,
                                    submitted_at=iso(time_of(path, times, folder)),
                                    lms=self.name))
        return found, skipped

    def roster_id(self, text):
        return text

    def export(self, rows, maximum, out_of):
        scale = (out_of or maximum) / maximum if maximum else 1.0
        return csv_text([["id", "points"]] + [
            [row["student"], gb.fmt(None if row["score"] is None else row["score"] * scale)]
            for row in rows])

    def feedback(self, students, results, reports, people):
        entries, left_out = {}, []
        for student in students:
            report = reports / student / "report.html"
            if report.is_file():
                entries[f"{student}/{FEEDBACK_NAME}"] = report
            else:
                left_out.append((student, "no report (nothing graded)"))
        return entries, left_out


PLATFORM = Toybox()
'''


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A copy of the grader with Toybox added, and a Toybox class graded through it."""
    base = tmp_path_factory.mktemp("lms")
    copy = base / "repo"
    shutil.copytree(ROOT / "autograder", copy / "autograder",
                    ignore=shutil.ignore_patterns("__pycache__"))
    before = tree(copy)
    (copy / "autograder" / "classroom" / "platforms" / "toybox.py").write_text(TOYBOX)
    download = base / "download"
    download.mkdir()
    for student, name, marker in (("t1", "Ada", ""), ("t2", "Alan", "FAKE_BUG")):
        folder = solved(base / "plain" / student, marker)
        zipped(folder, download / f"{student}.toybox.zip")
        with zipfile.ZipFile(download / f"{student}.toybox.zip", "a") as archive:
            archive.comment = name.encode()
    roster = base / "roster.csv"
    roster.write_text("Toybox ID,Learner\nt1,Ada Lovelace\nt2,Alan Turing\nt3,Grace Hopper\n")
    out = base / "out"
    run = subprocess.run(
        [sys.executable, "-m", "autograder", "grade-all", str(download), "--gradebook",
         str(out / "gradebook.csv"), "--roster", str(roster), "--export", "toybox",
         str(out / "toybox.csv"), "--toybox-out-of", "10", "--feedback-zip", "toybox",
         str(out / "feedback.zip"), "--grade-command", f"{sys.executable} {FAKE_GRADE}"],
        cwd=copy, capture_output=True, text=True, timeout=300,
        env=dict(os.environ, PYTHONPATH=str(copy)))
    assert run.returncode == 0, run.stdout + run.stderr
    changed = {name for name, data in tree(copy).items() if before.get(name) != data}
    return copy, out, run.stderr, changed


def test_the_new_lms_is_one_file(graded):
    _, _, _, changed = graded
    assert changed == {"autograder/classroom/platforms/toybox.py"}


def test_its_download_is_detected_and_read(graded):
    _, out, log, _ = graded
    assert "is a Toybox download: 2 students" in log, log
    with open(out / "gradebook.csv", newline="") as handle:
        book = {row["student"]: row for row in csv.DictReader(handle)}
    # the names from the roster's own header (Learner), the student on it who sent nothing
    assert {s: (r["name"], r["score"], r["status"]) for s, r in book.items()} == {
        "t1": ("Ada Lovelace", "20", "graded"), "t2": ("Alan Turing", "15", "graded"),
        "t3": ("Grace Hopper", "0", "not-submitted")}


def test_its_export_and_its_option(graded):
    _, out, log, _ = graded
    assert "wrote the Toybox grade import" in log
    with open(out / "toybox.csv", newline="") as handle:
        assert list(csv.reader(handle)) == [["id", "points"], ["t1", "10"], ["t2", "7.5"],
                                            ["t3", "0"]]


def test_its_feedback_zip(graded):
    _, out, log, _ = graded
    with zipfile.ZipFile(out / "feedback.zip") as archive:
        assert sorted(archive.namelist()) == ["t1/feedback.html", "t2/feedback.html"]
    assert "left out t3 (no report (nothing graded))" in log


def test_grade_all_names_it_and_refuses_an_unknown_platform(graded):
    copy, _, _, _ = graded
    env = dict(os.environ, PYTHONPATH=str(copy))
    shown = subprocess.run([sys.executable, "-m", "autograder", "grade-all", "--help"], cwd=copy,
                           capture_output=True, text=True, env=env, timeout=60)
    assert "canvas, moodle or toybox" in " ".join(shown.stdout.split())
    assert "--toybox-out-of" in shown.stdout
    wrong = subprocess.run([sys.executable, "-m", "autograder", "grade-all", str(copy),
                            "--gradebook", str(copy / "g.csv"), "--export", "blackboard", "x.csv"],
                           cwd=copy, capture_output=True, text=True, env=env, timeout=60)
    assert wrong.returncode == 2
    assert "--export: expected canvas, moodle or toybox, found 'blackboard'" in wrong.stderr
