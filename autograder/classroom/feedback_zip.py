"""Feedback handed back through the learning platform: every student's report.html in
the zip the platform reads back.

    python -m autograder grade-all DOWNLOAD --gradebook FILE.csv --feedback-zip moodle FILE.zip
    python -m autograder grade-all DOWNLOAD --gradebook FILE.csv --feedback-zip canvas FILE.zip

* **Moodle**, the assignment's "Upload multiple feedback files in a zip" (Feedback types:
  "Feedback files" on). One folder per student, named as "Download all submissions"
  names it, ``<Full name>_<participant id>_assignsubmission_file_``, holding
  ``feedback.html``. Moodle's importer (mod/assign/feedback/file/importziplib.php,
  ``is_valid_filename_for_import``) splits each folder name on ``_``, takes the second
  field as the participant id and the next two as the plugin, and attaches what the
  folder holds to that participant as feedback files; the full name is only read by
  people, and ``_`` in it would shift the fields, so it becomes a space (as Moodle's
  own download does). The participant id must be the one Moodle gave: grade the Moodle
  download itself (or a class whose ids are those ids).
* **Canvas**, the assignment's "Re-Upload Submissions". Canvas reads each file name's
  first two numbers as the user id and the id of a file that user submitted
  (``infer_comment_context_from_filename`` in app/models/assignment.rb), and attaches
  the file to that submission as a comment, "See attached file". So the report is named
  ``<sortable name>_<user id>_<file id>_feedback.html``, the ids read from the name the
  download gave the student's file. What Canvas cannot carry this way: the score (the
  gradebook import carries it, without comments), a comment text of ours, feedback for a
  student who submitted no file or several (no single file id: their reports are left
  out, and listed), per-check points (no rubric import from a file).

Students without a report (not submitted) are left out and named.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from . import gradebook as gb
from ..sandbox.atomic import replacing
from .lms import CANVAS

FEEDBACK_NAME = "feedback.html"


def moodle_entries(
    students: list[str], results: dict, reports: Path, people: dict
) -> tuple[dict, list]:
    """{zip entry name: report path} and [(student, why left out)]."""
    entries, left_out = {}, []
    for student in students:
        report = reports / student / "report.html"
        platform = gb.classroom(results.get(student) or {}).get("lms", "")
        if platform not in ("", "moodle"):
            left_out.append(
                (student, f"its id is {platform.capitalize()}'s, not a Moodle participant id")
            )
        elif not student.isdigit():
            left_out.append((student, "not a Moodle participant id"))
        elif not report.is_file():
            left_out.append((student, "no report (nothing graded)"))
        else:
            info = gb.classroom(results.get(student) or {})
            name = (
                people.get(student, {}).get("name") or info.get("name") or f"Participant {student}"
            )
            name = " ".join(name.replace("_", " ").replace("/", " ").split())
            entries[f"{name}_{student}_assignsubmission_file_/{FEEDBACK_NAME}"] = report
    return entries, left_out


def canvas_entries(students: list[str], results: dict, reports: Path) -> tuple[dict, list]:
    entries, left_out = {}, []
    for student in students:
        report = reports / student / "report.html"
        info = gb.classroom(results.get(student) or {})
        match = CANVAS.match(str(info.get("source", "")))
        if not report.is_file():
            left_out.append((student, "no report (nothing graded)"))
        elif info.get("lms") != "canvas" or not match or match["user"] != student:
            left_out.append(
                (student, "no single submitted file to attach it to (Canvas needs its id)")
            )
        else:
            entries[f"{match['name'].lower()}_{student}_{match['submission']}_{FEEDBACK_NAME}"] = (
                report
            )
    return entries, left_out


def write_zip(
    kind: str,
    path: Path,
    students: list[str],
    results: dict,
    reports: Path,
    people: dict | None = None,
) -> tuple[int, list]:
    """Write the feedback zip for ``kind`` ("moodle" or "canvas"); return how many
    reports it holds and the students left out, with why."""
    if kind == "moodle":
        entries, left_out = moodle_entries(students, results, reports, people or {})
    elif kind == "canvas":
        entries, left_out = canvas_entries(students, results, reports)
    else:
        raise ValueError(f"--feedback-zip: expected moodle or canvas, found {kind!r}")
    with replacing(path) as handle, zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, report in sorted(entries.items()):
            archive.write(report, name)
    return len(entries), left_out
