"""Adding a unit, as CONTRIBUTING.md says, to a copy of the course: a toy layer, Softplus.

The edits below are the whole addition, in three places: the solution (its class and its
export), its entry in the course table, its visible check. The test checks that nothing
else changed but what `make exercises` regenerates. What follows from them: the stubs and
the students' exercise table, the guide's two tables and its points total, `make check`,
the student edition (no leak), and the grader: the generic layer checks drive it from the
course's default layer spec, so the reference gets full marks and the stub 0 with no
grader code.
A loss, log-cosh, is added the same way to a second copy (solution, export, entry with its
spec, total): graded from its entry alone, and a wrong gradient in it is caught.
"""
import filecmp
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import course
from guide_tables import problems
from tools import make_exercises, release

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
COPIED = ["solutions", "exercises", "tools", "data", "autograder", "requirements.txt"]

LAYER = '''

class Softplus(Layer):
    """Y = log(1 + exp(X)), elementwise: a smooth ReLU.  Any shape in, same shape out."""

    def forward(self, X):
        """Y = log(1 + exp(X)).  X: any shape -> Y: same shape, positive.

        Hint: for large X, exp(X) overflows; numpy has a stable log(exp(a) + exp(b)).
        """
        ### BEGIN SOLUTION
        Y = np.logaddexp(0.0, X)
        ### END SOLUTION

        def backward(D):
            """dX = D * softplus'(X).  D: shape of Y -> dX: shape of X.

            Hint: the derivative is a function you have met in chapter 1.
            """
            ### BEGIN SOLUTION
            return D * np.exp(-np.logaddexp(0.0, -X))
            ### END SOLUTION

        return Y, backward
'''
ENTRY = '''[units.Softplus]
kind = "layer"
assignment = 3
points = 4
module = "layers.py"
guide_row = { title = "Softplus forward, backward", write = "a smooth ReLU, without overflow" }
exercises = [
    { number = "3.9", target = "Softplus.forward", title = "Softplus.forward" },
    { number = "3.10", target = "Softplus.forward.backward", title = "Softplus.backward" },
]

'''
CHECK = '''

@pytest.mark.exercise("3.9")
def test_softplus_forward_by_hand():
    Y, _ = nn100.Softplus().forward(np.array([[0.0, 1000.0]]))
    assert_close(Y, [[np.log(2.0), 1000.0]], "Softplus.forward")


@pytest.mark.exercise("3.10")
def test_softplus_backward_matches_finite_differences():
    assert_gradients_match(nn100.Softplus(), random(3, 4))
'''


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{path.name}: {old!r} found {text.count(old)} times"
    path.write_text(text.replace(old, new))


TOTAL = course.load().total        # the course as it is
NEW_TOTAL = f"{TOTAL + 4:g}"        # with Softplus's 4 points, said in the table


def add_softplus(root: Path, total: str = NEW_TOTAL) -> None:
    """The hand edits of CONTRIBUTING.md's "Adding a unit", in its order."""
    package = root / "solutions" / "nn100"
    with open(package / "layers.py", "a") as layers:                      # 1. the solution
        layers.write(LAYER)
    edit(package / "__init__.py", "Softmax, Dropout, Sequential)", "Softmax, Dropout, Sequential,\n"
         "                     Softplus)")
    edit(package / "__init__.py", '"Softmax", "Dropout", "Sequential",',
         '"Softmax", "Dropout", "Sequential", "Softplus",')
    toml = root / "autograder" / "course" / "course.toml"                            # 2. its entry
    edit(toml, "[units.bce_loss]\n", ENTRY + "[units.bce_loss]\n")
    edit(toml, f'name = "nn100"\ntotal = {TOTAL:g}\n', f'name = "nn100"\ntotal = {total}\n')
    with open(root / "exercises" / "checks" / "test_layers.py", "a") as checks:  # 3. its check
        checks.write(CHECK)


def run(root: Path, *arguments, check=True):
    result = subprocess.run([sys.executable, *arguments], cwd=root, capture_output=True,
                            text=True, env=ENV, timeout=600)
    if check:
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def copy_course(root: Path) -> Path:
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns(
                "__pycache__", ".pytest_cache"))
        else:
            shutil.copy(source, root / name)
    return root


@pytest.fixture(scope="module")
def course_copy(tmp_path_factory):
    """A copy of the course with Softplus added and `make exercises` run."""
    root = copy_course(tmp_path_factory.mktemp("added") / "course")
    assert "Softplus" not in course.load().units, "the course has a Softplus: pick another toy"
    add_softplus(root)
    run(root, "-m", "tools.make_exercises")
    return root


def changed_files(root: Path) -> set[str]:
    """Files of the copy that differ from the repository's, or are new in it."""
    changed = set()
    for path in root.rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            relative = path.relative_to(root).as_posix()
            original = ROOT / relative
            if not original.is_file() or not filecmp.cmp(path, original, shallow=False):
                changed.add(relative)
    return changed


def test_the_addition_touches_only_its_files_and_what_is_regenerated(course_copy):
    edited = {"solutions/nn100/layers.py", "solutions/nn100/__init__.py",  # the solution
              "autograder/course/course.toml",                                    # its entry
              "exercises/checks/test_layers.py"}                           # its check
    regenerated = {"exercises/nn100/layers.py", "exercises/nn100/__init__.py",
                   "exercises/exercises.json", "exercises/README.md"}      # by `make exercises`
    assert changed_files(course_copy) == edited | regenerated


def test_the_points_total_must_be_said(course_copy, tmp_path):
    table = course.read(course_copy / "autograder" / "course" / "course.toml")
    assert table.total == TOTAL + 4 and table.units["Softplus"].points == 4
    silent = tmp_path / "course.toml"  # the entry added, the total left as it was
    silent.write_text((course_copy / "autograder" / "course" / "course.toml").read_text()
                      .replace(f'name = "nn100"\ntotal = {NEW_TOTAL}\n',
                               f'name = "nn100"\ntotal = {TOTAL:g}\n'))
    with pytest.raises(course.CourseError,
                       match=f"add up to {NEW_TOTAL}, but .course..total says {TOTAL:g}"):
        course.read(silent)


def test_the_stubs_and_the_students_table_have_the_new_exercises(course_copy):
    assert run(course_copy, "-m", "tools.make_exercises", "--check").returncode == 0
    stubs = (course_copy / "exercises" / "nn100" / "layers.py").read_text()
    assert 'raise NotImplementedError("Exercise 3.9: Softplus.forward")' in stubs
    assert 'raise NotImplementedError("Exercise 3.10: Softplus.backward")' in stubs
    assert "np.logaddexp(0.0, X)" not in stubs
    numbers = [e["number"] for e in
               json.loads((course_copy / "exercises" / "exercises.json").read_text())["exercises"]]
    assert numbers[numbers.index("3.8"):numbers.index("4.1")] == ["3.8", "3.9", "3.10"]


def test_make_check_lists_the_new_exercises(course_copy):
    output = run(course_copy, "-m", "tools.check").stdout
    rows = {line.split()[0]: line for line in output.splitlines() if line.startswith("  3.")}
    assert "Softplus.forward" in rows["3.9"] and "not started" in rows["3.9"], output
    assert "Softplus.backward" in rows["3.10"] and "not started" in rows["3.10"], output
    assert f"{len(course.load().exercises) + 2} not started" in output, output
    output = run(course_copy, "-m", "tools.check", "--root", "solutions", "--exercise", "3").stdout
    assert re.search(r"^  3\.10 +Softplus\.backward +passing", output, re.M), output


def test_the_student_edition_of_the_new_course_leaks_nothing(course_copy, tmp_path):
    from autograder import tests_catalog
    edition = tmp_path / "student"
    release.build(edition, root=course_copy)
    texts = {p.relative_to(edition).as_posix(): p.read_text(errors="replace")
             for p in edition.rglob("*") if p.is_file() and p.suffix != ".npz"}
    assert "Softplus.backward" in texts["exercises/exercises.json"]
    lines = [line for line in make_exercises.solution_lines(course_copy / "solutions" / "nn100")
             if line not in release.GENERIC_LINES and any(c.isalnum() for c in line)]
    assert "return D * np.exp(-np.logaddexp(0.0, -X))" in lines
    leaks = [f"{line!r} in {name}" for line in lines for name, text in texts.items()
             if line in text]
    leaks += [f"{name!r} in {file}" for name in tests_catalog() for file, text in texts.items()
              if name in text]
    assert not leaks, leaks


def test_the_guide_tables_show_the_new_unit_and_the_new_total(course_copy):
    table = course.read(course_copy / "autograder" / "course" / "course.toml")
    guide = (course_copy / "exercises" / "README.md").read_text()
    assert problems(guide, table) == []
    # written by `make exercises`, after Dropout's rows, from the entry alone
    assert "| 3.7, 3.8 | Dropout forward, backward | inverted dropout, only in training | " \
        "Dropout |\n| 3.9, 3.10 | Softplus forward, backward | a smooth ReLU, without overflow | " \
        "Softplus |\n" in guide
    assert "| Dropout | 3.7, 3.8 | 5 |\n| Softplus | 3.9, 3.10 | 4 |\n" in guide
    assert f"### Points ({NEW_TOTAL} in all)" in guide
    # the guide as it was does not: the check names what is missing
    found = problems((ROOT / "exercises" / "README.md").read_text(), table)
    assert any("3.10" in problem for problem in found), found
    assert any(NEW_TOTAL in problem for problem in found), found


def test_the_grader_gives_the_reference_full_marks_and_the_stub_zero(course_copy):
    reference = run(course_copy, "-m", "autograder", "grade", "solutions", check=False)
    assert reference.stdout.strip().splitlines()[-1:] == [f"Score: {NEW_TOTAL} / {NEW_TOTAL}"], \
        reference.stdout[-2000:] + reference.stderr[-2000:]
    stubs = run(course_copy, "-m", "autograder", "grade", "exercises")
    assert re.search(r"^Softplus +0 / 4", stubs.stdout, re.M), stubs.stdout


# ---- a loss is one entry too: log-cosh, a smooth absolute error
LOSS = '''

def logcosh_loss(Yp, Yt):
    """Log-cosh error over all elements: mean(log(cosh(Yp - Yt))).

    Yp, Yt: same shape.  Returns (loss, dYp), dYp of the shape and dtype of Yp.
    """
    check_same_shape("logcosh_loss", Yp, Yt)
    ### BEGIN SOLUTION
    diff = Yp - Yt
    return float(np.mean(np.logaddexp(diff, -diff) - np.log(2.0))), np.tanh(diff) / diff.size
    ### END SOLUTION
'''
LOSS_ENTRY = '''[units.logcosh_loss]
kind = "loss"
assignment = 4
points = 3
module = "losses.py"
exercises = [{ number = "4.4", target = "logcosh_loss", title = "logcosh_loss" }]

[units.logcosh_loss.spec]
values = "regression"
passes = [{ input = [1, 1] }, { input = [7, 3] }, { input = [2, 3, 4] }]

'''


@pytest.fixture(scope="module")
def loss_copy(tmp_path_factory):
    """A copy of the course with log-cosh added (solution, export, entry, total) and
    `make exercises` run: no grader code."""
    root = copy_course(tmp_path_factory.mktemp("loss") / "course")
    package = root / "solutions" / "nn100"
    with open(package / "losses.py", "a") as losses:
        losses.write(LOSS)
    edit(package / "__init__.py", "softmax_cross_entropy_loss\n",
         "softmax_cross_entropy_loss, logcosh_loss\n")
    edit(package / "__init__.py", '"softmax_cross_entropy_loss",', '"softmax_cross_entropy_loss", '
         '"logcosh_loss",')
    toml = root / "autograder" / "course" / "course.toml"
    edit(toml, "[units.MomentumOptimizer]\n", LOSS_ENTRY + "[units.MomentumOptimizer]\n")
    edit(toml, f'name = "nn100"\ntotal = {TOTAL:g}\n', f'name = "nn100"\ntotal = {TOTAL + 3:g}\n')
    run(root, "-m", "tools.make_exercises")
    return root


def test_a_new_loss_is_graded_from_its_entry_alone(loss_copy):
    table = course.read(loss_copy / "autograder" / "course" / "course.toml")
    assert table.units["logcosh_loss"].spec.values == "regression"
    reference = run(loss_copy, "-m", "autograder", "grade", "solutions", "--details", check=False)
    assert re.search(r"^logcosh_loss +3 / 3", reference.stdout, re.M), reference.stdout[-3000:]
    assert f"Score: {TOTAL + 3:g} / {TOTAL + 3:g}" in reference.stdout
    stubs = run(loss_copy, "-m", "autograder", "grade", "exercises")
    assert re.search(r"^logcosh_loss +0 / 3", stubs.stdout, re.M), stubs.stdout
    # and a submission whose gradient forgets the mean loses its gradient checks
    shutil.copytree(loss_copy / "solutions" / "nn100", loss_copy / "wrong" / "nn100")
    edit(loss_copy / "wrong" / "nn100" / "losses.py", "np.tanh(diff) / diff.size", "np.tanh(diff)")
    wrong = run(loss_copy, "-m", "autograder", "grade", "wrong", "--details", check=False)
    assert "FAILED logcosh_loss: gradient matches the reference" in wrong.stdout, wrong.stdout
    assert not re.search(r"^logcosh_loss +3 / 3", wrong.stdout, re.M)
