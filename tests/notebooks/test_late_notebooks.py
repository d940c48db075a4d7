"""The nbgrader track's term: a due date (`make due`), course.toml's late policy applied by
nbgrader's own late-submission plugin (nbcourse/late.py), and the gradebook exported to
the Canvas and Moodle formats through the classroom's platforms (nbcourse/export.py).
The sample class's lea hands in the reference 36 hours after backprop's due date; the
others an hour before it. Also: the notebook class generator's submissions."""
import csv
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder import course
from autograder.grading.report import fmt

from .conftest import REPO
from .sample_class import CLASS, DUE
from .test_nbgrader_course import by_id, grades_csv

pytestmark = [pytest.mark.xdist_group("nbgrader-course"), pytest.mark.timeout(1800)]
BACKPROP = sorted({s.name for s in CLASS if s.assignment == "backprop"})
# Everyone who sent backprop in, and zed, who sent nothing: a platform matches them all.
ROSTER = "id,name,email\n" + "".join(
    f"{s},{'Lea Late' if s == 'lea' else s.title()},{s}@example.edu\n" for s in BACKPROP + ["zed"])


def export(graded_class, tmp_path, *args):
    return subprocess.run(
        [sys.executable, "-m", "nbcourse.export", "--db", str(graded_class / "gradebook.db"),
         "--out", str(tmp_path / "cells.csv"), *map(str, args)],
        cwd=REPO / "assignments", capture_output=True, text=True, timeout=120)


def rows_of(path, key):
    with open(path, newline="") as handle:
        return {row[key]: row for row in csv.DictReader(handle)}


def test_a_late_notebook_pays_the_course_penalty_in_nbgrader_and_in_the_exports(
        graded_class, tmp_path):
    policy = course.load().late
    days = policy.days_late(datetime(2026, 9, 16, 12, tzinfo=timezone.utc),
                            datetime(2026, 9, 14, 23, 59, tzinfo=timezone.utc))
    percent = policy.penalty(days)
    assert days == 2 and percent > 0  # the scenario is late, and the course charges for it
    with Gradebook(f"sqlite:///{graded_class / 'gradebook.db'}", "nn100") as gradebook:
        lea = gradebook.find_submission("backprop", "lea")
        ada = gradebook.find_submission("backprop", "ada")
        earned, out_of = lea.score, lea.max_score
        assert earned == out_of  # the reference: every point earned ...
        assert lea.total_seconds_late == pytest.approx(36 * 3600 + 60)
        # ... and the course's percent of it taken, in nbgrader's own gradebook
        assert lea.late_submission_penalty == pytest.approx(earned * percent / 100)
        assert ada.total_seconds_late == 0 and not ada.late_submission_penalty
    final = earned * (1 - percent / 100)
    assert float(grades_csv(graded_class)[("lea", "backprop")]["score"]) == pytest.approx(final)

    (tmp_path / "roster.csv").write_text(ROSTER)
    run = export(graded_class, tmp_path, "--roster", tmp_path / "roster.csv",
                 "--assignment", "backprop", "--export", "canvas", tmp_path / "canvas.csv",
                 "--export", "moodle", tmp_path / "moodle.csv",
                 "--export-column", "Backprop (77)", "--moodle-max", "10")
    assert run.returncode == 0, run.stdout + run.stderr
    with open(tmp_path / "cells.csv", newline="") as handle:
        cells = {(r["student"], r["assignment"]): r for r in csv.DictReader(handle)}
    late = cells[("lea", "backprop")]
    assert (late["days_late"], float(late["penalty_percent"]), late["due"]) == (
        str(days), percent, DUE)
    assert float(late["raw_score"]) == earned and float(late["score"]) == pytest.approx(final)
    assert late["timestamp"] == "2026-09-16T12:00:00Z"

    with open(tmp_path / "canvas.csv", newline="") as handle:
        canvas = list(csv.reader(handle))
    assert canvas[0][-1] == "Backprop (77)" and canvas[1][-1] == fmt(out_of)
    by_id_ = {line[1]: line for line in canvas[2:]}
    assert set(by_id_) == {*BACKPROP, "zed"}  # the roster's, zed with nothing sent
    assert (by_id_["lea"][0], by_id_["lea"][-1]) == ("Lea Late", fmt(final))
    assert by_id_["ada"][-1] == fmt(out_of) and by_id_["zed"][-1] == "0"

    moodle = rows_of(tmp_path / "moodle.csv", "Identifier")
    lea_row = moodle["Participant lea"]
    assert lea_row["Grade"] == fmt(final * 10 / out_of) and lea_row["Maximum Grade"] == "10"
    assert (f"{fmt(earned)} / {fmt(out_of)} earned, 2 days late (due {DUE}): "
            f"-{fmt(percent)} % gives {fmt(final)} / {fmt(out_of)}") in lea_row["Feedback comments"]
    assert "on time" in moodle["Participant ada"]["Feedback comments"]
    assert moodle["Participant zed"]["Status"] == "No submission"

    # Without a roster no platform can match nbgrader's folder names: refused, with why.
    refused = export(graded_class, tmp_path, "--assignment", "backprop",
                     "--export", "canvas", tmp_path / "stray.csv")
    assert refused.returncode == 2 and "Canvas cannot match" in refused.stderr, refused.stderr
    assert not (tmp_path / "stray.csv").exists()


def test_the_notebook_class_generator(graded_class, tmp_path):
    """Its submissions as nbgrader collects them: the reference's solution cells (as the
    sample class's ada, who earns every point), the release untouched, half done, and
    timestamps an hour before the due time or 36 hours after it."""
    course = tmp_path / "course"
    course.mkdir()
    for name in ("source", "release"):
        (course / name).symlink_to(graded_class / name)
    run = subprocess.run([sys.executable, "-m", "tools.make_notebook_class", str(course),
                          "--assignment", "backprop", "--students", "5", "--due", DUE,
                          "--late", "2"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    made = sorted(p.name for p in (course / "submitted").iterdir())
    assert made == ["s001-reference", "s002-untouched", "s003-half", "s004-reference-late",
                    "s005-reference-late"]

    def solutions(path):
        nb = nbformat.read(path, as_version=4)
        return {gid: cell.source for gid, cell in by_id(nb).items()
                if cell.metadata["nbgrader"].get("solution")}

    ada = solutions(graded_class / "submitted" / "ada" / "backprop" / "backprop.ipynb")
    released = solutions(graded_class / "release" / "backprop" / "backprop.ipynb")
    mine = {s: solutions(course / "submitted" / s / "backprop" / "backprop.ipynb") for s in made}
    assert mine["s001-reference"] == ada == mine["s005-reference-late"] != released
    assert mine["s002-untouched"] == released
    half = mine["s003-half"]
    assert 0 < sum(half[g] == ada[g] != released[g] for g in half) < len(half)

    due = datetime(2026, 9, 14, 23, 59)
    for student in made:
        sent = (course / "submitted" / student / "backprop" / "timestamp.txt").read_text()
        when = datetime.strptime(sent, "%Y-%m-%d %H:%M:%S.%f UTC")
        assert when - due == (timedelta(hours=36) if "late" in student else timedelta(hours=-1))
    roster = rows_of(course / "roster.csv", "id")
    assert set(roster) == set(made) and roster["s001-reference"]["name"]
