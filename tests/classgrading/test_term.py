"""A whole term, as an instructor runs it, on a generated class (the fake grader: the
class-grading logic is the point here; test_term_real.py grades for real).

Assignment 1 from a Canvas download with a roster and a deadline (one late student
penalised as course.toml says), the points changed and re-run (changed rows graded
again, the others not), one student regraded by name, the Canvas and Moodle exports
checked column by column, assignment 2 from a Moodle download. The shard matrix merged
into the gradebook a single run writes is checked on the same kind of class by
test_classroom_md.py (the documented commands) and test_workflows.py (the workflow's)."""
import csv
import os
import shutil
import subprocess
import sys
from datetime import datetime

import pytest

from autograder.course import load as load_course
from classgrading_support import ROOT, solved
from tools.make_class import as_canvas, as_moodle

DUE = "2026-09-14T23:59:00+00:00"
ON_TIME = (datetime(2026, 9, 14, 20, 0), False)
IN_GRACE = (datetime(2026, 9, 15, 0, 10), False)     # 11 minutes late: inside the 15-minute grace
TWO_DAYS = (datetime(2026, 9, 16, 12, 0), True)      # 36 h late: 2 days, 20 %

TOTAL = int(load_course().total)           # the course's [course].total, whatever it is now
COURSE_TOTAL = 'name = "nn100"\ntotal = {}\n'  # that line of course.toml


def grade_all(*args, cwd=ROOT):
    fake = f"{sys.executable} {ROOT / 'tests' / 'classgrading' / 'fake_grade.py'}"
    run = subprocess.run([sys.executable, "-m", "autograder", "grade-all", *map(str, args),
                          "--grade-command", fake],
                         cwd=cwd, capture_output=True, text=True, timeout=300,
                         env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stderr


def table(path):
    with open(path, newline="") as handle:
        return list(csv.reader(handle))


def by_student(path):
    with open(path, newline="") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def term(tmp_path_factory):
    base = tmp_path_factory.mktemp("term")
    plain = base / "plain"
    plain.mkdir()
    for name, marker in (("a", ""), ("b", "FAKE_BUG"), ("c", ""),
                         ("d", "raise NotImplementedError"), ("e", "")):
        solved(plain / name, marker)
    course = base / "course.toml"
    shutil.copyfile(ROOT / "autograder" / "course" / "course.toml", course)
    return base, plain, course


def test_a_whole_term(term):
    base, plain, course = term
    folks = as_canvas(plain, base / "a1.zip", base / "roster.csv",
                      [ON_TIME, ON_TIME, IN_GRACE, ON_TIME, TWO_DAYS])
    # The roster has one more student, who sent nothing.
    with open(base / "roster.csv", "a", newline="") as handle:
        csv.writer(handle).writerow(["Hamilton, Margaret", "19999", "S2026999", "mhamilton",
                                     "Section 2"])
    a1 = base / "a1"
    common = ["--assignment", "1", "--course", course, "--roster", base / "roster.csv",
              "--due", DUE]
    log = grade_all(base / "a1.zip", "--gradebook", a1 / "gradebook.csv", *common,
                    "--export", "canvas", a1 / "canvas.csv",
                    "--export", "moodle", a1 / "moodle.csv")
    assert "Canvas download: 5 students" in log and "0 already graded, 5 to grade" in log
    rows = by_student(a1 / "gradebook.csv")
    ids = [p["canvas_id"] for p in folks]
    assert sorted(rows) == sorted(ids + ["19999"])
    expected = {ids[0]: "20", ids[1]: "15", ids[2]: "20", ids[3]: "0", ids[4]: "16", "19999": "0"}
    assert {s: r["score"] for s, r in rows.items()} == expected
    late = rows[ids[4]]
    assert (late["days_late"], late["penalty_percent"],
            late["submitted_at"]) == ("2", "20", "2026-09-16T12:00:00Z")
    # within the grace
    assert rows[ids[2]]["days_late"] == "0" and rows[ids[2]]["penalty_percent"] == "0"
    assert rows["19999"]["status"] == "not-submitted"
    assert rows[ids[0]]["name"] == "Lovelace, Ada" and len(rows[ids[0]]["grader"]) == 12

    # Canvas's import layout, column by column
    canvas = table(a1 / "canvas.csv")
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                         "nn100 assignment 1"]
    assert canvas[1] == ["Points Possible", "", "", "", "", "20"]
    lines = {line[1]: line for line in canvas[2:]}
    assert lines[ids[4]] == [f"{folks[4]['last']}, {folks[4]['first']}", ids[4], folks[4]["sis"],
                             folks[4]["login"], folks[4]["section"], "16"]
    assert lines["19999"] == ["Hamilton, Margaret", "19999", "S2026999", "mhamilton", "Section 2",
                              "0"]
    assert len(canvas) == 2 + 6
    # Moodle's grading worksheet, column by column
    moodle = table(a1 / "moodle.csv")
    assert moodle[0] == ["Identifier", "Full name", "Email address", "Status", "Grade",
                         "Maximum Grade", "Grade can be changed", "Last modified (submission)",
                         "Last modified (grade)", "Feedback comments"]
    first = {line[0]: line for line in moodle[1:]}[f"Participant {ids[1]}"]
    assert first[1:7] == ["Lovelace, Alan", "", "Submitted for grading", "15", "20", "Yes"]
    assert first[7] == "Monday, September 14, 2026, 8:00 PM" and first[8] == "-"

    # A resubmission, and a points change in a unit assignment 1 does not grade: one row graded
    # again.
    solved(base / "again", "FAKE_BUG")
    shutil.rmtree(plain / "a")
    shutil.copytree(base / "again", plain / "a")
    as_canvas(plain, base / "a1.zip", base / "roster.csv",
              [ON_TIME, ON_TIME, IN_GRACE, ON_TIME, TWO_DAYS])
    course.write_text(course.read_text()
                      .replace("[units.Tanh]\nkind = \"layer\"\nassignment = 3\npoints = 4",
                               "[units.Tanh]\nkind = \"layer\"\nassignment = 3\npoints = 5")
                      .replace(COURSE_TOTAL.format(TOTAL), COURSE_TOTAL.format(TOTAL + 1)))
    log = grade_all(base / "a1.zip", "--gradebook", a1 / "gradebook.csv", *common)
    assert "4 already graded, 1 to grade" in log and "the submission changed (1)" in log, log
    assert by_student(a1 / "gradebook.csv")[ids[0]]["score"] == "15"
    # What Linear's checks read changes (its bound): every graded row of assignment 1 is
    # graded again, and says why. (Points, hints and the late policy: test_regrade.py.)
    text = course.read_text()
    linear = text.index("[units.Linear.spec]")
    course.write_text(text[:linear] + text[linear:].replace("bound = 1e-12", "bound = 1e-11", 1))
    before = by_student(a1 / "gradebook.csv")
    log = grade_all(base / "a1.zip", "--gradebook", a1 / "gradebook.csv", *common)
    assert "0 already graded, 5 to grade" in log, log
    assert "what the checks read from course.toml (Linear) changed (5)" in log, log
    after = by_student(a1 / "gradebook.csv")
    assert all(after[s]["grader"] != before[s]["grader"] for s in ids)
    # One student regraded by name
    log = grade_all(base / "a1.zip", "--gradebook", a1 / "gradebook.csv", *common,
                    "--regrade", f"{folks[4]['last']}, {folks[4]['first']}")
    assert "4 already graded, 1 to grade" in log and "--regrade (1)" in log, log
    assert by_student(a1 / "gradebook.csv")[ids[4]]["score"] == "16"

    # Assignment 2 from a Moodle download, with the Moodle worksheet as roster
    folks = as_moodle(plain, base / "a2-download", base / "moodle-roster.csv")
    a2 = base / "a2"
    common2 = ["--assignment", "2", "--course", course, "--roster", base / "moodle-roster.csv"]
    log = grade_all(base / "a2-download", "--gradebook", a2 / "gradebook.csv", *common2,
                    "--export", "moodle", a2 / "moodle.csv")
    assert "Moodle download: 5 students" in log
    rows = by_student(a2 / "gradebook.csv")
    assert sorted(rows) == sorted(p["moodle_id"] for p in folks)
    assert (rows[folks[0]["moodle_id"]]["name"] == folks[0]["name"]
            and rows[folks[0]["moodle_id"]]["score"] == "15")
    worksheet = {line[0]: line for line in table(a2 / "moodle.csv")[1:]}
    assert worksheet[f"Participant {folks[2]['moodle_id']}"][1:6] == [folks[2]["name"],
                                                                       folks[2]["email"],
                                                                       "Submitted for grading",
                                                                       "20", "20"]
