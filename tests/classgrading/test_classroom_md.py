"""CLASSROOM.md's walk through a term runs as printed: steps 4 to 8, in order, with only
the class made smaller, build/term moved into this test's folder and the fake grader
(the real one is exercised by test_workflows.py and test_resolver.py)."""
import os
import subprocess
import sys

from classgrading_support import FAKE_GRADE, ROOT


def blocks(text: str, first: str, last: str) -> list[str]:
    section = text.split(first, 1)[1].split(last, 1)[0]
    return [part.split("```", 1)[0] for part in section.split("```sh\n")[1:]]


def test_the_term_in_classroom_md_runs_as_written(tmp_path):
    text = (ROOT / "autograder" / "CLASSROOM.md").read_text()
    scripts = [b for b in blocks(text, "## 4.", "## 9.") if "github.com" not in b]  # git needs the network
    assert len(scripts) == 4
    fake = f"grade-all --grade-command '{sys.executable} {FAKE_GRADE}'"
    outputs = []
    for script in scripts:
        script = (script.replace("--students 30", "--students 5").replace("build/term", str(tmp_path / "term"))
                  .replace("grade-all", fake))
        run = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=ROOT, capture_output=True,
                             text=True, timeout=600, env=dict(os.environ, PYTHONPATH=str(ROOT)))
        assert run.returncode == 0, script + run.stdout + run.stderr
        outputs.append(run.stderr)
    term = tmp_path / "term"
    assert "Canvas download: 5 students" in outputs[0]
    assert "5 already graded, 0 to grade" in outputs[1]  # step 5: nothing stale
    assert "Moodle download: 5 students" in outputs[2]
    assert (term / "merged" / "gradebook.csv").read_text() == (term / "a1" / "gradebook.csv").read_text()
    for path in ("a1/canvas.csv", "a2/moodle.csv", "merged/canvas.csv"):
        assert (term / path).stat().st_size > 100
