"""A class as a learning platform hands it over, and the grades handed back.

Detected by the names in the download (a zip, or the folder it was unpacked into):

* **Canvas**, "Download Submissions": one zip of the students' files, each renamed
  ``<sortable name>[_LATE]_<user id>_<submission id>_<original name>``, where the
  sortable name is lower-case letters and digits only (``smithbob``) and a resubmitted
  file gains ``-1``, ``-2`` before its extension. Layout as documented by the open
  graders that unpack it: mikewesthad/canvas-unzipper (README, e.g.
  ``smithbob_340934_208490284_BobsWork.zip``) and TimHanneman/Canvas_submission_sort
  (README: "an extra field if the assignment was submitted late", a number for
  resubmissions).
* **Moodle**, "Download all submissions": one folder per student and submission
  plugin, ``<Full Name>_<participant id>_assignsubmission_file`` (older versions end
  in ``_``; with "download as folders" off, the files themselves carry that prefix).
  Layout from Moodle's own code, mod/assign/classes/downloader.php
  (``get_student_prefix``: full name with ``_`` turned into spaces, ``_`` and the
  participant id from ``get_uniqueid_for_user``; ``load_submissionplugin_filelist``:
  ``prefix_subtype_type``, i.e. ``..._assignsubmission_file``).

The student id used everywhere (``reports/<id>/``, the gradebook, ``--regrade``) is
the platform's: the Canvas user id, the Moodle participant id. A roster joins names,
emails and SIS ids to it, and the exports write the CSV each platform imports:

* Canvas gradebook import: ``Student, ID, SIS User ID, SIS Login ID, Section`` and one
  column per assignment, a ``Points Possible`` row first (the layout Canvas exports and
  reads back; e.g. Ohio State's guide "Import a CSV file to Carmen Grades").
* Moodle "Upload grading worksheet": ``Identifier`` (``Participant <id>``), ``Full name``,
  ``Email address``, ``Status``, ``Grade``, ``Maximum Grade``, ``Grade can be changed``,
  ``Last modified (submission)``, ``Last modified (grade)``, ``Feedback comments``
  (the worksheet Moodle's offline grading downloads; ``Participant `` is mod_assign's
  ``hiddenuser`` string).
"""
from __future__ import annotations

import csv
import io
import re
import shutil
import zipfile
from datetime import datetime, timezone
from pathlib import Path

from .gradebook import fmt
from .late import iso
from ..grading.submissions import IGNORED_NAMES, Submission, safe_extract
from ..sandbox.safe_text import csv_text

CANVAS = re.compile(r"^(?P<name>[a-z0-9]+?)(?P<late>_late)?_(?P<user>\d+)_(?P<submission>\d+)_(?P<file>.+)$",
                    re.IGNORECASE)
MOODLE = re.compile(r"^(?P<name>.+)_(?P<id>\d+)_assignsubmission_file(?:_(?P<file>.*))?$")
# A whole class in one download: more room than one student's submission gets.
BULK_LIMITS = {"max_files": 200_000, "max_total": 8 * 1024**3}


class ClassError(ValueError):
    """A download whose layout cannot be read."""


def read_class(source: Path, staging: Path) -> tuple[str, list[Submission], list[str]]:
    """(layout, submissions, skipped names) for a Canvas or Moodle download or a plain
    folder of submissions. A download zip is unpacked into ``staging`` first."""
    source = Path(source)
    if source.is_file() and zipfile.is_zipfile(source):
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        safe_extract(source, staging, **BULK_LIMITS)
        times = _zip_times(source)
        folder = staging
        entries = _entries(folder)
        if len(entries) == 1 and entries[0].is_dir() and not _layout(_entries(folder)):
            folder = entries[0]  # the zip held one folder that holds the download
    elif source.is_dir():
        times, folder = {}, source
    else:
        raise ClassError(f"grade-all: expected a folder of submissions or an LMS download zip, "
                         f"found {str(source)!r}")
    entries = _entries(folder)
    layout = _layout(entries)
    if layout == "canvas":
        return (layout, *_canvas(folder, entries, times, staging / ".canvas-students"))
    if layout == "moodle":
        return (layout, *_moodle(entries, times, folder))
    return "folder", [], []


def _entries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if not p.name.startswith(".") and p.name not in IGNORED_NAMES)


def _layout(entries: list[Path]) -> str | None:
    """The platform whose names most entries carry (most: a stray README is allowed)."""
    if not entries:
        return None
    canvas = sum(bool(CANVAS.match(p.name)) and p.is_file() for p in entries)
    moodle = sum(bool(MOODLE.match(p.name)) for p in entries)
    best, count = max((("canvas", canvas), ("moodle", moodle)), key=lambda pair: pair[1])
    return best if count and count >= 0.5 * len(entries) else None


def _zip_times(zip_path: Path) -> dict[str, datetime]:
    """Each entry's timestamp (zips store local time without a zone: read as UTC)."""
    with zipfile.ZipFile(zip_path) as archive:
        return {info.filename.rstrip("/"): datetime(*info.date_time, tzinfo=timezone.utc)
                for info in archive.infolist()}


def _time_of(path: Path, times: dict, root: Path) -> datetime:
    relative = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
    if relative in times:
        return times[relative]
    return datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.utc)


def _canvas(folder, entries, times, gathered) -> tuple[list[Submission], list[str]]:
    by_user: dict[str, list] = {}
    skipped = []
    for path in entries:
        match = CANVAS.match(path.name)
        if not match or not path.is_file():
            skipped.append(path.name)
            continue
        by_user.setdefault(match["user"], []).append((path, match))
    found = []
    for user, files in sorted(by_user.items()):
        name = files[0][1]["name"]
        late = any(m["late"] for _, m in files)
        submitted = max(_time_of(p, times, folder) for p, _ in files)
        if len(files) == 1 and files[0][0].suffix.lower() == ".zip":
            path, is_zip = files[0][0], True
        else:  # several files: laid out under their original names, as the student sent them
            path, is_zip = gathered / user, False
            shutil.rmtree(path, ignore_errors=True)
            path.mkdir(parents=True)
            for source, match in files:
                shutil.copyfile(source, path / match["file"])
        found.append(Submission(user, path, is_zip, name=name, submitted_at=iso(submitted),
                                lms="canvas", late_marked=late))
    return found, skipped


def _moodle(entries, times, folder) -> tuple[list[Submission], list[str]]:
    found, skipped = [], []
    for path in entries:
        match = MOODLE.match(path.name)
        if not match:
            skipped.append(path.name)
            continue
        if path.is_dir():
            files = [p for p in path.rglob("*") if p.is_file()]
            submitted = max((_time_of(p, times, folder) for p in files), default=None)
            sub = Submission(match["id"], path, False, name=match["name"], submitted_at=iso(submitted),
                             lms="moodle")
        elif path.suffix.lower() == ".zip":
            sub = Submission(match["id"], path, True, name=match["name"],
                             submitted_at=iso(_time_of(path, times, folder)), lms="moodle")
        else:
            skipped.append(path.name)
            continue
        found.append(sub)
    ids = [s.student for s in found]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ClassError(f"grade-all: the Moodle download has several submissions for participants "
                         f"{', '.join(duplicates)}; keep one folder each")
    return sorted(found, key=lambda s: s.student), skipped


# ---------------------------------------------------------------- roster

ROSTER_COLUMNS = {  # our name -> the headers that mean it (ours, Canvas's export, Moodle's worksheet)
    "id": ("id", "ID", "Identifier", "student"),
    "name": ("name", "Student", "Full name"),
    "email": ("email", "Email address", "Email"),
    "sis_user_id": ("sis_user_id", "SIS User ID"),
    "sis_login_id": ("sis_login_id", "SIS Login ID"),
    "section": ("section", "Section"),
    "due": ("due", "Due"),  # an extension: this student's own due time
}


def read_roster(path: Path) -> dict[str, dict]:
    """id -> {name, email, sis_user_id, sis_login_id, section}. Takes our own layout
    (``id,name,email,...``), a Canvas gradebook export or a Moodle grading worksheet."""
    text = Path(path).read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    headers = reader.fieldnames or []
    columns = {ours: next((h for h in names if h in headers), None) for ours, names in ROSTER_COLUMNS.items()}
    if columns["id"] is None:
        raise ClassError(f"--roster {path}: expected an id column (one of {', '.join(ROSTER_COLUMNS['id'])}), "
                         f"found columns {headers}")
    roster = {}
    for row in reader:
        raw = (row.get(columns["id"]) or "").strip()
        student = raw.removeprefix("Participant ").strip()
        if not student:  # Canvas's "Points Possible" row, blank lines
            continue
        roster[student] = {ours: (row.get(header) or "").strip() if header else ""
                           for ours, header in columns.items() if ours != "id"}
    return roster


# ---------------------------------------------------------------- exports

CANVAS_HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MOODLE_HEADER = ["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade",
                 "Grade can be changed", "Last modified (submission)", "Last modified (grade)",
                 "Feedback comments"]


def export_canvas(rows: list[dict], column: str, maximum: float) -> str:
    """Canvas's gradebook import CSV for one assignment column."""
    lines = [[*CANVAS_HEADER, column], ["Points Possible", "", "", "", "", fmt(maximum)]]
    for row in rows:
        lines.append([row["name"], row["student"], row.get("sis_user_id", ""),
                      row.get("sis_login_id", ""), row.get("section", ""), fmt(row["score"])])
    return csv_text(lines)


def export_moodle(rows: list[dict], maximum: float, activity_max: float | None = None) -> str:
    """Moodle's grading worksheet, ready for "Upload grading worksheet". Grades are out
    of ``activity_max`` (the activity's "Maximum grade") when given, else ``maximum``."""
    out_of = activity_max or maximum
    scale = out_of / maximum if maximum else 1.0
    lines = [MOODLE_HEADER]
    for row in rows:
        submitted = row.get("submitted_at") or ""
        handed_in = row.get("status") not in ("not-submitted", "pending")
        feedback = row.get("feedback", "")
        if feedback and scale != 1.0:
            feedback += f" (the worksheet's grade is out of {fmt(out_of)})"
        lines.append([f"Participant {row['student']}", row["name"], row.get("email", ""),
                      "Submitted for grading" if handed_in else "No submission",
                      fmt(None if row["score"] is None else row["score"] * scale), fmt(out_of),
                      "Yes", _moodle_time(submitted), "-", feedback])
    return csv_text(lines)


def unmatched(rows: list[dict], kind: str, people: dict) -> list[str]:
    """The rows ``kind`` (canvas or moodle) cannot match to a student of its own: neither
    on the roster nor taken from that platform's download (whose ids are the platform's)."""
    return [row["student"] for row in rows
            if row["student"] not in people and row.get("lms") != kind]


def _moodle_time(text: str) -> str:
    """Moodle's worksheet writes times as "Wednesday, September 23, 2020, 9:00 PM"."""
    if not text:
        return "-"
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return f"{moment:%A, %B} {moment.day}, {moment:%Y}, {moment.hour % 12 or 12}:{moment:%M %p}"


