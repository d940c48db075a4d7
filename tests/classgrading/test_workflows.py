"""The workflows an instructor copies (.github/workflows): actionlint passes, and their
steps, run here as the runner would, grade and merge a class for real."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from classgrading_support import ROOT, solved
from tools.make_class import write_stub

WORKFLOWS = ROOT / ".github" / "workflows"
ACTIONLINT = Path(sys.executable).parent / "actionlint"


def steps(workflow: str, job: str) -> dict:
    jobs = yaml.safe_load((WORKFLOWS / workflow).read_text())["jobs"]
    return {step.get("name", step.get("uses")): step for step in jobs[job]["steps"]}


def run_step(step: dict, env: dict) -> subprocess.CompletedProcess:
    # GitHub runs `run:` with bash -e {0}
    run = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=ROOT, capture_output=True,
                         text=True, timeout=600, env=dict(os.environ, **env))
    assert run.returncode == 0, run.stdout + run.stderr
    return run


@pytest.mark.skipif(not ACTIONLINT.exists(),
                    reason="actionlint is installed by `make test` (requirements-dev.txt)")
def test_actionlint_passes_on_every_workflow():
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert {f.name for f in files} >= {"test.yml", "grade-class.yml"}
    run = subprocess.run([str(ACTIONLINT), *map(str, files)], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.skipif(not ACTIONLINT.exists(),
                    reason="actionlint is installed by `make test` (requirements-dev.txt)")
def test_actionlint_passes_on_the_student_editions_workflow():
    """tools/student_check.yml becomes .github/workflows/check.yml of the student edition
    (tools/release.py): it is held to the same linter as the course's own."""
    run = subprocess.run([str(ACTIONLINT), str(ROOT / "tools" / "student_check.yml")],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_push_workflow_grades_the_reference_at_full_marks():
    from autograder import course
    total = f"{course.load().total:g}"
    step = steps("test.yml", "test")["The reference scores full marks"]
    assert "FAIL_UNDER=full" in step["run"]
    assert f"Score: {total} / {total}" in run_step(step, {}).stdout


def test_the_class_workflow_shards_and_merges(tmp_path):
    """Each matrix job's step, then the merge job's, with the artifacts passed on by
    copying (as upload/download-artifact do): the reference 100, the stubs 0."""
    workflow = yaml.safe_load((WORKFLOWS / "grade-class.yml").read_text())
    shards = workflow["jobs"]["grade"]["strategy"]["matrix"]["shard"]
    assert workflow["env"]["SHARDS"] == str(len(shards))
    class_dir = tmp_path / "class"
    solved(class_dir / "ref")
    write_stub(class_dir / "stub")
    out = tmp_path / "out"
    # the exports need one: a plain folder's ids mean nothing to an LMS
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\nref,Ada Lovelace\nstub,Alan Turing\n")
    env = {"CLASS": str(class_dir), "ASSIGNMENT": "1", "DUE": "", "ROSTER": str(roster),
           "SHARDS": str(len(shards)), "OUT": str(out)}
    for shard in shards:
        run_step(steps("grade-class.yml", "grade")["Grade one shard"], dict(env, SHARD=str(shard)))
        shutil.copytree(out / f"shard-{shard}", out / "shards" / f"shard-{shard}")  # the artifacts
    run_step(steps("grade-class.yml", "merge")["Merge the shards"], env)
    gradebook = (out / "class" / "gradebook.csv").read_text().splitlines()
    rows = {line.split(",")[0]: line.split(",") for line in gradebook[1:]}
    assert rows["ref"][3:5] == ["100", "100"] and rows["stub"][3:5] == ["0", "100"]
    assert (out / "class" / "canvas.csv").is_file() and (out / "class" / "moodle.csv").is_file()
