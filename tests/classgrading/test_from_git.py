"""grade-all --from-git: local bare repositories stand in for a GitHub Classroom."""
import csv
import os
import shutil
import subprocess
import sys

from classgrading_support import ROOT, solved

DUE = "2026-09-14T23:59:00+00:00"


def git(*args, cwd, when=None):
    env = dict(os.environ, GIT_AUTHOR_NAME="student", GIT_AUTHOR_EMAIL="s@example.edu",
               GIT_COMMITTER_NAME="student", GIT_COMMITTER_EMAIL="s@example.edu")
    if when:
        env.update(GIT_AUTHOR_DATE=when, GIT_COMMITTER_DATE=when)
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def repository(tmp_path, name, commits):
    """A bare repository ``name`` whose history is ``commits``: (time, marker) each."""
    work = tmp_path / "work" / name
    for i, (when, marker) in enumerate(commits):
        shutil.rmtree(work / "nn100", ignore_errors=True)
        solved(work, marker)
        if i == 0:
            git("init", "--quiet", "--initial-branch=main", cwd=work)
        git("add", "-A", cwd=work)
        git("commit", "--quiet", "-m", f"commit {i}", cwd=work, when=when)
    bare = tmp_path / "remotes" / f"{name}.git"
    git("clone", "--quiet", "--bare", str(work), str(bare), cwd=tmp_path)
    return bare


def grade_git(listing, gradebook, *extra):
    command = [sys.executable, "-m", "autograder", "grade-all", "--from-git", str(listing),
               "--due", DUE, "--gradebook", str(gradebook), *map(str, extra),
               "--grade-command",
               f"{sys.executable} {ROOT / 'tests' / 'classgrading' / 'fake_grade.py'}"]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300,
                         env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert run.returncode == 0, run.stderr
    with open(gradebook, newline="") as handle:
        return {r["student"]: r for r in csv.DictReader(handle)}, run.stderr


def test_the_newest_commit_is_graded_with_the_late_policy_or_the_last_before_the_due_time(tmp_path):
    on_time = repository(tmp_path, "a1-ada", [("2026-09-14T20:00:00+00:00", "")])
    # a correct commit before the due time, a broken one after it
    fixed_late = repository(tmp_path, "a1-alan", [("2026-09-13T10:00:00+00:00", ""),
                                                  ("2026-09-15T10:00:00+00:00", "FAKE_BUG")])
    too_late = repository(tmp_path, "a1-grace", [("2026-09-16T10:00:00+00:00", "")])
    extended = repository(tmp_path, "a1-edsger", [("2026-09-16T10:00:00+00:00", "")])
    gone = tmp_path / "remotes" / "no-such-repository.git"
    listing = tmp_path / "repos.csv"
    listing.write_text(f"student,url\nada,{on_time}\nalan,{fixed_late}\n{too_late}\n"
                       f"edsger,{extended}\nlinus,{gone}\n")
    extensions = tmp_path / "extensions.csv"
    extensions.write_text("student,due\nedsger,2026-09-17T12:00Z\n")
    gradebook = tmp_path / "out" / "gradebook.csv"
    rows, log = grade_git(listing, gradebook, "--extensions", extensions)
    assert (rows["ada"]["score"], rows["ada"]["submitted_at"], rows["ada"]["days_late"]) == \
        ("20", "2026-09-14T20:00:00Z", "0")
    # the newest commit (15 earned), 1 day late: 10 % off
    assert (rows["alan"]["score"], rows["alan"]["submitted_at"],
            rows["alan"]["penalty_percent"]) == ("13.5", "2026-09-15T10:00:00Z", "10")
    assert (rows["a1-grace"]["score"], rows["a1-grace"]["days_late"]) == ("16", "2")
    assert (rows["edsger"]["score"], rows["edsger"]["days_late"], rows["edsger"]["due"]) == \
        ("20", "0", "2026-09-17T12:00:00Z")
    assert (rows["linus"]["status"] == "clone-failed"
            and "git clone failed" in rows["linus"]["reason"])
    assert "linus: clone-failed" in log
    # a second run fetches instead of cloning, and finds nothing changed
    _, again = grade_git(listing, gradebook, "--extensions", extensions)
    assert "4 already graded, 0 to grade" in again, again

    # --git-at-due: the last commit before each student's due time
    rows, _ = grade_git(listing, tmp_path / "at-due" / "gradebook.csv", "--extensions", extensions,
                        "--git-at-due")
    assert (rows["alan"]["score"], rows["alan"]["submitted_at"]) == ("20", "2026-09-13T10:00:00Z")
    assert (rows["a1-grace"]["status"] == "not-submitted"
            and "no commit before" in rows["a1-grace"]["reason"])
    assert rows["edsger"]["score"] == "20"  # the extension's due time, not --due
    assert rows["linus"]["status"] == "clone-failed"
