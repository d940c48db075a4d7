"""A small Canvas class graded by the fake grader in its course mode (the selection's
units, points, hints and visibilities from a private copy of course.toml), which logs
every run: the regrading tests count what was graded instead of assuming it."""
import csv
import html
import json
import os
import random
import re
import shutil
import subprocess
import sys
from datetime import datetime

from autograder import course
from classgrading_support import FAKE_GRADE, ROOT, solved
from tools import similarity_class
from tools.make_class import as_canvas

DUE = "2026-09-14T23:59:00Z"
ON_TIME = (datetime(2026, 9, 14, 20, 0), False)
# The hints the fake grader's failed checks show, as course.toml has them now.
LINEAR_FORWARD = course.load().hint("Linear", "forward")
LAYER_FD = course.load().hint("Linear", "fd")
SEED = 5  # of the disguised copy's original and its disguise: any seed


class Term:
    """Four students of assignment 1 as a Canvas download: a correct, b FAKE_BUG, c a
    stub, d correct; ``times`` says when each sent it ("on time" or an ISO time).
    ``disguised_copy``: a writes each unit its own way (tools/similarity_class.py), and a
    fifth, e, hands in a's code disguised (locals renamed, functions reordered, comments
    changed): a correct submission, with no marker of its own."""

    def __init__(self, base, times=("on time",) * 4, disguised_copy=False):
        self.base, self.log = base, base / "runs.log"
        plain = base / "plain"
        for name, marker in (("a", ""), ("b", "FAKE_BUG"), ("c", "raise NotImplementedError"),
                             ("d", "")):
            if name == "a" and disguised_copy:
                rng = random.Random(SEED)
                choices = similarity_class.honest_choices(rng, 0.35)
                similarity_class.write_student(plain / name, choices, rng)
                similarity_class.write_copy(plain / "a" / "nn100", plain / "e", rng)
            else:
                solved(plain / name, marker)
        sent = [ON_TIME if when == "on time"
                else (datetime.fromisoformat(when.replace("Z", "")), True)
                for when in times]
        self.ids = [p["canvas_id"]
                    for p in as_canvas(plain, base / "a1.zip", base / "roster.csv", sent)]
        self.course = base / "course.toml"
        shutil.copyfile(ROOT / "autograder" / "course" / "course.toml", self.course)
        self.out = base / "a1"

    def copy(self, dest):
        """This class, its course.toml and what was graded, copied to ``dest``: a test
        starts from a graded class without grading it again."""
        shutil.copytree(self.base, dest)
        twin = Term.__new__(Term)
        twin.base, twin.log, twin.ids = dest, dest / "runs.log", list(self.ids)
        twin.course, twin.out = dest / "course.toml", dest / "a1"
        return twin

    def grade(self, *extra, grader=None):
        """grade-all on the class; (its log, how many submissions the grader ran on)."""
        before = self.runs()
        command = [sys.executable, "-m", "autograder", "grade-all", self.base / "a1.zip",
                   "--assignment", "1",
                   "--course", self.course, "--roster", self.base / "roster.csv", "--due", DUE,
                   "--gradebook", self.out / "gradebook.csv",
                   "--export", "moodle", self.out / "moodle.csv",
                   *extra, "--grade-command", grader or f"{sys.executable} {FAKE_GRADE}"]
        run = subprocess.run(list(map(str, command)), cwd=ROOT, capture_output=True, text=True,
                             timeout=600,
                             env=dict(os.environ, PYTHONPATH=str(ROOT), FAKE_GRADE_COURSE="1",
                                      FAKE_GRADE_LOG=str(self.log)))
        assert run.returncode == 0, run.stdout + run.stderr
        return run.stderr, self.runs() - before

    def runs(self):
        return len(self.log.read_text().splitlines()) if self.log.exists() else 0

    def edit(self, old, new, after=None):
        text = self.course.read_text()
        start = text.index(after) if after else 0
        assert old in text[start:], old
        self.course.write_text(text[:start] + text[start:].replace(old, new, 1))

    def book(self):
        with open(self.out / "gradebook.csv", newline="") as handle:
            return {row["student"]: row for row in csv.DictReader(handle)}

    def result(self, student):
        return json.loads((self.out / "reports" / student / "results.json").read_text())

    def report(self, student):
        page = (self.out / "reports" / student / "report.html").read_text()
        return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", page).split()))
