"""Feedback handed back: the reports in the zips Moodle's "Upload multiple feedback files
in a zip" and Canvas's "Re-Upload Submissions" read, checked against how each platform
parses the names (autograder/classroom/feedback_zip.py cites the code)."""

import csv
import os
import re
import subprocess
import sys
import zipfile
from datetime import datetime

from classgrading_support import ROOT, solved
from tools.make_class import as_canvas, as_moodle

ON_TIME = (datetime(2026, 9, 14, 20, 0), False)


def grade_all(*args):
    fake = f"{sys.executable} {ROOT / 'tests' / 'classgrading' / 'fake_grade.py'}"
    run = subprocess.run(
        [sys.executable, "-m", "autograder", "grade-all", *map(str, args), "--grade-command", fake],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stderr


def plain_class(base, count=3):
    plain = base / "plain"
    for i in range(count):
        solved(plain / f"s{i}", "FAKE_BUG" if i == 1 else "")
    return plain


def moodle_participant(folder_name: str):
    """What Moodle's importer reads from a folder name: (participant id, plugin type,
    plugin name, rest), splitting on "_" into at most five fields; None if it skips it."""
    info = folder_name.split("_", 4)
    if len(info) < 4 or not info[1].isdigit():
        return None
    return int(info[1]), info[2], info[3], info[4] if len(info) > 4 else ""


def test_moodle_zip_has_one_folder_per_participant_as_the_importer_reads_it(tmp_path):
    plain = plain_class(tmp_path)
    folks = as_moodle(plain, tmp_path / "download", tmp_path / "roster.csv")
    # A name with "_" in it (Moodle's own download turns them into spaces), and a
    # participant on the roster who sent nothing.
    roster = (tmp_path / "roster.csv").read_text().replace(folks[0]["name"], "Ada_Lovelace")
    roster += "Participant 79999,Nobody Here,nobody@example.edu,No submission,\n"
    (tmp_path / "roster.csv").write_text(roster)
    out = tmp_path / "out"
    log = grade_all(
        tmp_path / "download",
        "--gradebook",
        out / "gradebook.csv",
        "--roster",
        tmp_path / "roster.csv",
        "--feedback-zip",
        "moodle",
        out / "moodle-feedback.zip",
    )
    assert "wrote the Moodle feedback zip" in log and "(3 reports; left out 79999 (no report" in log
    with zipfile.ZipFile(out / "moodle-feedback.zip") as archive:
        names = sorted(archive.namelist())
        assert len(names) == 3
        for name in names:
            folder, file = name.split("/")
            participant, plugin_type, plugin, rest = moodle_participant(folder)
            assert (plugin_type, plugin, rest, file) == (
                "assignsubmission",
                "file",
                "",
                "feedback.html",
            )
            assert (
                archive.read(name)
                == (out / "reports" / str(participant) / "report.html").read_bytes()
            )
        ids = sorted(moodle_participant(n.split("/")[0])[0] for n in names)
    assert ids == sorted(int(f["moodle_id"]) for f in folks)
    assert f"Ada Lovelace_{folks[0]['moodle_id']}_assignsubmission_file_/feedback.html" in names


def canvas_ids(file_name: str):
    """What Canvas's re-upload reads from a file name: its first two numbers."""
    numbers = [part for part in file_name.split("_") if re.fullmatch(r"\d+", part)]
    return tuple(int(n) for n in numbers[:2])


def test_canvas_zip_names_each_report_after_the_file_the_student_sent(tmp_path):
    plain = plain_class(tmp_path)
    folks = as_canvas(plain, tmp_path / "a1.zip", tmp_path / "roster.csv", [ON_TIME] * 3)
    with zipfile.ZipFile(tmp_path / "a1.zip") as download:
        sent = {canvas_ids(name)[0]: canvas_ids(name)[1] for name in download.namelist()}
    out = tmp_path / "out"
    log = grade_all(
        tmp_path / "a1.zip",
        "--gradebook",
        out / "gradebook.csv",
        "--roster",
        tmp_path / "roster.csv",
        "--feedback-zip",
        "canvas",
        out / "canvas-feedback.zip",
        "--feedback-zip",
        "moodle",
        out / "wrong-platform.zip",
    )
    with zipfile.ZipFile(out / "canvas-feedback.zip") as archive:
        names = archive.namelist()
        assert len(names) == 3
        for name in names:
            user, attachment = canvas_ids(name)
            assert sent[user] == attachment  # the id of the file that user sent
            assert name.startswith(
                next(f["sortable"] for f in folks if int(f["canvas_id"]) == user) + "_"
            )
            assert archive.read(name) == (out / "reports" / str(user) / "report.html").read_bytes()
    # Canvas's user ids are numbers too, but not Moodle participant ids: left out.
    assert "wrote the Canvas feedback zip" in log
    assert (
        f"(0 reports; left out {folks[0]['canvas_id']} "
        "(its id is Canvas's, not a Moodle participant id)"
        in log
    )


def test_a_class_folder_has_no_platform_ids_to_name_reports_after(tmp_path):
    plain = plain_class(tmp_path)
    out = tmp_path / "out"
    log = grade_all(
        plain,
        "--gradebook",
        out / "gradebook.csv",
        "--feedback-zip",
        "moodle",
        out / "m.zip",
        "--feedback-zip",
        "canvas",
        out / "c.zip",
    )
    assert "(0 reports; left out s0 (not a Moodle participant id)" in log
    assert "(0 reports; left out s0 (no single submitted file to attach it to" in log
    with zipfile.ZipFile(out / "m.zip") as archive:
        assert archive.namelist() == []
    rows = list(csv.DictReader(open(out / "gradebook.csv")))
    assert [r["student"] for r in rows] == ["s0", "s1", "s2"]


def test_feedback_zip_refuses_an_unknown_platform(tmp_path):
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "autograder",
            "grade-all",
            str(tmp_path),
            "--gradebook",
            str(tmp_path / "g.csv"),
            "--feedback-zip",
            "blackboard",
            str(tmp_path / "f.zip"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    assert (
        run.returncode == 2
        and "--feedback-zip: expected canvas or moodle, found 'blackboard'" in run.stderr
    )
