"""Moodle.

* Its download, "Download all submissions": one folder per student and submission
  plugin, ``<Full Name>_<participant id>_assignsubmission_file`` (older versions end
  in ``_``; with "download as folders" off, the files themselves carry that prefix).
  Layout from Moodle's own code, mod/assign/classes/downloader.php
  (``get_student_prefix``: full name with ``_`` turned into spaces, ``_`` and the
  participant id from ``get_uniqueid_for_user``; ``load_submissionplugin_filelist``:
  ``prefix_subtype_type``, i.e. ``..._assignsubmission_file``). The student id is the
  participant id.
* Its grade import, "Upload grading worksheet": ``Identifier`` (``Participant <id>``),
  ``Full name``, ``Email address``, ``Status``, ``Grade``, ``Maximum Grade``, ``Grade
  can be changed``, ``Last modified (submission)``, ``Last modified (grade)``,
  ``Feedback comments`` (the worksheet Moodle's offline grading downloads;
  ``Participant `` is mod_assign's ``hiddenuser`` string). Grades are out of
  ``--moodle-max``, the activity's "Maximum grade", when given.
* Its feedback upload, the assignment's "Upload multiple feedback files in a zip"
  (Feedback types: "Feedback files" on). One folder per student, named as "Download all submissions"
  names it, ``<Full name>_<participant id>_assignsubmission_file_``, holding
  ``feedback.html``. Moodle's importer (mod/assign/feedback/file/importziplib.php,
  ``is_valid_filename_for_import``) splits each folder name on ``_``, takes the second
  field as the participant id and the next two as the plugin, and attaches what the
  folder holds to that participant as feedback files; the full name is only read by
  people, and ``_`` in it would shift the fields, so it becomes a space (as Moodle's
  own download does). The participant id must be the one Moodle gave: grade the Moodle
  download itself (or a class whose ids are those ids).
"""
from __future__ import annotations

import re
from datetime import datetime

from .. import gradebook as gb
from ..gradebook import fmt
from ..late import iso
from ...grading.submissions import Submission
from ...sandbox.safe_text import csv_text
from . import FEEDBACK_NAME, ClassError, time_of

NAME = re.compile(r"^(?P<name>.+)_(?P<id>\d+)_assignsubmission_file(?:_(?P<file>.*))?$")
HEADER = ["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade",
          "Grade can be changed", "Last modified (submission)", "Last modified (grade)",
          "Feedback comments"]
PARTICIPANT = "Participant "


class Moodle:
    name = "moodle"
    title = "Moodle"
    roster_columns = {"id": ("Identifier",), "name": ("Full name",), "email": ("Email address",)}

    def add_options(self, parser):
        parser.add_argument("--moodle-max", type=float, default=None, metavar="POINTS",
                            help="the Moodle activity's maximum grade: the worksheet's grades are "
                                 "scaled to it (default: the assignment's total)")

    def configure(self, args, assignment):
        """The activity's maximum grade, or None (the assignment's total)."""
        given = args.moodle_max
        if given is not None and given <= 0:
            raise ValueError(f"--moodle-max: expected a maximum grade above 0, found {given:g}")
        return None if given is None else float(given)

    def claims(self, entry):
        return bool(NAME.match(entry.name))

    def read(self, folder, entries, times, staging):
        found, skipped = [], []
        for path in entries:
            match = NAME.match(path.name)
            if not match:
                skipped.append(path.name)
                continue
            if path.is_dir():
                files = [p for p in path.rglob("*") if p.is_file()]
                submitted = max((time_of(p, times, folder) for p in files), default=None)
                sub = Submission(match["id"], path, False, name=match["name"],
                                 submitted_at=iso(submitted), lms=self.name)
            elif path.suffix.lower() == ".zip":
                sub = Submission(match["id"], path, True, name=match["name"],
                                 submitted_at=iso(time_of(path, times, folder)), lms=self.name)
            else:
                skipped.append(path.name)
                continue
            found.append(sub)
        ids = [s.student for s in found]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ClassError(f"grade-all: the Moodle download has several submissions for "
                             f"participants {', '.join(duplicates)}; keep one folder each")
        return sorted(found, key=lambda s: s.student), skipped

    def roster_id(self, text):
        return text.removeprefix(PARTICIPANT).strip()

    def export(self, rows, maximum, activity_max):
        """Moodle's grading worksheet, ready for "Upload grading worksheet". Grades are out
        of ``activity_max`` (the activity's "Maximum grade") when given, else ``maximum``."""
        out_of = activity_max or maximum
        scale = out_of / maximum if maximum else 1.0
        lines = [HEADER]
        for row in rows:
            submitted = row.get("submitted_at") or ""
            handed_in = row.get("status") not in ("not-submitted", "pending")
            feedback = row.get("feedback", "")
            if feedback and scale != 1.0:
                feedback += f" (the worksheet's grade is out of {fmt(out_of)})"
            lines.append([f"{PARTICIPANT}{row['student']}", row["name"], row.get("email", ""),
                          "Submitted for grading" if handed_in else "No submission",
                          fmt(None if row["score"] is None else row["score"] * scale), fmt(out_of),
                          "Yes", worksheet_time(submitted), "-", feedback])
        return csv_text(lines)

    def feedback(self, students, results, reports, people):
        entries, left_out = {}, []
        for student in students:
            report = reports / student / "report.html"
            info = gb.classroom(results.get(student) or {})
            platform = info.get("lms", "")
            if platform not in ("", self.name):
                left_out.append(
                    (student, f"its id is {platform.capitalize()}'s, not a Moodle participant id")
                )
            elif not student.isdigit():
                left_out.append((student, "not a Moodle participant id"))
            elif not report.is_file():
                left_out.append((student, "no report (nothing graded)"))
            else:
                name = (people.get(student, {}).get("name") or info.get("name")
                        or f"{PARTICIPANT}{student}")
                name = " ".join(name.replace("_", " ").replace("/", " ").split())
                entries[f"{name}_{student}_assignsubmission_file_/{FEEDBACK_NAME}"] = report
        return entries, left_out


def worksheet_time(text: str) -> str:
    """Moodle's worksheet writes times as "Wednesday, September 23, 2020, 9:00 PM"."""
    if not text:
        return "-"
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return f"{moment:%A, %B} {moment.day}, {moment:%Y}, {moment.hour % 12 or 12}:{moment:%M %p}"


PLATFORM = Moodle()
