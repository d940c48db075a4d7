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


def test_each_repository_is_graded_at_its_last_commit_before_the_due_time(tmp_path):
    on_time = repository(tmp_path, "a1-ada", [("2026-09-14T20:00:00+00:00", "")])
    # a correct commit before the due time, a broken one after it: the first counts
    fixed_late = repository(tmp_path, "a1-alan", [("2026-09-13T10:00:00+00:00", ""),
                                                  ("2026-09-15T10:00:00+00:00", "FAKE_BUG")])
    too_late = repository(tmp_path, "a1-grace", [("2026-09-16T10:00:00+00:00", "")])
    listing = tmp_path / "repos.csv"
    listing.write_text(f"student,url\nada,{on_time}\nalan,{fixed_late}\n{too_late}\n")
    gradebook = tmp_path / "out" / "gradebook.csv"
    command = [sys.executable, "-m", "autograder", "grade-all", "--from-git", str(listing), "--due", DUE,
               "--gradebook", str(gradebook),
               "--grade-command", f"{sys.executable} {ROOT / 'tests' / 'classgrading' / 'fake_grade.py'}"]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300,
                         env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert run.returncode == 0, run.stderr
    with open(gradebook, newline="") as handle:
        rows = {r["student"]: r for r in csv.DictReader(handle)}
    assert (rows["ada"]["score"], rows["ada"]["submitted_at"]) == ("20", "2026-09-14T20:00:00Z")
    assert (rows["alan"]["score"], rows["alan"]["submitted_at"]) == ("20", "2026-09-13T10:00:00Z")
    assert rows["a1-grace"]["status"] == "not-submitted" and "no commit before" in rows["a1-grace"]["reason"]
    # a second run fetches instead of cloning, and finds nothing changed
    again = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300,
                           env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert again.returncode == 0 and "2 already graded, 0 to grade" in again.stderr, again.stderr
