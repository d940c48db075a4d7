"""``grade-all --from-git LIST``: a class whose submissions are git repositories.

LIST is a CSV or text file, one student a line: ``student,url`` (a header line naming
``student`` and ``url`` is allowed), or a bare URL, whose repository name is then the
student id (GitHub Classroom names them ``<assignment>-<username>``). Each repository
is cloned (or fetched, when a previous run cloned it) into a private folder, and the
last commit made before ``--due`` (the commit's own date) is checked out and graded;
its time is the submission time. Without ``--due``, the newest commit is graded.
Clones never run a hook, and a submission is still copied through the same capped,
link-refusing copy as any folder.
"""
from __future__ import annotations

import csv
import io
import os
import subprocess
from datetime import datetime
from pathlib import Path

from .late import iso, parse_time
from ..grading.submissions import Submission

GIT_TIMEOUT = 300  # seconds for one clone or fetch
_ENV = dict(os.environ, GIT_TERMINAL_PROMPT="0", GIT_ASKPASS="true")


class GitError(ValueError):
    """A list of repositories that cannot be read."""


def read_list(path: Path) -> list[tuple[str, str]]:
    """(student, url) pairs, in the file's order."""
    pairs = []
    rows = list(csv.reader(io.StringIO(Path(path).read_text(encoding="utf-8-sig"))))
    if rows and [c.strip().lower() for c in rows[0][:2]] == ["student", "url"]:
        rows = rows[1:]
    for row in rows:
        cells = [c.strip() for c in row if c.strip()]
        if not cells or cells[0].startswith("#"):
            continue
        url = cells[-1]
        student = cells[0] if len(cells) > 1 else url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
        pairs.append((student, url))
    students = [s for s, _ in pairs]
    twice = sorted({s for s in students if students.count(s) > 1})
    if twice:
        raise GitError(f"--from-git {path}: students listed more than once: {', '.join(twice)}")
    return pairs


def checkout_class(pairs, staging: Path, due: datetime | None) -> tuple[list[Submission], dict]:
    """Submissions checked out at their last commit before ``due``; and, for the
    students who have none (or whose clone failed), why."""
    staging.mkdir(parents=True, exist_ok=True)
    found, failed = [], {}
    for student, url in pairs:
        folder = staging / student
        try:
            commit, when = _checkout(url, folder, due)
        except GitError as error:
            failed[student] = str(error)
            continue
        found.append(Submission(student, folder, False, submitted_at=iso(when), lms="git",
                                name=f"{url}@{commit[:12]}"))
    return found, failed


def _git(*args, cwd=None) -> str:
    run = subprocess.run(["git", "-c", "core.hooksPath=/dev/null", *args], cwd=cwd, env=_ENV,
                         capture_output=True, text=True, timeout=GIT_TIMEOUT)
    if run.returncode:
        raise GitError(f"git {args[0]} failed: {(run.stderr or run.stdout).strip().splitlines()[-1:]}")
    return run.stdout.strip()


def _checkout(url: str, folder: Path, due: datetime | None) -> tuple[str, datetime]:
    if (folder / ".git").is_dir():
        _git("fetch", "--quiet", "--force", "origin", "+refs/heads/*:refs/remotes/origin/*", cwd=folder)
    else:
        _git("clone", "--quiet", "--no-checkout", url, str(folder))
    head = "refs/remotes/origin/HEAD"
    try:
        _git("rev-parse", "--verify", "--quiet", head, cwd=folder)
    except GitError:
        head = "--all"
    before = ["--before", due.isoformat()] if due else []
    commit = _git("rev-list", "-1", *before, head, cwd=folder)
    if not commit:
        raise GitError("no commit before the due time" if due else "the repository has no commit")
    _git("checkout", "--quiet", "--force", "--detach", commit, cwd=folder)
    _git("clean", "--quiet", "-fdx", cwd=folder)
    return commit, parse_time(_git("show", "-s", "--format=%cI", commit, cwd=folder), "commit time")
