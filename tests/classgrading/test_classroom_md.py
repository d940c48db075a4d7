"""CLASSROOM.md's walk through a term runs as printed: steps 4 to 8, in order, with only
the class made smaller, build/term moved into this test's folder and the fake grader
(the real one is exercised by test_workflows.py and test_resolver.py)."""
import os
import re
import subprocess
import sys

from classgrading_support import FAKE_GRADE, ROOT


def blocks(text: str, first: str, last: str) -> list[str]:
    section = text.split(first, 1)[1].split(last, 1)[0]
    return [part.split("```", 1)[0] for part in section.split("```sh\n")[1:]]


def test_the_term_in_classroom_md_runs_as_written(tmp_path):
    text = (ROOT / "autograder" / "CLASSROOM.md").read_text()
    # git needs the network
    scripts = [b for b in blocks(text, "## 4.", "## 9.") if "github.com" not in b]
    assert len(scripts) == 4
    fake = f"grade-all --grade-command '{sys.executable} {FAKE_GRADE}'"
    outputs = []
    for script in scripts:
        script = (script.replace("--students 30", "--students 5")
                  .replace("build/term", str(tmp_path / "term"))
                  .replace("grade-all", fake))
        run = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=ROOT,
                             capture_output=True, text=True, timeout=600,
                             env=dict(os.environ, PYTHONPATH=str(ROOT)))
        assert run.returncode == 0, script + run.stdout + run.stderr
        outputs.append(run.stderr)
    term = tmp_path / "term"
    assert "Canvas download: 5 students" in outputs[0]
    assert "5 already graded, 0 to grade" in outputs[1]  # step 5: nothing stale
    assert "Moodle download: 5 students" in outputs[2]
    assert ((term / "merged" / "gradebook.csv").read_text()
            == (term / "a1" / "gradebook.csv").read_text())
    for path in ("a1/canvas.csv", "a2/moodle.csv", "merged/canvas.csv"):
        assert (term / path).stat().st_size > 100


def test_the_assignments_section_agrees_with_course_toml():
    """Step 2's figures and table are course.toml's: every assignment (number, title, the
    units it grades, whether it has a convergence problem), the totals, and for each
    problem the units of earlier assignments it trains (convergence.USES) named in the row."""
    from autograder import course
    from autograder.grading.families.convergence import PROBLEMS, USES

    table = course.load()
    text = (ROOT / "autograder" / "CLASSROOM.md").read_text()
    section = text.split("## 2.", 1)[1].split("## 3.", 1)[0]
    totals = {f"{a.total:g}" for a in table.assignments.values()}
    assert len(totals) == 1
    assert (f"scaled to its total ({totals.pop()} for each of the {len(table.assignments)})"
            in section)
    assert f"one whole of {table.total:g} points" in section
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in section.splitlines()
            if line.startswith("| ") and line[2].isdigit()]
    assert [row[0] for row in rows] == [f"{n} {a.title}"
                                        for n, a in sorted(table.assignments.items())]
    for (name, units, problem, needs), (_number, assignment) in zip(
            rows, sorted(table.assignments.items()), strict=True):
        problems = [u for u in assignment.units if table.units[u].kind == "convergence"]
        graded = tuple(u for u in assignment.units if u not in problems)
        assert tuple(units.split(", ")) == graded, name
        if not problems:
            assert problem == "—", name
            continue
        earlier = {unit for p in problems for unit in USES[PROBLEMS[p][1]]} - set(assignment.units)
        named = set(re.findall(r"\b\w+\b", needs))
        assert earlier <= named, f"{name}: the row does not name {sorted(earlier - named)}"
        for unit in earlier:  # each followed by the assignment it comes from: "Linear, ReLU (1)"
            after = re.search(r"\d+", needs.split(unit, 1)[1])
            assert after and int(after.group()) == table.units[unit].assignment, f"{name}: {unit}"
