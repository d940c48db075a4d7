"""The generator: exercises/ is in sync, markers are policed, stubs are what they claim."""
import dataclasses
import json
import os
import shutil
import subprocess
import sys
from autograder.course import tomllib  # tomli on Python 3.10
from pathlib import Path

import pytest

from autograder import course
from tools import make_exercises, student_exercises
from tools.make_exercises import MarkerError, find_blocks, generate, stub_message, stub_module

EXERCISES = course.load().exercises

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "solutions" / "nn100"
EXERCISES_DIR = ROOT / "exercises" / "nn100"


def test_exercises_are_in_sync_with_the_solutions():
    problems = make_exercises.differences(generate(SOLUTIONS), EXERCISES_DIR)
    problems += make_exercises.table_difference(make_exercises.student_table())
    assert not problems, f"exercises/ is stale, run `make exercises`: {problems}"


def test_the_students_table_is_the_course_table_and_nothing_more():
    """Read from course.toml directly (not through course.py): numbers, titles, targets,
    chapters and checkpoints, in the students' order; no other field of the table."""
    raw = tomllib.loads(course.COURSE_FILE.read_text())
    expected = sorted(({"number": e["number"], "module": unit.get("module", ""),
                        "target": e["target"], "title": e["title"], "unit": name}
                       for name, unit in raw["units"].items() for e in unit["exercises"]),
                      key=lambda e: [int(part) for part in e["number"].split(".")])
    table = json.loads(make_exercises.TABLE.read_text())
    assert set(table) == {"about", "chapters", "exercises", "checkpoints"}
    assert table["exercises"] == expected
    assert table["chapters"] == {str(a["number"]): a["title"] for a in raw["assignments"]}
    assert table["checkpoints"] == raw["checkpoints"]
    # and what the student side reads back from it
    assert [tuple(e) for e in student_exercises.EXERCISES] == [tuple(e.values()) for e in expected]
    assert student_exercises.CHECKPOINTS.keys() == raw["checkpoints"].keys()


def test_every_exercise_is_stubbed_exactly_once_with_its_message():
    stubbed = {name: content.decode() for name, content in generate(SOLUTIONS).items()}
    for exercise in EXERCISES:
        line = f'raise NotImplementedError("{stub_message(exercise)}")'
        assert stubbed[exercise.module].count(line) == 1, exercise
    assert all("### BEGIN SOLUTION" not in text for text in stubbed.values())


def test_numbers_are_unique_ordered_and_cover_every_graded_unit():
    numbers = [tuple(map(int, e.number.split("."))) for e in EXERCISES]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    # every unit students write has an exercise; only the end-to-end share has none
    units = course.load().units
    assert {e.unit for e in EXERCISES} == {name for name, unit in units.items()
                                           if unit.kind != "convergence"}


def test_each_stub_has_a_hint_above_it():
    """What the student sees above each stub: the enclosing function's docstring or comments."""
    for exercise in EXERCISES:
        text = (EXERCISES_DIR / exercise.module).read_text()
        stub = f'raise NotImplementedError("{stub_message(exercise)}")'
        stub_line = next(i for i, line in enumerate(text.splitlines(), 1) if stub in line)
        functions = make_exercises.enclosing_functions(text)
        first = max(first for first, last, _ in functions if first < stub_line <= last)
        above = "\n".join(text.splitlines()[first - 1:stub_line])
        assert "Hint:" in above, f"{exercise.number} {exercise.title}: no hint above its stub"


def test_filling_the_stubs_with_the_blocks_gives_back_the_solutions():
    """Only the blocks differ: put each block back in place of its stub and the files match."""
    for path in SOLUTIONS.glob("*.py"):
        original = path.read_text()
        stubbed, _ = stub_module(original, str(path))
        lines = original.splitlines(keepends=True)
        rebuilt = stubbed.splitlines(keepends=True)
        for begin, end in reversed(find_blocks(original, path.name)):
            stub_index = begin - sum(e - b for b, e in find_blocks(original, path.name)
                                     if e < begin)
            assert "raise NotImplementedError" in rebuilt[stub_index]
            rebuilt[stub_index:stub_index + 1] = lines[begin:end + 1]
        assert "".join(rebuilt) == original, path.name


def test_the_stubbed_package_imports_cleanly(tmp_path):
    package = tmp_path / "nn100"
    for name, content in generate(SOLUTIONS).items():
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_bytes(content)
    code = ("import warnings; warnings.simplefilter('error'); import nn100, nn100.gradcheck; "
            "missing = [n for n in nn100.__all__ if not hasattr(nn100, n)]; "
            "assert not missing, missing; nn100.Linear(2, 3); nn100.Dropout(0.5)")
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                            text=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("source, message", [
    ("def f():\n    ### BEGIN SOLUTION\n    ### BEGIN SOLUTION\n    x = 1\n    ### END SOLUTION\n",
     "m.py:3: '### BEGIN SOLUTION' inside the block opened at line 2"),
    ("def f():\n    x = 1\n    ### END SOLUTION\n", "m.py:3: '### END SOLUTION' without"),
    ("def f():\n    ### BEGIN SOLUTION\n    x = 1\n",
     "m.py:2: '### BEGIN SOLUTION' is never closed"),
    ("def f():\n    ### BEGIN SOLUTION\n    x = 1\n  ### END SOLUTION\n",
     "m.py:4: '### END SOLUTION' is indented"),
    ("def f():\n    x = 1  ### BEGIN SOLUTION\n", "m.py:2: a solution marker must be alone"),
])
def test_unbalanced_markers_are_named_with_file_and_line(source, message):
    with pytest.raises(MarkerError, match="^" + message.replace("(", r"\(")):
        find_blocks(source, "m.py")


def test_a_block_outside_a_function_or_without_a_number_is_refused():
    with pytest.raises(MarkerError,
                       match="layers.py:1: a solution block must sit inside a function"):
        stub_module("### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n", "layers.py")
    with pytest.raises(MarkerError,
                       match=r"layers.py:3: the block in Linear.helper has no exercise"):
        stub_module("class Linear:\n    def helper(self):\n        ### BEGIN SOLUTION\n"
                    "        return 1\n        ### END SOLUTION\n", "layers.py")


def test_an_exercise_whose_block_disappeared_is_refused(tmp_path):
    source = tmp_path / "nn100"
    source.mkdir()
    for path in SOLUTIONS.glob("*.py"):
        (source / path.name).write_text(path.read_text())
    losses = (source / "losses.py").read_text()
    start = losses.index("    ### BEGIN SOLUTION\n    diff = Yp - Yt")
    end = losses.index("### END SOLUTION\n", start) + len("### END SOLUTION\n")
    (source / "losses.py").write_text(losses[:start] + "    return 0.0, Yp\n" + losses[end:])
    with pytest.raises(MarkerError, match=r"no solution block .*2\.1 \(losses\.py: mse_loss\)"):
        generate(source)


def test_check_mode_names_stale_extra_and_missing_files(tmp_path, capsys):
    source = tmp_path / "source"
    source.mkdir()
    (source / "layers.py").write_text((SOLUTIONS / "layers.py").read_text())
    (source / "notes.txt").write_text("copied as it is\n")
    # Only layers.py: a course whose exercises are all in that module.
    full = course.load()
    table = dataclasses.replace(full, units={
        name: unit for name, unit in full.units.items()
        if all(e.module == "layers.py" for e in unit.exercises)})
    out = tmp_path / "out"
    guide = tmp_path / "README.md"  # the guide as it is: its tables are the full course's
    guide.write_text(make_exercises.GUIDE.read_text())
    argv = ["--source", str(source), "--output", str(out), "--table", str(tmp_path / "t.json"),
            "--guide", str(guide)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(course, "load", lambda: table)
        assert make_exercises.main(argv + ["--check"]) == 1
        assert make_exercises.main(argv) == 0
        assert (out / "notes.txt").read_text() == "copied as it is\n"
        assert make_exercises.main(argv + ["--check"]) == 0
        (out / "layers.py").write_text("edited by hand\n")
        (out / "extra.py").write_text("")
        capsys.readouterr()
        assert make_exercises.main(argv + ["--check"]) == 1
        assert json.loads((tmp_path / "t.json").read_text())["exercises"][-1]["module"] \
            == "layers.py"
        (tmp_path / "t.json").write_text("{}")
        assert make_exercises.main(argv + ["--check"]) == 1
    errors = capsys.readouterr().err
    assert "layers.py: differs" in errors and "extra.py: not generated" in errors
    assert "t.json: differs" in errors
    # the guide was rewritten for the smaller course: its tables list only those units
    assert "| Linear | 1.1, 1.2 | 10 |" in guide.read_text()
    assert "| mse_loss |" not in guide.read_text()
    assert "## The ideas behind the steps" in guide.read_text()  # the prose is kept
    guide.write_text(guide.read_text().replace("| Linear | 1.1, 1.2 | 10 |",
                                               "| Linear | 1.1 | 10 |"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(course, "load", lambda: table)
        assert make_exercises.main(argv + ["--check"]) == 1
    assert "README.md: its tables differ" in capsys.readouterr().err


def test_the_guide_tables_are_generated_from_the_course_table():
    """The guide's two tables are exactly what the course table gives, prose around kept."""
    guide = make_exercises.GUIDE.read_text()
    assert make_exercises.guide_text(guide, course.load()) == guide, \
        "the guide's tables are stale: run `make exercises`"
    grouped = make_exercises.exercise_rows(course.load())
    assert "| 3.5, 3.6 | Softmax forward, backward | rows sum to 1; a full Jacobian | Softmax |" \
        in grouped
    assert "| 1.1 | Linear.forward | Y = X @ W + b | Linear |" in grouped


def test_a_guide_without_its_markers_is_refused():
    guide = make_exercises.GUIDE.read_text()
    for marker in (make_exercises.GUIDE_MARKERS["points"], make_exercises.END_MARKER):
        with pytest.raises(MarkerError, match="README.md"):
            make_exercises.guide_text(guide.replace(marker, ""), course.load())


def test_a_grouped_row_with_its_own_texts_is_refused():
    raw = tomllib.loads((ROOT / "autograder" / "course" / "course.toml").read_text())
    raw["units"]["Tanh"]["exercises"][0]["write"] = "Y = tanh(X)"
    with pytest.raises(course.CourseError, match=r"Tanh.*own `write`.*guide_row.write"):
        course.parse(raw)
    raw["units"]["Flatten"]["guide_row"] = {"title": "Flatten"}
    del raw["units"]["Tanh"]["exercises"][0]["write"]
    with pytest.raises(course.CourseError, match=r"Flatten.*guide_row.*has 1"):
        course.parse(raw)


def test_the_student_side_without_its_table_says_how_to_get_it(tmp_path):
    shutil.copytree(ROOT / "tools", tmp_path / "tools",
                    ignore=shutil.ignore_patterns("__pycache__"))
    result = subprocess.run([sys.executable, "-c", "import tools.student_exercises"], cwd=tmp_path,
                            capture_output=True, text=True,
                            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    assert result.returncode == 1
    assert "cannot read the exercise table" in result.stderr and "make exercises" in result.stderr
