"""The student edition: self-contained, and free of solutions and hidden tests."""
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder import course
from tools import release
from tools import make_exercises

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}

GENERIC_LINES = release.GENERIC_LINES  # each with the reason it is skipped


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    """The package part (the notebooks: tests/notebooks/test_student_edition.py)."""
    out = tmp_path_factory.mktemp("release") / "student"
    release.build(out, check_sync=False)
    return out


def solution_lines() -> dict[str, str]:
    """Every stripped line inside a solution block of solutions/ (bare brackets aside)."""
    return {line: where for line, where in make_exercises.solution_lines(ROOT / "solutions")
            .items() if any(c.isalnum() for c in line)}


def searchable_texts(folder: Path) -> dict[str, str]:
    """Each file's text; notebooks also as their decoded cells (JSON escapes quotes)."""
    texts = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        text = path.read_bytes().decode("utf-8", errors="replace")
        if path.suffix == ".ipynb":
            cells = json.loads(text).get("cells", [])
            text += "\n".join("".join(cell.get("source", [])) for cell in cells)
        texts[path.relative_to(folder).as_posix()] = text
    return texts


def hidden_test_names() -> list[str]:
    """The grader's test names, from `python -m autograder list-tests` (one per line).

    NOTE: that command belongs to the grader (autograder/); until it exists this test
    fails on purpose rather than pass without checking anything.
    """
    result = subprocess.run([sys.executable, "-m", "autograder", "list-tests"], cwd=ROOT,
                            capture_output=True, text=True, env=ENV, timeout=300)
    assert result.returncode == 0, (
        "`python -m autograder list-tests` is needed to search the release for hidden test "
        f"names, and it failed:\n{result.stderr[-2000:]}")
    names = [line.strip() for line in result.stdout.splitlines() if line.strip()]
    units = len(course.load().units)
    assert len(names) >= units, f"list-tests gave {len(names)} names; expected one or more " \
                                f"for each of the {units} units"
    return names


def test_the_edition_holds_what_students_need_and_nothing_else(edition):
    top = {p.name for p in edition.iterdir()}
    assert top == {"README.md", "Makefile", "requirements.txt", ".gitignore", ".github",
                   "data", "exercises", "tools", release.STAMP} | ({"notebooks"} & top)
    for needed in ["exercises/nn100/layers.py", "exercises/nn100/gradcheck.py",
                   "exercises/exercises.json",
                   "exercises/README.md", "exercises/checks/test_layers.py", "data/digits.npz",
                   ".github/workflows/check.yml", "tools/check.py"]:
        assert (edition / needed).is_file(), needed
    assert "make check" in (edition / ".github/workflows/check.yml").read_text()
    assert sorted(p.name for p in (edition / "tools").iterdir()) == [
        "__init__.py", "check.py", "student_exercises.py", "student_submit.py"]


def solution_leaks(folder: Path) -> list[str]:
    texts = searchable_texts(folder)
    return [f"{line!r} (from {where}) in {name}"
            for line, where in solution_lines().items() if line not in GENERIC_LINES
            for name, text in texts.items() if line in text]


def test_no_solution_line_is_anywhere_in_the_edition(edition):
    assert len(solution_lines()) > 50, "suspiciously few solution lines; are the markers there?"
    leaks = solution_leaks(edition)
    assert not leaks, "solution lines in the student edition:\n" + "\n".join(leaks)


def test_the_leak_search_finds_a_planted_line_in_a_notebook(tmp_path):
    line = next(iter(solution_lines()))
    notebook = {"cells": [{"cell_type": "code", "source": ["x = 1\n", "    " + line + "\n"]}]}
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "a.ipynb").write_text(json.dumps(notebook))
    assert solution_leaks(tmp_path) == [
        f"{line!r} (from {solution_lines()[line]}) in notebooks/a.ipynb"]


def test_no_hidden_test_name_is_anywhere_in_the_edition(edition):
    texts = searchable_texts(edition)
    leaks = [f"{name!r} in {file}" for name in hidden_test_names()
             for file, text in texts.items() if name in text]
    assert not leaks, "hidden test names in the student edition:\n" + "\n".join(leaks)


def test_no_file_of_the_grader_is_copied_into_the_edition(edition):
    grader = {p.read_bytes() for p in (ROOT / "autograder").rglob("*")
              if p.is_file() and p.stat().st_size > 0 and "__pycache__" not in p.parts}
    copied = [p.relative_to(edition).as_posix() for p in edition.rglob("*")
              if p.is_file() and p.stat().st_size > 0 and p.read_bytes() in grader]
    assert not copied, f"files of autograder/ in the student edition: {copied}"


def test_the_edition_checks_itself_and_packs_a_submission(edition, tmp_path):
    """`make check` and `make submit` of the edition, run with this interpreter."""
    result = subprocess.run([sys.executable, "-m", "tools.check"], cwd=edition,
                            capture_output=True, text=True, env=ENV, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    started = f"{len(course.load().exercises)} not started"
    assert started in result.stdout and "exercises/nn100" in result.stdout, result.stdout
    result = subprocess.run([sys.executable, "-m", "tools.student_submit", str(tmp_path / "s.zip")],
                            cwd=edition, capture_output=True, text=True, env=ENV, timeout=300)
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(tmp_path / "s.zip") as archive:
        names = archive.namelist()
    assert "nn100/__init__.py" in names and "nn100/layers.py" in names
    assert all(name.startswith("nn100/") and "__pycache__" not in name for name in names)


def test_release_refuses_a_folder_that_is_not_an_edition(tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    with pytest.raises(ValueError, match="is not a student edition"):
        release.build(tmp_path, check_sync=False)
    assert (tmp_path / "precious.txt").exists()


def test_student_requirements_keep_the_project_ranges(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("numpy>=1.26,<3   # why\nrich>=13\n"
                            "pytest>=8,<10\npytest-timeout>=2.2,<3\n")
    assert release.student_requirements(requirements) == (
        "numpy>=1.26,<3\npytest>=8,<10\npytest-timeout>=2.2,<3\n")
    requirements.write_text("numpy>=1.26\n")
    with pytest.raises(ValueError, match="no line for"):
        release.student_requirements(requirements)


def test_the_grader_accepts_the_submission_zip_and_scores_the_stubs_zero(edition, tmp_path):
    """What a student uploads on day one: the class grader reads the zip as it is, and
    `python -m autograder grade` reads it unzipped."""
    subprocess.run([sys.executable, "-m", "tools.student_submit", str(tmp_path / "s.zip")],
                   cwd=edition, check=True, capture_output=True, env=ENV, timeout=300)
    with zipfile.ZipFile(tmp_path / "s.zip") as archive:
        archive.extractall(tmp_path / "unzipped")
    result = subprocess.run([sys.executable, "-m", "autograder", "grade",
                             str(tmp_path / "unzipped"), "--results", str(tmp_path / "r.json")],
                            cwd=ROOT, capture_output=True, text=True, env=ENV, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert json.loads((tmp_path / "r.json").read_text())["score"] == 0


def course_copy(tmp_path) -> Path:
    """The parts of the course that a release reads, copied (so they can be changed)."""
    root = tmp_path / "course"
    for name in ["solutions", "exercises", "data", "tools", "assignments/text"]:
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "requirements.txt", root / "requirements.txt")
    (root / "autograder" / "course").mkdir(parents=True)
    shutil.copy(course.COURSE_FILE, root / "autograder" / "course" / "course.toml")
    return root


def test_release_refuses_stale_exercises(tmp_path):
    root = course_copy(tmp_path)
    with open(root / "exercises" / "nn100" / "layers.py", "a") as layers:
        layers.write("# edited by hand\n")
    with pytest.raises(ValueError, match="run `make exercises` first"):
        release.build(tmp_path / "student", root=root)


def release_notebooks(root: Path) -> Path:
    """A release folder holding one small clean notebook per notebook of the course."""
    folder = root / "assignments" / "release"
    notebook = {"cells": [{"cell_type": "code", "source": ['print("hello")\n']}]}
    for name in course.load().notebooks:
        (folder / name).mkdir(parents=True)
        (folder / name / f"{name}.ipynb").write_text(json.dumps(notebook))
    return folder


def test_the_release_notebooks_ship_when_clean(tmp_path):
    root = course_copy(tmp_path)
    files = release.build(tmp_path / "student", root=root, check_sync=False,
                          notebooks=release_notebooks(root))
    assert [f for f in files if f.endswith(".ipynb")] == [
        f"notebooks/{name}/{name}.ipynb" for name in sorted(course.load().notebooks)]
    assert "notebooks/README.md" in files


def test_a_notebook_folder_holding_a_solution_line_is_refused(tmp_path):
    """The grader's toolbox.py (earlier answers) in a release built by hand with
    `nbgrader generate_assignment` alone: the whole edition is refused, and why."""
    root = course_copy(tmp_path)
    notebooks = release_notebooks(root)
    line = release.revealing_lines(ROOT)[0]
    (notebooks / "training" / "toolbox.py").write_text(f"def helper():\n    {line}\n")
    with pytest.raises(ValueError, match="would give answers away: notebooks/training/"
                                         "toolbox.py holds 1 lines of the reference"):
        release.build(tmp_path / "student", root=root, check_sync=False, notebooks=notebooks)


def test_a_notebook_holding_a_hidden_test_line_is_refused(tmp_path):
    root = course_copy(tmp_path)
    notebooks = release_notebooks(root)
    line = release.hidden_test_lines(root / "assignments" / "text")[0]
    notebook = {"cells": [{"cell_type": "code", "source": ["x = 1\n", f"{line}\n"]}]}
    (notebooks / "backprop" / "backprop.ipynb").write_text(json.dumps(notebook))
    with pytest.raises(ValueError, match="notebooks/backprop/backprop.ipynb holds 1 lines "
                                         "of the notebooks' hidden tests"):
        release.build(tmp_path / "student", root=root, check_sync=False, notebooks=notebooks)


def test_a_missing_release_notebook_is_refused(tmp_path):
    root = course_copy(tmp_path)
    notebooks = release_notebooks(root)
    (notebooks / "convnet" / "convnet.ipynb").unlink()
    with pytest.raises(ValueError, match=r"no release notebook for \['convnet'\]; run "
                                         "`make notebooks` first"):
        release.build(tmp_path / "student", root=root, check_sync=False, notebooks=notebooks)


def test_the_hidden_test_lines_are_those_of_the_notebooks_hidden_regions():
    lines = release.hidden_test_lines(ROOT / "assignments" / "text")
    assert len(lines) > 100, len(lines)
    assert "hidden_rng = np.random.default_rng(101)" in lines
    assert 'print("Linear.forward: tests passed")' not in lines  # visible


def test_what_the_course_table_says_beyond_the_exercise_table_stays_out(tmp_path):
    """course.toml will hold answer hints: fields planted in a unit and in an exercise
    entry of a copy of it must not reach any file of the edition built from that copy."""
    root = course_copy(tmp_path)
    toml = root / "autograder" / "course" / "course.toml"
    unit_secret, exercise_secret = "planted unit answer 7f3a", "planted exercise answer 9c1e"
    text = toml.read_text().replace("[units.Linear]\n",
                                    f'[units.Linear]\nanswer = "{unit_secret}"\n')
    text = text.replace('title = "Linear.backward",',
                        f'title = "Linear.backward", answer = "{exercise_secret}",')
    toml.write_text(text)
    assert unit_secret in text and exercise_secret in text
    course.read(toml)  # still a valid course
    release.build(tmp_path / "student", root=root, check_sync=False)
    texts = searchable_texts(tmp_path / "student")
    assert "Linear.backward" in texts["exercises/exercises.json"]
    leaks = [name for name, text in texts.items() if unit_secret in text or exercise_secret in text]
    assert not leaks, f"course.toml fields in the edition: {leaks}"


def test_release_refuses_an_edition_that_quotes_a_solution_line(tmp_path):
    root = course_copy(tmp_path)
    line = release.revealing_lines(ROOT)[0]
    with open(root / "exercises" / "checks" / "test_layers.py", "a") as checks:
        checks.write(f"\n# {line}\n")
    with pytest.raises(ValueError,
                       match="would give answers away: exercises/checks/test_layers.py"):
        release.build(tmp_path / "student", root=root, check_sync=False)


# Named by the guides but made later, by the student or by make: not part of the edition.
MADE_LATER = {"submission.zip": "`make submit` writes it", "my_try.py": "the student's own file",
              ".venv/bin/python": "`make check` creates .venv", "notebooks/": "present only "
              "when the instructor built the notebooks (the README says so)"}


def files_named_but_missing(text: str, edition: Path) -> list[str]:
    """The paths and file names in backquotes in ``text`` that the edition lacks (looked
    up from its root and from exercises/, where the guide lives)."""
    named = re.findall(r"`([\w.-]*/[\w./-]*|[\w-]+\.(?:py|md|npz|zip|yml|json|ipynb)|Makefile)`",
                       text)
    return sorted({name for name in named if name not in MADE_LATER
                   and not (edition / name).exists()
                   and not (edition / "exercises" / name).exists()})


def test_the_guides_name_only_files_the_edition_has(edition):
    # This edition is the package part (--no-notebooks); the notebooks' own folder, which
    # the README names, is held to the full edition in tests/notebooks/test_student_edition.py.
    for guide in ["README.md", "exercises/README.md"]:
        missing = files_named_but_missing((edition / guide).read_text(), edition)
        assert [name for name in missing if not name.startswith("notebooks/")] == [], guide


def test_a_guide_naming_a_file_of_the_course_repository_only_is_reported(edition):
    text = (edition / "exercises/README.md").read_text() + "\nsee `examples/convnet.py`\n"
    assert files_named_but_missing(text, edition) == ["examples/convnet.py"]


def test_make_check_puts_exercises_on_the_path_of_the_environment(edition, tmp_path):
    """So the guide's gradient-check snippet runs with .venv/bin/python from anywhere."""
    if shutil.which("make") is None:
        pytest.skip("no make on this machine")
    course_copy = tmp_path / "course"
    shutil.copytree(edition, course_copy, ignore=shutil.ignore_patterns("data"))
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(course_copy / ".venv")],
                   check=True, timeout=120)
    # -o: take the environment's packages as installed (no network here); build the rest
    result = subprocess.run(["make", "-o", ".venv/.installed", ".venv/.exercises-on-path"],
                            cwd=course_copy, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    result = subprocess.run([str(course_copy / ".venv" / "bin" / "python"), "-c",
                             "import importlib.util; "
                             "print(importlib.util.find_spec('nn100').origin)"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    expected = course_copy / "exercises" / "nn100" / "__init__.py"  # found, not run: no numpy
    assert result.returncode == 0 and Path(result.stdout.strip()) == expected.resolve(), \
        result.stdout + result.stderr


def test_a_refused_submit_deletes_the_older_zip(edition, tmp_path):
    course_copy = tmp_path / "course"
    shutil.copytree(edition, course_copy, ignore=shutil.ignore_patterns("data"))
    (course_copy / "exercises" / "nn100" / "layers.py").write_text("def broken(:\n")
    older = course_copy / "submission.zip"
    older.write_bytes(b"an earlier, working submission")
    result = subprocess.run([sys.executable, "-m", "tools.student_submit", "submission.zip"],
                            cwd=course_copy, capture_output=True, text=True, env=ENV,
                            timeout=300)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "does not import" in result.stderr and "SyntaxError" in result.stderr, result.stderr
    assert not older.exists(), "the older submission.zip is still there to be uploaded"
    assert "deleted the older submission.zip" in result.stderr, result.stderr
