"""`make gradescope`'s zip, unpacked into a folder laid out like /autograder and run."""
import json
import os
import stat
import subprocess
import sys
import zipfile

import pytest

from classgrading_support import ROOT, solved
from tools.gradescope import build
from tools.make_class import write_stub


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory):
    return build(tmp_path_factory.mktemp("dist") / "autograder.zip")


def unpack(zip_path, root):
    """Do what Gradescope does with the zip: unpack it at <root>/source, keeping modes."""
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(root / "source")
        for info in archive.infolist():
            mode = info.external_attr >> 16
            if mode:
                os.chmod(root / "source" / info.filename, stat.S_IMODE(mode))
    (root / "submission").mkdir()
    (root / "results").mkdir()


def run_autograder(root):
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=sys.executable)
    env.pop("PYTHONPATH", None)  # the zip must carry everything it imports
    run = subprocess.run([str(root / "source" / "run_autograder")], env=env, capture_output=True,
                         text=True, timeout=600, cwd=root)
    assert run.returncode == 0, run.stdout + run.stderr
    return json.loads((root / "results" / "results.json").read_text())


def test_the_zip_holds_what_gradescope_runs(autograder_zip):
    with zipfile.ZipFile(autograder_zip) as archive:
        names = set(archive.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in archive.infolist()}
    for name in ("setup.sh", "run_autograder", "run_submission.py", "requirements.txt",
                 "autograder/classroom/grade_all.py", "solutions/nn100/layers.py",
                 "data/digits.npz"):
        assert name in names
    assert modes["run_autograder"] & 0o111 and modes["setup.sh"] & 0o111
    assert not any("__pycache__" in n or n.startswith("tests/") for n in names)
    assert build(autograder_zip.with_name("again.zip")).read_bytes() == autograder_zip.read_bytes()


needs_grader = pytest.mark.skipif(not (ROOT / "autograder" / "__main__.py").exists(),
                                  reason="the single-submission grader (autograder/__main__.py) "
                                         "is not there yet")


@needs_grader
def test_run_autograder_gives_full_marks_to_the_reference(autograder_zip, tmp_path):
    unpack(autograder_zip, tmp_path)
    solved(tmp_path / "submission")
    results = run_autograder(tmp_path)
    assert results["max_score"] > 0 and results["score"] == results["max_score"]
    assert results["tests"] and all(t["name"].split(":")[0] for t in results["tests"])


@needs_grader
def test_run_autograder_gives_zero_to_the_stubs(autograder_zip, tmp_path):
    unpack(autograder_zip, tmp_path)
    write_stub(tmp_path / "submission")
    results = run_autograder(tmp_path)
    assert results["max_score"] > 0 and results["score"] == 0 and results["tests"]


def test_run_autograder_explains_an_empty_submission(autograder_zip, tmp_path):
    unpack(autograder_zip, tmp_path)
    results = run_autograder(tmp_path)
    assert results["score"] == 0 and results["tests"] == []
    assert "empty" in results["output"]


def classroom_block(marker: str) -> str:
    """The shell block that follows ``<!-- marker -->`` in CLASSROOM.md."""
    text = (ROOT / "autograder" / "CLASSROOM.md").read_text()
    after = text.split(f"<!-- {marker} -->", 1)[1]
    return after.split("```sh\n", 1)[1].split("```", 1)[0]


@needs_grader
def test_the_local_try_out_of_classroom_md_works_as_written(tmp_path):
    """The commands as printed (only /tmp/ag moved into this test's folder), run from the
    repository's top with a relative AUTOGRADER_PYTHON: assignment 1's zip, 100 / 100."""
    script = classroom_block("try-gradescope").replace("/tmp/ag", str(tmp_path / "ag"))
    script = script.replace("dist/", f"{tmp_path}/dist/").replace(
        "make gradescope ASSIGNMENT=1",
        f"{sys.executable} -m tools.gradescope --assignment 1 {tmp_path}/dist/autograder-1.zip")
    assert ".venv/bin/python" in script
    run = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=ROOT, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    results = json.loads((tmp_path / "ag" / "results" / "results.json").read_text())
    assert results["score"] == results["max_score"] == 100
    units = {t["name"].split(":")[0] for t in results["tests"]}
    assert units == {"Linear", "ReLU", "Sigmoid", "Sequential"}, units


def test_a_missing_interpreter_still_gives_a_results_json(autograder_zip, tmp_path):
    unpack(autograder_zip, tmp_path)
    env = dict(os.environ, AUTOGRADER_ROOT=str(tmp_path), AUTOGRADER_PYTHON="no/such/python")
    run = subprocess.run([str(tmp_path / "source" / "run_autograder")], env=env,
                         capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert run.returncode == 0
    results = json.loads((tmp_path / "results" / "results.json").read_text())
    assert results["score"] == 0 and "AUTOGRADER_PYTHON=no/such/python" in results["output"]
