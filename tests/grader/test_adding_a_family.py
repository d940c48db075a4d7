"""Adding a check family, as CONTRIBUTING.md says, to a copy of the course: a toy unit,
``squared_norm(X) -> float`` (the sum of the squared elements), that no family can drive.

The family's own edits are two files: its module in ``grading/families/`` (declaring its
kind, the unit it grades, its spec and operation, and a builder in the one shape: jobs
added, checks judged) and its entry in the course table (with the total); the child's
side is its job (the operation's name and the arrays it returns in ``protocol.py``, the job
in ``jobs.py``); the
unit's solution is the unit's own (its function and its export). Nothing else: no
wiring in grade.py, no change to the registry. The reference gets full marks through it,
a wrong submission loses them, and the check that fails is the family's.
"""
import filecmp
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COPIED = ["solutions", "autograder", "data"]

SOLUTION = '''

def squared_norm(X) -> float:
    """The sum of the squared elements of X, as a float."""
    ### BEGIN SOLUTION
    return float(np.sum(np.square(X)))
    ### END SOLUTION
'''
ENTRY = '''[units.squared_norm]
kind = "learner"
assignment = 9
points = 2
module = "optimizers.py"
exercises = [{ number = "9.3", target = "squared_norm", title = "squared_norm" }]

[units.squared_norm.hints]
value = { concept = "square every element, then add them all up." }

'''
FAMILY = '''"""A toy family: a function of one array, called on a few shapes, its value against
the reference's."""
import numpy as np

from ..checks import Check, Fail, array, need
from ...sandbox import Job
from ...sandbox.child import protocol

KIND = "learner"
UNITS = ("squared_norm",)
SPEC = None
OPERATION = protocol.SCALAR
SHAPES = [(1,), (3, 4), (2, 3, 5)]


class ScalarUnit:
    def __init__(self, unit, rng, ref):
        self.unit, self.jobs, self.expected = unit, [], {}
        for k, shape in enumerate(SHAPES):
            X = rng.standard_normal(shape)
            self.jobs.append(Job(f"{unit}/call{k}", OPERATION, {"fn": unit}, {"X": X}))
            self.expected[k] = getattr(ref, unit)(X)

    def value(self, results):
        for k, want in self.expected.items():
            found = float(array(need(results, f"{self.unit}/call{k}"), "value", "the value"))
            if not abs(found - want) <= 1e-12 * max(1.0, abs(want)):
                raise Fail(f"shape {SHAPES[k]}: returned {found:.6g}, expected {want:.6g}")
        return "the value matches the reference on every shape"

    def build(self):
        return self.jobs, [Check(self.unit, "value matches the reference", self.value,
                                 "value", 1)]


def unit_builder(unit, table):
    return lambda rng, ref: ScalarUnit(unit.name, rng, ref).build()
'''
CHILD_JOB = '''

def job_scalar(spec: dict):
    return {}, {"value": np.asarray(nn100_attr(spec["fn"])(load("X")), dtype=np.float64)}


JOBS[protocol.SCALAR] = job_scalar
'''


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{path.name}: {old!r} found {text.count(old)} times"
    path.write_text(text.replace(old, new))


@pytest.fixture(scope="module")
def family_copy(tmp_path_factory):
    """A copy of the grader and the reference with the toy family added."""
    root = tmp_path_factory.mktemp("family")
    for name in COPIED:
        shutil.copytree(ROOT / name, root / name,
                        ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    package = root / "solutions" / "nn100"
    with open(package / "optimizers.py", "a") as optimizers:   # the unit's solution
        optimizers.write(SOLUTION)
    edit(package / "__init__.py", "from .optimizers import (",
         "from .optimizers import (squared_norm, ")
    edit(package / "__init__.py", "__all__ = [", '__all__ = ["squared_norm", ')
    grading = root / "autograder" / "grading" / "families"     # 1. the family
    (grading / "scalar.py").write_text(FAMILY)
    toml = root / "autograder" / "course" / "course.toml"      # 2. its entry and the total
    edit(toml, "[units.clip_grad_norm]\n", ENTRY + "[units.clip_grad_norm]\n")
    total = next(line for line in toml.read_text().splitlines() if line.startswith("total = "))
    edit(toml, f"\n{total}\n", f"\ntotal = {int(total.split('= ')[1]) + 2}\n")
    child = root / "autograder" / "sandbox" / "child"          # the child's job
    edit(child / "protocol.py", 'CLIP = "clip"', 'CLIP = "clip"\nSCALAR = "scalar"')
    edit(child / "protocol.py", "    if op == TRAIN:",  # the arrays its jobs return
         '    if op == SCALAR:\n        return {"value"}\n    if op == TRAIN:')
    with open(child / "jobs.py", "a") as jobs:
        jobs.write(CHILD_JOB)
    return root


def changed(root: Path) -> set[str]:
    found = set()
    for path in root.rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            relative = path.relative_to(root).as_posix()
            original = ROOT / relative
            if not original.is_file() or not filecmp.cmp(path, original, shallow=False):
                found.add(relative)
    return found


GRADE = """
import json, math, sys
from autograder.grading import grade
results = [grade.grade(path, seed=4, units=["squared_norm"], budget=math.inf)
           for path in sys.argv[1:]]
print(json.dumps([[[o.check.name, o.check.family, o.passed, o.text] for o in r.outcomes]
                  for r in results]))
"""


def graded(root: Path, *submissions: Path) -> list:
    """Each submission's outcomes, graded by the copy's grader in one process."""
    done = subprocess.run([sys.executable, "-c", GRADE, *map(str, submissions)], cwd=root,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_new_family_is_its_module_and_its_entry_plus_its_child_job(family_copy):
    assert changed(family_copy) == {
        "autograder/grading/families/scalar.py", "autograder/course/course.toml",  # the family
        "autograder/sandbox/child/protocol.py", "autograder/sandbox/child/jobs.py",  # its job
        "solutions/nn100/optimizers.py", "solutions/nn100/__init__.py"}  # the unit's solution


def test_the_new_family_grades_the_reference_and_a_wrong_submission(family_copy):
    wrong = family_copy / "wrong"
    shutil.copytree(family_copy / "solutions", wrong)
    edit(wrong / "nn100" / "optimizers.py", "np.sum(np.square(X))", "np.sum(np.abs(X))")
    reference, [(name, family, ok, text)] = graded(family_copy, family_copy / "solutions", wrong)
    assert [(name, family, ok) for name, family, ok, _ in reference] == [
        ("squared_norm: value matches the reference", "value", True)], reference
    assert (name, ok) == ("squared_norm: value matches the reference", False)
    assert "expected" in text and "square every element" in text  # its Fail and its hint
