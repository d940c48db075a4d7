"""A small sample class for the nbgrader course, made from the built notebooks.

Each student starts from the *release* notebook (what a student receives) and fills
its solution cells with the reference code from the *source* notebook, then changes
what the scenario says.  The expected score of each scenario is written here by
hand from the points in the notebook, not read back from nbgrader.
"""
import copy
from dataclasses import dataclass, field

import nbformat

SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")

# dee's bug: the bias gradient averaged instead of summed over the batch.
BIAS_SUM = "self.bias.gradient += D.sum(axis=0)"
BIAS_MEAN = "self.bias.gradient += D.mean(axis=0)"
# bob's bug: gradients overwritten instead of added; only the hidden tests see it.
WEIGHTS_ADD = "self.weights.gradient += X.T @ D"
WEIGHTS_SET = "self.weights.gradient = X.T @ D"
# cy's leftover loop: it ends only for an even batch size (the visible test uses 5 rows).
LOOP_AFTER = "def backward(D):\n"
LOOP = "            rows = len(D)\n            while rows != 0:  # counts down two rows at a time\n                rows -= 2\n"
# eve's sigmoid: right values, but exp(1000) overflows with a RuntimeWarning.
NAIVE_SIGMOID = '''class Sigmoid(Layer):
    def forward(self, X):
        Y = 1 / (1 + np.exp(-X))

        def backward(D):
            return D * Y * (1 - Y)

        return Y, backward
'''


@dataclass
class Student:
    name: str
    assignment: str
    expected: float           # the score we expect, out of the notebook's total
    story: str
    replace: dict = field(default_factory=dict)   # grade_id -> [(old, new), ...]
    stub: list = field(default_factory=list)      # solution cells left as released
    delete: list = field(default_factory=list)    # cells removed
    retype: dict = field(default_factory=dict)    # grade_id -> source of a plain new cell
    tamper_files: dict = field(default_factory=dict)  # supporting file -> new text


BACKPROP_TOTAL = 10.0   # linear_forward 1, linear_backward 3, relu 1, sigmoid 2, sequential 3

CLASS = [
    Student("ada", "backprop", 10, "the reference solution"),
    Student("ada", "training", None, "the reference solution"),
    Student("ada", "classification", None, "the reference solution"),
    Student("ada", "optimizers", None, "the reference solution"),
    Student("bob", "backprop", 5, "weight gradient overwritten, not added: the visible tests "
            "pass, a hidden one fails (-3); sigmoid not attempted (-2); a gradcheck.py edited "
            "to pass everything (replaced by the grader's copy)",
            replace={"linear": [(WEIGHTS_ADD, WEIGHTS_SET)]}, stub=["sigmoid"],
            tamper_files={"gradcheck.py": "def relative_error(a, b):\n    return 0.0\n\n\n"
                          "def numerical_gradient(f, X, eps=1e-6):\n    return 0\n\n\n"
                          "def layer_loss(layer, X, D):\n    return None\n"}),
    Student("cy", "backprop", 7, "an infinite loop in Linear.backward for odd batches: the "
            "linear_backward cell times out (-3), everything else is graded",
            replace={"linear": [(LOOP_AFTER, LOOP_AFTER + LOOP)]}),
    Student("dee", "backprop", 7, "bias gradient averaged over the batch, hidden by replacing the linear_backward "
            "test with a print (restored: -3); deleted the sigmoid test cell (restored: +2)",
            replace={"linear": [(BIAS_SUM, BIAS_MEAN)],
                     "linear_backward": [(None, 'print("Linear.backward: tests passed")')]},
            delete=["sigmoid_tests"]),
    Student("eve", "backprop", 10, "deleted the Sigmoid solution cell and retyped a naive "
            "sigmoid in a new cell: a numpy overflow warning in the test cell, full marks",
            delete=["sigmoid"], retype={"sigmoid": NAIVE_SIGMOID}),
]


def by_id(nb) -> dict:
    return {cell.metadata["nbgrader"]["grade_id"]: cell for cell in nb.cells
            if "grade_id" in cell.metadata.get("nbgrader", {})}


def make_submission(source, release, student: Student):
    """The notebook ``student`` hands in, built from the source and release notebooks."""
    nb = copy.deepcopy(release)
    reference = by_id(source)
    for grade_id, cell in by_id(nb).items():
        if cell.metadata["nbgrader"].get("solution") and grade_id not in student.stub:
            cell.source = "\n".join(line for line in reference[grade_id].source.splitlines()
                                    if line.strip() not in SOLUTION_MARKERS)
    cells = by_id(nb)
    for grade_id, edits in student.replace.items():
        for old, new in edits:
            if old is None:
                cells[grade_id].source = new
            else:
                if old not in cells[grade_id].source:
                    raise ValueError(f"make_submission: {student.name}: {old!r} not in cell "
                                     f"{grade_id}; has the reference changed?")
                cells[grade_id].source = cells[grade_id].source.replace(old, new, 1)
    for grade_id, text in student.retype.items():
        index = nb.cells.index(cells[grade_id])
        nb.cells.insert(index, nbformat.v4.new_code_cell(text))
    nb.cells = [cell for cell in nb.cells
                if cell.metadata.get("nbgrader", {}).get("grade_id") not in student.delete]
    return nb
