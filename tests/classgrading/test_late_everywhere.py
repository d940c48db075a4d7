"""One late computation, shown wherever a score is: the gradebook, both exports and the
Moodle comment, each student's report and the class summary agree; an extension (a
roster column or --extensions) moves one student's due time; changing the policy
rewrites them all without grading anything. And the exports' edges: rows no platform
can match are refused unless --export-unmatched, --moodle-max and --export-column."""
import csv
import os
import re
import shutil
import subprocess
import sys
from datetime import datetime

from classgrading_support import FAKE_GRADE, ROOT, solved
from tools.make_class import as_canvas

DUE = "2026-09-14T23:59:00Z"
EXTENDED = "2026-09-17T12:00:00Z"
ON_TIME = (datetime(2026, 9, 14, 20, 0), False)
TWO_DAYS = (datetime(2026, 9, 16, 12, 0), True)   # 36 h late: 2 days


def grade_all(*args, expect=0):
    run = subprocess.run([sys.executable, "-m", "autograder", "grade-all", *map(str, args),
                          "--grade-command", f"{sys.executable} {FAKE_GRADE}"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300,
                         env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert run.returncode == expect, run.stdout + run.stderr
    return run.stderr


def rows_of(path, key):
    with open(path, newline="") as handle:
        return {row[key]: row for row in csv.DictReader(handle)}


def text_of(html):
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def canvas_class(base):
    """a on time (20), b late by 2 days (15 earned), c 2 days late with an extension (20)."""
    plain = base / "plain"
    for name, marker in (("a", ""), ("b", "FAKE_BUG"), ("c", "")):
        solved(plain / name, marker)
    folks = as_canvas(plain, base / "a1.zip", base / "roster.csv", [ON_TIME, TWO_DAYS, TWO_DAYS])
    with open(base / "roster.csv", newline="") as handle:
        lines = list(csv.reader(handle))
    lines[0].append("Due")
    for line in lines[1:]:
        line.append(EXTENDED if line[1] == folks[2]["canvas_id"] else "")
    with open(base / "roster.csv", "w", newline="") as handle:
        csv.writer(handle).writerows(lines)
    course = base / "course.toml"
    shutil.copyfile(ROOT / "autograder" / "course" / "course.toml", course)
    return [p["canvas_id"] for p in folks], course


def test_late_work_reads_the_same_in_the_gradebook_the_exports_the_reports_and_the_summary(
        tmp_path):
    (a, b, c), course = canvas_class(tmp_path)
    out = tmp_path / "a1"
    command = [tmp_path / "a1.zip", "--assignment", "1", "--course", course,
               "--roster", tmp_path / "roster.csv",
               "--due", DUE, "--gradebook", out / "gradebook.csv",
               "--export", "canvas", out / "canvas.csv", "--export", "moodle", out / "moodle.csv"]
    grade_all(*command)

    book = rows_of(out / "gradebook.csv", "student")
    assert (book[b]["score"], book[b]["days_late"], book[b]["penalty_percent"], book[b]["due"]) == \
        ("12", "2", "20", DUE)
    assert (book[c]["score"], book[c]["days_late"], book[c]["due"]) == ("20", "0", EXTENDED)
    assert (book[a]["score"], book[a]["days_late"]) == ("20", "0")
    canvas = {line[1]: line[-1] for line in csv.reader(open(out / "canvas.csv"))}
    assert (canvas[b], canvas[c]) == ("12", "20")
    moodle = rows_of(out / "moodle.csv", "Identifier")
    late_row = moodle[f"Participant {b}"]
    assert (late_row["Grade"] == "12"
            and "before any late penalty" not in late_row["Feedback comments"])
    assert "15 / 20 earned, 2 days late (due 2026-09-14T23:59:00Z): -20 % gives 12 / 20" \
        in late_row["Feedback comments"]
    assert "your extension" in moodle[f"Participant {c}"]["Feedback comments"]

    report = text_of((out / "reports" / b / "report.html").read_text())
    assert "Score: 12 / 20" in report
    for shown in ("Submitted at 2026-09-16T12:00:00Z", "Due 2026-09-14T23:59:00Z", "Days late 2",
                  "Late penalty 20 % of the earned score", "Earned before the penalty 15 / 20",
                  "Final score 12 / 20"):
        assert shown in report, shown
    assert "Due 2026-09-17T12:00:00Z (your extension)" in text_of(
        (out / "reports" / c / "report.html").read_text())
    summary = text_of((out / "summary.html").read_text())
    # the students' table: id, name, final score, out of, percent, status
    assert re.search(rf"\b{b} .*? 12 20 60\.0 % graded", summary), summary
    assert "Late, with a penalty 1" in summary

    # A gentler policy: nothing is graded again, every place shows the new figures.
    course.write_text(course.read_text().replace("penalty_per_day = 10", "penalty_per_day = 5"))
    log = grade_all(*command)
    assert "3 already graded, 0 to grade" in log and "1 reports rewritten" in log, log
    assert rows_of(out / "gradebook.csv", "student")[b]["score"] == "13.5"
    assert rows_of(out / "moodle.csv", "Identifier")[f"Participant {b}"]["Grade"] == "13.5"
    assert "Final score 13.5 / 20" in text_of((out / "reports" / b / "report.html").read_text())
    assert re.search(rf"\b{b} .*? 13\.5 20 67\.5 % graded",
                     text_of((out / "summary.html").read_text()))


def test_an_extensions_file_moves_one_students_due_time(tmp_path):
    (a, b, c), course = canvas_class(tmp_path)
    extensions = tmp_path / "extensions.csv"
    extensions.write_text(f"student,due\n{b},2026-09-16T18:00Z\n")
    out = tmp_path / "a1"
    grade_all(tmp_path / "a1.zip", "--assignment", "1", "--due", DUE, "--extensions", extensions,
              "--gradebook", out / "gradebook.csv")
    book = rows_of(out / "gradebook.csv", "student")
    assert (book[b]["score"], book[b]["days_late"]) == ("15", "0")
    assert (book[c]["score"], book[c]["days_late"]) == ("16", "2")  # no roster: no extension for c


def test_exports_refuse_rows_no_platform_can_match_unless_told(tmp_path):
    plain = tmp_path / "class"
    solved(plain / "s001-correct")
    solved(plain / "s002-mutant", "FAKE_BUG")
    out = tmp_path / "out"
    log = grade_all(plain, "--gradebook", out / "gradebook.csv",
                    "--export", "canvas", out / "canvas.csv", expect=1)
    assert ("did not write" in log and "s001-correct, s002-mutant" in log
            and "--export-unmatched" in log)
    assert not (out / "canvas.csv").exists() and (out / "gradebook.csv").is_file()
    # with a roster naming them, the rows can be matched
    (tmp_path / "roster.csv").write_text("id,name\ns001-correct,Ada\ns002-mutant,Alan\n")
    grade_all(plain, "--gradebook", out / "gradebook.csv", "--roster", tmp_path / "roster.csv",
              "--export", "canvas", out / "canvas.csv", "--export-column", "Homework 1 (4321)",
              "--export", "moodle", out / "moodle.csv", "--moodle-max", "10")
    canvas = list(csv.reader(open(out / "canvas.csv")))
    assert canvas[0][-1] == "Homework 1 (4321)" and canvas[1][-1] == "20"
    moodle = rows_of(out / "moodle.csv", "Identifier")["Participant s002-mutant"]
    assert (moodle["Grade"], moodle["Maximum Grade"], moodle["Status"]) == ("7.5", "10",
                                                                          "Submitted for grading")
    assert "out of 10" in moodle["Feedback comments"]
    # or told to write them anyway
    grade_all(plain, "--gradebook", tmp_path / "loose" / "gradebook.csv", "--export-unmatched",
              "--export", "moodle", tmp_path / "loose" / "moodle.csv")
    assert "Participant s001-correct" in rows_of(tmp_path / "loose" / "moodle.csv", "Identifier")


def test_output_inside_the_class_folder_is_never_graded_as_a_student(tmp_path):
    plain = tmp_path / "class"
    solved(plain / "ada")
    solved(plain / "alan", "FAKE_BUG")
    grade_all(plain, "--gradebook", plain / "gradebook.csv")            # reports/ inside the class
    log = grade_all(plain, "--gradebook",
                    plain / "graded" / "gradebook.csv")                 # and a second run's output
    for run in (plain / "gradebook.csv", plain / "graded" / "gradebook.csv"):
        assert sorted(rows_of(run, "student")) == ["ada", "alan"], run
    assert "skipped graded, reports" in log and "grade-all's own output" in log, log
