"""``grade-all --from-git LIST``: a class whose submissions are git repositories.

LIST is a CSV or text file, one student a line: ``student,url`` (a header line naming
``student`` and ``url`` is allowed), or a bare URL, whose repository name is then the
student id (GitHub Classroom names them ``<assignment>-<username>``). Each repository
is cloned (or fetched, when a previous run cloned it) into a private folder, and its
newest commit is checked out and graded; the commit's own date is the submission time,
so work pushed after ``--due`` is late and loses what course.toml's ``[late]`` says.
With ``--git-at-due``, the last commit made before the student's due time is graded
instead (work after it is ignored). A repository git cannot fetch is ``clone-failed``
(with git's message); one without a commit (to grade) is ``not-submitted``.
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
from ..grading.submissions import Status, Submission

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
        student = (cells[0] if len(cells) > 1
                   else url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git"))
        pairs.append((student, url))
    students = [s for s, _ in pairs]
    twice = sorted({s for s in students if students.count(s) > 1})
    if twice:
        raise GitError(f"--from-git {path}: students listed more than once: {', '.join(twice)}")
    return pairs


def checkout_class(pairs, staging: Path, due_for=lambda student: None,
                   at_due: bool = False) -> tuple[list[Submission], dict]:
    """Each repository checked out at the commit to grade: the newest (its lateness
    judged by the late policy), or with ``at_due`` the last made before the student's
    due time (``due_for(student)``: an extension's, else --due). And, for the students
    who have none, (status, why): ``clone-failed`` when git could not fetch it,
    ``not-submitted`` when it holds no commit (before the due time, with ``at_due``)."""
    staging.mkdir(parents=True, exist_ok=True)
    found, failed = [], {}
    for student, url in pairs:
        folder = staging / student
        due = due_for(student)
        try:
            _fetch(url, folder)
        except GitError as error:
            failed[student] = (Status.CLONE_FAILED, f"{url}: {error}")
            continue
        try:
            latest, before = _commits(folder, due)
        except GitError as error:
            failed[student] = (Status.NOT_SUBMITTED, f"{url}: {error}")
            continue
        commit = before if at_due else latest
        if not commit:
            failed[student] = (Status.NOT_SUBMITTED, f"{url}: no commit before the due time "
                                                     f"{iso(due)} (the latest is {latest[:12]})")
            continue
        when = _checkout(folder, commit)
        note = f"{url}@{commit[:12]}"
        if due is not None and before != latest:
            note += (f" (last before the due time: {before[:12]})" if before and not at_due else
                     f" (newest: {latest[:12]}, after the due time)" if at_due else
                     " (no commit before the due time)")
        found.append(Submission(student, folder, False, submitted_at=iso(when), lms="git",
                                name=note))
    return found, failed


def _git(*args, cwd=None) -> str:
    run = subprocess.run(["git", "-c", "core.hooksPath=/dev/null", *args], cwd=cwd, env=_ENV,
                         capture_output=True, text=True, timeout=GIT_TIMEOUT)
    if run.returncode:
        last = (run.stderr or run.stdout).strip().splitlines()[-1:]
        raise GitError(f"git {args[0]} failed: "
                       f"{last[0] if last else f'exit status {run.returncode}'}")
    return run.stdout.strip()


def _fetch(url: str, folder: Path) -> None:
    if (folder / ".git").is_dir():
        _git("fetch", "--quiet", "--force", "origin", "+refs/heads/*:refs/remotes/origin/*",
             cwd=folder)
    else:
        _git("clone", "--quiet", "--no-checkout", url, str(folder))


def _commits(folder: Path, due: datetime | None) -> tuple[str, str]:
    """(the newest commit, the last before ``due`` or "" when none; the newest without a due)."""
    head = "refs/remotes/origin/HEAD"
    try:
        _git("rev-parse", "--verify", "--quiet", head, cwd=folder)
    except GitError:
        head = "--all"
    try:
        latest = _git("rev-list", "-1", head, cwd=folder)
    except GitError:
        latest = ""
    if not latest:
        raise GitError("the repository has no commit")
    if due is None:
        return latest, latest
    return latest, _git("rev-list", "-1", "--before", due.isoformat(), head, cwd=folder)


def _checkout(folder: Path, commit: str) -> datetime:
    _git("checkout", "--quiet", "--force", "--detach", commit, cwd=folder)
    _git("clean", "--quiet", "-fdx", cwd=folder)
    return parse_time(_git("show", "-s", "--format=%cI", commit, cwd=folder), "commit time")
