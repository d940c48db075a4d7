"""Find the students in a class folder and lay each submission out for grading.

A class folder holds one entry per student: a folder, or a ``.zip`` such as the one
the student edition's ``make submit`` writes (``nn100/...`` at its root). Every
submission is copied or extracted into a private folder before grading, so the
grader never works in the class folder and two students never share a folder.

Zips come from students, so extraction trusts nothing in them: names that climb
out of the folder, absolute names, links and special files are refused, and the
bytes actually written are counted against caps, so a zip bomb stops early
whatever sizes its header claims.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import stat
import tempfile
import zipfile
from dataclasses import dataclass
try:
    from enum import StrEnum
except ImportError:  # Python 3.10: members that are their values, in str() and format()
    from enum import Enum

    class StrEnum(str, Enum):
        __str__ = str.__str__
        __format__ = str.__format__
from pathlib import Path, PurePosixPath


class Status(StrEnum):
    """Every status a gradebook row can have; all but GRADED score 0."""
    GRADED = "graded"
    PENDING = "pending"                # not graded yet
    NOT_SUBMITTED = "not-submitted"    # on the roster, absent from the download
    CLONE_FAILED = "clone-failed"      # --from-git: git could not clone or fetch the repository
    MISSING = "missing"                # the path given does not exist
    EMPTY = "empty"
    NO_PACKAGE = "no-package"
    BAD_ZIP = "bad-zip"
    TOO_LARGE = "too-large"
    TIMEOUT = "timeout"
    GRADER_ERROR = "grader-error"
    INTERNAL_ERROR = "internal-error"  # our fault, not the student's: graded again next run


# Generous for a package of a few hundred lines, small enough that a hostile
# submission cannot fill the disk of the machine grading the class.
MAX_FILES = 2000
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_TOTAL_BYTES = 64 * 1024 * 1024
# Junk that archivers add and that says nothing about the submission.
IGNORED_NAMES = {"__MACOSX", ".DS_Store", "__pycache__", ".git", ".ipynb_checkpoints"}


class SubmissionError(Exception):
    """A submission that cannot be graded; ``status`` and the message go in the gradebook."""

    def __init__(self, status: str, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Submission:
    student: str  # the folder or zip name without .zip, or the LMS's id for the student
    path: Path    # the folder or the zip in the class folder
    is_zip: bool
    name: str = ""           # the student's name, when the LMS download gives it
    submitted_at: str = ""   # ISO 8601 UTC, when known (LMS entry, zip timestamp, commit)
    lms: str = ""            # "canvas", "moodle", "git" or "" (a plain folder)
    late_marked: bool = False  # the LMS itself marked the submission late


def find_submissions(class_dir: Path) -> list[Submission]:
    """One ``Submission`` per sub-folder or ``.zip`` of ``class_dir``, sorted by student.

    Hidden entries and other files are skipped. When a folder and a zip share a name,
    the zip keeps its ``.zip`` so that every student id stays unique.
    """
    class_dir = Path(class_dir)
    if not class_dir.is_dir():
        raise ValueError(f"find_submissions: expected a folder of submissions, found {class_dir!r}")
    entries = sorted(p for p in class_dir.iterdir() if not p.name.startswith("."))
    folders = {p.name for p in entries if p.is_dir()}
    found = []
    for path in entries:
        if path.is_dir() and path.name not in IGNORED_NAMES:
            found.append(Submission(path.name, path, False))
        elif path.is_file() and path.suffix.lower() == ".zip":
            student = path.name[:-4]
            if not student or student in folders:
                student = path.name
            found.append(Submission(student, path, True))
    return sorted(found, key=lambda s: s.student)


def digest(submission: Submission) -> str:
    """A fingerprint of the submission's content: a resubmission is graded again."""
    sha = hashlib.sha256()
    if submission.is_zip:
        _hash_file(sha, submission.path)
        return sha.hexdigest()
    for path in sorted(_walk(submission.path)):
        sha.update(str(path.relative_to(submission.path)).encode("utf-8", "replace") + b"\0")
        _hash_file(sha, path)
    return sha.hexdigest()


def submission_time(submission: Submission) -> str:
    """When the student last changed it, as far as the files say: the newest entry of
    a zip (zips store local time without a zone: read as UTC), or the newest file's
    modification time in a folder. ISO 8601 UTC, or "" when nothing says."""
    from datetime import datetime, timezone
    try:
        if submission.is_zip:
            with zipfile.ZipFile(submission.path) as archive:
                stamps = [datetime(*info.date_time, tzinfo=timezone.utc)
                          for info in archive.infolist()]
        else:
            stamps = [datetime.fromtimestamp(p.stat().st_mtime, tz=timezone.utc)
                      for p in _walk(submission.path)]
    except (OSError, zipfile.BadZipFile, ValueError):
        return ""
    return max(stamps).strftime("%Y-%m-%dT%H:%M:%SZ") if stamps else ""


def _hash_file(sha, path: Path) -> None:
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)


def _walk(folder: Path):
    """Regular files under ``folder``, links not followed, junk folders skipped."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs
                   if d not in IGNORED_NAMES and not os.path.islink(os.path.join(root, d))]
        for name in files:
            path = Path(root, name)
            if name not in IGNORED_NAMES and path.is_file() and not path.is_symlink():
                yield path


def materialize(submission: Submission, dest: Path) -> Path:
    """Copy or extract ``submission`` into the empty folder ``dest``; return the folder
    that holds ``nn100/`` (ready for ``autograder grade``).

    A folder whose only entry is a zip (what Gradescope stores when a student uploads
    the ``make submit`` zip) is that zip. Raises ``SubmissionError`` for a corrupt or
    refused zip and for a submission without an nn100 package.
    """
    dest.mkdir(parents=True, exist_ok=True)
    if submission.is_zip:
        safe_extract(submission.path, dest)
    else:
        lone_zip = _lone_zip(submission.path)
        if lone_zip is not None:
            safe_extract(lone_zip, dest)
        else:
            _copy_capped(submission.path, dest)
    return find_package_root(dest)


def submission_at(path) -> Submission:
    """What ``path`` names, as a ``Submission``: a ``.zip`` file or a folder."""
    path = Path(path)
    if path.is_file() and zipfile.is_zipfile(path):
        return Submission(path.stem, path, True)
    if path.is_dir():
        return Submission(path.name, path, False)
    if path.is_file():
        raise SubmissionError(Status.NO_PACKAGE,
                              f"{path} is a file but not a zip: expected a folder "
                              "holding nn100/ or the zip `make submit` writes")
    raise SubmissionError(Status.MISSING, f"{path} does not exist")


@contextlib.contextmanager
def resolved(path):
    """The folder holding ``nn100/`` for whatever a student hands in, for as long as the
    ``with`` block runs: the one resolver of ``grade``, ``grade-all`` and Gradescope.

    A folder holding ``nn100/`` is used where it is (nothing copied). Anything else (a
    folder one level above it, the package folder itself, the ``make submit`` zip, a
    zip of a folder or of the package's own files, a folder holding one such zip) is
    laid out in a private temporary folder, through the same capped, checked copy and
    extraction as a class, and removed afterwards.
    """
    submission = submission_at(path)
    if not submission.is_zip and _is_package(submission.path / "nn100") \
            and not (submission.path / "nn100").is_symlink():
        yield submission.path
        return
    with tempfile.TemporaryDirectory(prefix="nn100-submission-") as scratch:
        yield materialize(submission, Path(scratch) / "submission")


def _lone_zip(folder: Path) -> Path | None:
    entries = [p for p in folder.iterdir()
               if not p.name.startswith(".") and p.name not in IGNORED_NAMES]
    if len(entries) == 1 and entries[0].is_file() and entries[0].suffix.lower() == ".zip":
        return entries[0]
    return None


def safe_extract(zip_path: Path, dest: Path, max_files: int | None = None,
                 max_total: int | None = None) -> None:
    """Extract ``zip_path`` into ``dest``, refusing anything that could escape or explode
    (the caps are one submission's unless the caller, unpacking a whole class, says)."""
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise SubmissionError(Status.BAD_ZIP, f"the zip cannot be opened ({error})") from None
    max_files = MAX_FILES if max_files is None else max_files
    with archive:
        members = archive.infolist()
        if len(members) > max_files:
            raise SubmissionError(Status.BAD_ZIP,
                                  f"the zip holds {len(members)} entries, more than {max_files}")
        budget = _Budget(max_total)
        for member in members:
            parts = _safe_parts(member.filename)
            if not parts or any(part in IGNORED_NAMES for part in parts):
                continue
            kind = stat.S_IFMT(member.external_attr >> 16)  # 0 when the zip says nothing
            if kind and kind not in (stat.S_IFREG, stat.S_IFDIR):
                raise SubmissionError(Status.BAD_ZIP, f"the zip entry {member.filename!r} is a "
                                                      "link or special file")
            target = dest.joinpath(*parts)
            if member.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            budget.declare(member.filename, member.file_size)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with archive.open(member) as source, open(target, "wb") as out:
                    for block in iter(lambda: source.read(1 << 16), b""):
                        budget.spend(member.filename, len(block))
                        out.write(block)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError,
                    NotImplementedError, RuntimeError) as error:
                # RuntimeError: an encrypted entry; the others: a damaged archive.
                raise SubmissionError(Status.BAD_ZIP, f"the zip entry {member.filename!r} "
                                                      f"cannot be read ({error})") from None


def _safe_parts(name: str) -> tuple[str, ...]:
    """The path components of a zip entry name, or an error if it leaves the folder."""
    name = name.replace("\\", "/")
    path = PurePosixPath(name)
    if path.is_absolute() or (path.parts and ":" in path.parts[0]):
        raise SubmissionError(Status.BAD_ZIP, f"the zip entry {name!r} is an absolute path")
    parts = tuple(part for part in path.parts if part not in ("", "."))
    if ".." in parts:
        raise SubmissionError(Status.BAD_ZIP, f"the zip entry {name!r} points outside the folder")
    return parts


class _Budget:
    """Counts files and bytes written, raising as soon as a cap is passed."""

    def __init__(self, max_total: int | None = None):
        self.files = 0
        self.total = 0
        self.current = 0
        self.max_total = MAX_TOTAL_BYTES if max_total is None else max_total

    def declare(self, name: str, size: int) -> None:
        self.files += 1
        self.current = 0
        if size > MAX_FILE_BYTES or self.total + size > self.max_total:
            raise SubmissionError(Status.BAD_ZIP, f"the zip entry {name!r} is too large "
                                                  f"({size} bytes): refused as a possible zip bomb")

    def spend(self, name: str, size: int) -> None:
        self.current += size
        self.total += size
        if self.current > MAX_FILE_BYTES or self.total > self.max_total:
            raise SubmissionError(Status.BAD_ZIP, f"the zip entry {name!r} expands past the size "
                                                  "cap: refused as a possible zip bomb")


def _copy_capped(source: Path, dest: Path) -> None:
    """Copy a submission folder's regular files (no links) under the same caps as zips."""
    budget = _Budget()
    for path in _walk(source):
        relative = path.relative_to(source)
        if budget.files >= MAX_FILES:
            raise SubmissionError(Status.TOO_LARGE, f"the folder holds more than {MAX_FILES} files")
        size = path.stat().st_size
        budget.declare(str(relative), size)
        budget.spend(str(relative), size)
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)


def find_package_root(folder: Path) -> Path:
    """The folder holding ``nn100/``: ``folder`` itself, or its only sub-folder that does
    (a zip of a folder). A bare package (``__init__.py`` at the top) is moved into
    ``nn100/`` so students who zipped the package's contents are still graded.
    """
    if _is_package(folder / "nn100"):
        return folder
    children = [p for p in folder.iterdir() if p.is_dir() and p.name not in IGNORED_NAMES]
    nested = [child for child in children if _is_package(child / "nn100")]
    if len(nested) == 1:
        return nested[0]
    if len(nested) > 1:
        names = ", ".join(sorted(child.name for child in nested))
        raise SubmissionError(Status.NO_PACKAGE,
                              f"several nn100 packages found (in {names}); submit exactly one")
    bare = [child for child in children
            if (child / "__init__.py").is_file() and (child / "layers.py").is_file()]
    if not (folder / "__init__.py").is_file() and len(bare) == 1 and len(children) == 1:
        folder = bare[0]  # the package folder itself, under another name or as nn100/
    if (folder / "__init__.py").is_file() and (folder / "layers.py").is_file():
        package = folder / "nn100"
        package.mkdir()
        for entry in list(folder.iterdir()):
            if entry != package:
                entry.rename(package / entry.name)
        return folder
    listing = sorted(p.name for p in folder.iterdir())
    if not listing:
        raise SubmissionError(Status.EMPTY, "the submission is empty")
    shown = ", ".join(listing[:8]) + (", ..." if len(listing) > 8 else "")
    raise SubmissionError(Status.NO_PACKAGE, "no nn100 package found (expected nn100/__init__.py "
                                             f"at the top or one folder down; found: {shown})")


def _is_package(path: Path) -> bool:
    return path.is_dir() and (path / "__init__.py").is_file()
