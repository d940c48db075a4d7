"""The learning platforms a class comes from and its grades go back to.

One module per platform in this folder, each holding ``PLATFORM``, an object of the
``Platform`` protocol below: how its bulk download names things (to detect it), how to
read that download into submissions, the CSV its grade import reads, the zip its
"feedback files" upload reads (optional), and the command-line options it needs (an
assignment column, a maximum grade). Adding a platform is adding its module here:
grade-all, ``--export NAME``, ``--feedback-zip NAME``, the roster reader and the
similarity check find it by itself (see CONTRIBUTING.md, "Adding an LMS").

What every platform shares lives here too: reading a download (zip or folder) and
choosing the platform whose names most entries carry, the roster reader, and the
refusal of export rows a platform cannot match.
"""
from __future__ import annotations

import argparse
import csv
import importlib
import io
import pkgutil
import shutil
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

from ...grading.submissions import IGNORED_NAMES, Submission, safe_extract

# A whole class in one download: more room than one student's submission gets.
BULK_LIMITS = {"max_files": 200_000, "max_total": 8 * 1024**3}
FEEDBACK_NAME = "feedback.html"  # each report's name inside a feedback zip


class ClassError(ValueError):
    """A download whose layout cannot be read."""


class Platform(Protocol):
    name: str    # the word of --export/--feedback-zip, and Submission.lms for its downloads
    title: str   # as people write it: "Canvas"
    # Roster headers this platform's own exports use: our name -> its header(s).
    roster_columns: dict[str, tuple[str, ...]]

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        """grade-all's options this platform needs (none is fine)."""

    def configure(self, args: argparse.Namespace, assignment: str) -> object:
        """The export's options from the parsed arguments, which hold every option
        ``add_options`` added (ValueError when wrong); ``assignment`` names what is
        graded ("nn100 assignment 1"), a default title."""

    def claims(self, entry: Path) -> bool:
        """Whether a top-level entry of a download carries this platform's name layout."""

    def read(self, folder: Path, entries: list[Path], times: dict, staging: Path
             ) -> tuple[list[Submission], list[str]]:
        """The submissions of a download of this platform, and the entries skipped;
        ``times`` are the zip's timestamps (``time_of``), ``staging`` a scratch folder."""

    def roster_id(self, text: str) -> str:
        """A roster's id cell as the student id (Moodle writes "Participant 12")."""

    def export(self, rows: list[dict], maximum: float, options: object) -> str:
        """The platform's grade-import CSV for ``rows`` (gradebook.table_rows)."""

    def feedback(self, students: list[str], results: dict, reports: Path, people: dict
                 ) -> tuple[dict, list]:
        """({zip entry name: report.html path}, [(student, why left out)]) for the zip
        its feedback upload reads; a platform without one raises ValueError."""


def _discover() -> dict[str, Platform]:
    found = {}
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not module.name.startswith("_"):
            platform = importlib.import_module(f"{__name__}.{module.name}").PLATFORM
            found[platform.name] = platform
    return found


def names() -> str:
    """"canvas or moodle": the platforms, for help texts and errors."""
    listed = sorted(PLATFORMS)
    return " or ".join([", ".join(listed[:-1]), listed[-1]] if len(listed) > 2 else listed)


def get(name: str, option: str = "--export") -> Platform:
    if name not in PLATFORMS:
        raise ValueError(f"{option}: expected {names()}, found {name!r}")
    return PLATFORMS[name]


def add_options(parser: argparse.ArgumentParser) -> None:
    for platform in PLATFORMS.values():
        platform.add_options(parser)


def configure(args: argparse.Namespace, assignment: str) -> dict[str, object]:
    """name -> that platform's export options."""
    return {name: platform.configure(args, assignment) for name, platform in PLATFORMS.items()}


# ---------------------------------------------------------------- downloads

def read_class(source: Path, staging: Path) -> tuple[Platform | None, list[Submission], list[str]]:
    """(platform, submissions, skipped names) for a platform's download, or (None, [], [])
    for a plain folder of submissions. A download zip is unpacked into ``staging`` first."""
    source = Path(source)
    if source.is_file() and zipfile.is_zipfile(source):
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        safe_extract(source, staging, **BULK_LIMITS)
        times = zip_times(source)
        folder = staging
        entries = download_entries(folder)
        if len(entries) == 1 and entries[0].is_dir() and not detect(download_entries(folder)):
            folder = entries[0]  # the zip held one folder that holds the download
    elif source.is_dir():
        times, folder = {}, source
    else:
        raise ClassError(f"grade-all: expected a folder of submissions or an LMS download zip, "
                         f"found {str(source)!r}")
    entries = download_entries(folder)
    platform = detect(entries)
    if platform is None:
        return None, [], []
    return (platform, *platform.read(folder, entries, times, staging))


def download_entries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir()
                  if not p.name.startswith(".") and p.name not in IGNORED_NAMES)


def detect(entries: list[Path]) -> Platform | None:
    """The platform whose names most entries carry (most: a stray README is allowed)."""
    if not entries:
        return None
    counts = [(platform, sum(platform.claims(p) for p in entries))
              for platform in PLATFORMS.values()]
    best, count = max(counts, key=lambda pair: pair[1])
    return best if count and count >= 0.5 * len(entries) else None


def zip_times(zip_path: Path) -> dict[str, datetime]:
    """Each entry's timestamp (zips store local time without a zone: read as UTC)."""
    with zipfile.ZipFile(zip_path) as archive:
        return {info.filename.rstrip("/"): datetime(*info.date_time, tzinfo=timezone.utc)
                for info in archive.infolist()}


def time_of(path: Path, times: dict, root: Path) -> datetime:
    """When ``path`` of a download was sent: its zip timestamp, else its file's."""
    relative = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
    if relative in times:
        return times[relative]
    return datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.utc)


# ---------------------------------------------------------------- roster

OUR_ROSTER = {  # our own roster layout; the platforms add the headers of their exports
    "id": ("id", "student"),
    "name": ("name",),
    "email": ("email", "Email"),
    "sis_user_id": ("sis_user_id",),
    "sis_login_id": ("sis_login_id",),
    "section": ("section",),
    "due": ("due", "Due"),  # an extension: this student's own due time
}


def roster_columns() -> dict[str, tuple[str, ...]]:
    """Our name -> the headers that mean it: ours first, then each platform's."""
    columns = {ours: list(headers) for ours, headers in OUR_ROSTER.items()}
    for platform in PLATFORMS.values():
        for ours, headers in platform.roster_columns.items():
            columns[ours] += [h for h in headers if h not in columns[ours]]
    return {ours: tuple(headers) for ours, headers in columns.items()}


def read_roster(path: Path) -> dict[str, dict]:
    """id -> {name, email, sis_user_id, sis_login_id, section, due}. Takes our own layout
    (``id,name,email,...``) or any platform's export (a Canvas gradebook, a Moodle
    grading worksheet)."""
    text = Path(path).read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    headers = reader.fieldnames or []
    known = roster_columns()
    columns = {ours: next((h for h in names if h in headers), None)
               for ours, names in known.items()}
    if columns["id"] is None:
        raise ClassError(f"--roster {path}: expected an id column (one of "
                         f"{', '.join(known['id'])}), found columns {headers}")
    roster = {}
    for row in reader:
        student = (row.get(columns["id"]) or "").strip()
        for platform in PLATFORMS.values():
            student = platform.roster_id(student)
        if not student:  # Canvas's "Points Possible" row, blank lines
            continue
        roster[student] = {ours: (row.get(header) or "").strip() if header else ""
                           for ours, header in columns.items() if ours != "id"}
    return roster


def unmatched(rows: list[dict], name: str, people: dict) -> list[str]:
    """The rows platform ``name`` cannot match to a student of its own: neither on the
    roster nor taken from that platform's download (whose ids are the platform's)."""
    return [row["student"] for row in rows
            if row["student"] not in people and row.get("lms") != name]


# Last: the platform modules import the helpers above.
PLATFORMS: dict[str, Platform] = _discover()
