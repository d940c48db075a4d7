"""Canvas.

* Its download, "Download Submissions": one zip of the students' files, each renamed
  ``<sortable name>[_LATE]_<user id>_<submission id>_<original name>``, where the
  sortable name is lower-case letters and digits only (``smithbob``) and a resubmitted
  file gains ``-1``, ``-2`` before its extension. Layout as documented by the open
  graders that unpack it: mikewesthad/canvas-unzipper (README, e.g.
  ``smithbob_340934_208490284_BobsWork.zip``) and TimHanneman/Canvas_submission_sort
  (README: "an extra field if the assignment was submitted late", a number for
  resubmissions). The student id is the Canvas user id.
* Its gradebook import: ``Student, ID, SIS User ID, SIS Login ID, Section`` and one
  column per assignment, a ``Points Possible`` row first (the layout Canvas exports and
  reads back; e.g. Ohio State's guide "Import a CSV file to Carmen Grades"). The
  column is ``--export-column``: a title that names no existing assignment creates a
  new one; ``"Name (id)"``, as Canvas's own export heads it, fills that assignment.
* Its feedback upload, the assignment's "Re-Upload Submissions". Canvas reads each file name's
  first two numbers as the user id and the id of a file that user submitted
  (``infer_comment_context_from_filename`` in app/models/assignment.rb), and attaches
  the file to that submission as a comment, "See attached file". So the report is named
  ``<sortable name>_<user id>_<file id>_feedback.html``, the ids read from the name the
  download gave the student's file. What Canvas cannot carry this way: the score (the
  gradebook import carries it, without comments), a comment text of ours, feedback for a
  student who submitted no file or several (no single file id: their reports are left
  out, and listed), per-check points (no rubric import from a file).
"""
from __future__ import annotations

import re
import shutil

from .. import gradebook as gb
from ..gradebook import fmt
from ..late import iso
from ...grading.submissions import Submission
from ...sandbox.safe_text import csv_text
from . import FEEDBACK_NAME, time_of

NAME = re.compile(r"^(?P<name>[a-z0-9]+?)(?P<late>_late)?_(?P<user>\d+)_(?P<submission>\d+)"
                  r"_(?P<file>.+)$", re.IGNORECASE)
HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


class Canvas:
    name = "canvas"
    title = "Canvas"
    roster_columns = {"id": ("ID",), "name": ("Student",), "sis_user_id": ("SIS User ID",),
                      "sis_login_id": ("SIS Login ID",), "section": ("Section",)}

    def add_options(self, parser):
        parser.add_argument("--export-column", default=None,
                            help="the Canvas assignment column to fill (default: '<course> "
                                 "assignment N'; 'Name (id)' fills an existing assignment)")

    def configure(self, args, assignment):
        return args.export_column or assignment

    def claims(self, entry):
        return bool(NAME.match(entry.name)) and entry.is_file()

    def read(self, folder, entries, times, staging):
        gathered = staging / ".canvas-students"
        by_user: dict[str, list] = {}
        skipped = []
        for path in entries:
            match = NAME.match(path.name)
            if not match or not path.is_file():
                skipped.append(path.name)
                continue
            by_user.setdefault(match["user"], []).append((path, match))
        found = []
        for user, files in sorted(by_user.items()):
            name = files[0][1]["name"]
            late = any(m["late"] for _, m in files)
            submitted = max(time_of(p, times, folder) for p, _ in files)
            if len(files) == 1 and files[0][0].suffix.lower() == ".zip":
                path, is_zip = files[0][0], True
            else:  # several files: laid out under their original names, as the student sent them
                path, is_zip = gathered / user, False
                shutil.rmtree(path, ignore_errors=True)
                path.mkdir(parents=True)
                for source, match in files:
                    shutil.copyfile(source, path / match["file"])
            found.append(Submission(user, path, is_zip, name=name, submitted_at=iso(submitted),
                                    lms=self.name, late_marked=late))
        return found, skipped

    def roster_id(self, text):
        return text

    def export(self, rows, maximum, column):
        """Canvas's gradebook import CSV for one assignment column."""
        lines = [[*HEADER, column], ["Points Possible", "", "", "", "", fmt(maximum)]]
        for row in rows:
            lines.append([row["name"], row["student"], row.get("sis_user_id", ""),
                          row.get("sis_login_id", ""), row.get("section", ""), fmt(row["score"])])
        return csv_text(lines)

    def feedback(self, students, results, reports, people):
        entries, left_out = {}, []
        for student in students:
            report = reports / student / "report.html"
            info = gb.classroom(results.get(student) or {})
            match = NAME.match(str(info.get("source", "")))
            if not report.is_file():
                left_out.append((student, "no report (nothing graded)"))
            elif info.get("lms") != self.name or not match or match["user"] != student:
                left_out.append(
                    (student, "no single submitted file to attach it to (Canvas needs its id)")
                )
            else:
                entry = f"{match['name'].lower()}_{student}_{match['submission']}_{FEEDBACK_NAME}"
                entries[entry] = report
        return entries, left_out


PLATFORM = Canvas()
