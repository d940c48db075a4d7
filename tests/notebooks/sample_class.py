"""A small sample class for the nbgrader course, made from the built notebooks.

Each student starts from the *release* notebook (what a student receives) and fills
its solution cells with the reference code from the *source* notebook, then changes
what the scenario says.  The expected score of each scenario is written here by
hand from the points in the notebook, not read back from nbgrader.
"""
import copy
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "grader"))
from autograder import course  # noqa: E402
from mutants import MUTANTS as POST_MUTANTS  # noqa: E402  (layers.py ... learner.py)
from mutants_conv import MUTANTS as CHAPTER_MUTANTS  # noqa: E402  (norm.py, conv.py)
from mutants_gpt import MUTANTS as GPT_MUTANTS  # noqa: E402  (attention.py, optimizers.py)

MUTANTS = POST_MUTANTS + CHAPTER_MUTANTS + GPT_MUTANTS
MUTANTS_BY_NAME = {m[0]: m for m in MUTANTS}
ALL = "*"  # as ``stub``: every solution cell left as released

SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")

# dee's bug: the bias gradient averaged instead of summed over the batch.
BIAS_SUM = "self.bias.gradient += D.sum(axis=0)"
BIAS_MEAN = "self.bias.gradient += D.mean(axis=0)"
# bob's bug: gradients overwritten instead of added; only the hidden tests see it.
WEIGHTS_ADD = "self.weights.gradient += X.T @ D"
WEIGHTS_SET = "self.weights.gradient = X.T @ D"
# cy's leftover loop: it ends only for an even batch size (the visible test uses 5 rows).
LOOP_AFTER = "def backward(D):\n"
LOOP = ("            rows = len(D)\n"
        "            while rows != 0:  # counts down two rows at a time\n"
        "                rows -= 2\n")
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
    expected: dict | None     # test cells that lose points (see CLASS)
    story: str
    replace: dict = field(default_factory=dict)   # grade_id -> [(old, new), ...]
    stub: list = field(default_factory=list)      # solution cells left as released
    delete: list = field(default_factory=list)    # cells removed
    retype: dict = field(default_factory=dict)    # grade_id -> source of a plain new cell
    tamper_files: dict = field(default_factory=dict)  # supporting file -> new text
    mutants: list = field(default_factory=list)   # names from tests/grader/mutants.py
    sources: dict = field(default_factory=dict)   # grade_id -> the cell's whole new source
    prepend: dict = field(default_factory=dict)   # grade_id -> text put before the cell's
    append: dict = field(default_factory=dict)    # grade_id -> text put after the cell's
    twin: str = ""            # hostile: the student whose notebook is this one minus the cheat


# ``expected``: the test cells that lose points, "less" (some or all of the cell's points)
# or "zero"; every other test cell of the notebook keeps its full points.  None: not
# checked this way (the tests of the grader's verdict compare those with the package track).
CLASS = [
    Student("ada", "backprop", {}, "the reference solution"),  # the other notebooks: below
    Student("bob", "backprop", {"linear_backward": "less", "sigmoid_tests": "zero"},
            "weight gradient overwritten, not added: the visible tests pass, the grader's "
            "accumulation check fails; sigmoid not attempted; a gradcheck.py edited to pass "
            "everything (replaced by the grader's copy)",
            replace={"linear": [(WEIGHTS_ADD, WEIGHTS_SET)]}, stub=["sigmoid"],
            tamper_files={"gradcheck.py": "def relative_error(a, b):\n    return 0.0\n\n\n"
                          "def numerical_gradient(f, X, eps=1e-6):\n    return 0\n\n\n"
                          "def layer_loss(layer, X, D):\n    return None\n"}),
    Student("cy", "backprop", {"linear_forward": "zero", "linear_backward": "zero"},
            "an infinite loop in Linear.backward for odd batches: the kernel's cell times "
            "out; in the grader, Linear's checks time out and after two time-outs the unit's "
            "other checks are skipped, as in the package track; everything else is graded",
            replace={"linear": [(LOOP_AFTER, LOOP_AFTER + LOOP)]}),
    Student("dee", "backprop", {"linear_backward": "less"}, "bias gradient averaged over "
            "the batch, hidden by replacing the linear_backward test with a print (restored, "
            "and the grader decides anyway); deleted the sigmoid test cell (restored, graded)",
            replace={"linear": [(BIAS_SUM, BIAS_MEAN)],
                     "linear_backward": [(None, 'print("Linear.backward: tests passed")')]},
            delete=["sigmoid_tests"]),
    Student("eve", "backprop", {}, "deleted the Sigmoid solution cell and retyped a naive "
            "sigmoid in a new cell: a numpy overflow warning in the test cell, full marks "
            "(the grader takes the definitions of every cell but the test cells)",
            delete=["sigmoid"], retype={"sigmoid": NAIVE_SIGMOID}),
    Student("fay", "convnet", {"batchnorm_forward": "less", "conv2d_forward": "zero",
                               "conv2d_backward": "less"},
            "BatchNorm's running variance biased (only the running statistics check sees it) "
            "and Conv2D flipping its filters (a convolution, not a cross-correlation): the "
            "forward misses the reference, the gradients still match her own forward",
            mutants=["batch_norm_biased_running_var",
                     "conv_is_a_convolution_not_a_cross_correlation"]),
]

def by_id(nb) -> dict:
    return {cell.metadata["nbgrader"]["grade_id"]: cell for cell in nb.cells
            if "grade_id" in cell.metadata.get("nbgrader", {})}


def make_submission(source, release, student: Student):
    """The notebook ``student`` hands in, built from the source and release notebooks."""
    nb = copy.deepcopy(release)
    reference = by_id(source)
    for grade_id, cell in by_id(nb).items():
        if cell.metadata["nbgrader"].get("solution") and grade_id not in student.stub \
                and ALL not in student.stub:
            cell.source = "\n".join(line for line in reference[grade_id].source.splitlines()
                                    if line.strip() not in SOLUTION_MARKERS)
    cells = by_id(nb)
    for name in student.mutants:
        _, _, _, old, new = MUTANTS_BY_NAME[name]
        found = [cell for cell in cells.values() if cell.metadata["nbgrader"]["solution"]
                 and cell.source.count(old) == 1]
        if len(found) != 1:
            raise ValueError(f"make_submission: {student.name}: mutant {name} fits "
                             f"{len(found)} solution cells; has the reference changed?")
        found[0].source = found[0].source.replace(old, new)
    for grade_id, text in student.sources.items():
        cells[grade_id].source = text
    for grade_id, text in student.prepend.items():
        cells[grade_id].source = text + "\n" + cells[grade_id].source
    for grade_id, text in student.append.items():
        cells[grade_id].source += "\n" + text
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


# --- the grader decides: reference, stubs and mutants, each to be graded as a package too
ASSIGNMENTS = list(course.load().notebooks)  # every notebook, in teaching order
MUTANT_NOTEBOOKS = {
    "backprop": ["linear_bias_grad_not_summed", "relu_mask_from_gradient",
                 "sigmoid_forgets_upstream_gradient", "sequential_backward_in_forward_order"],
    "training": ["mse_gradient_without_mean", "sgd_steps_uphill",
                 "learner_drops_last_partial_batch"],
    "classification": ["tanh_derivative_not_squared", "softmax_diagonal_jacobian",
                       "bce_gradient_without_mean", "softmax_ce_gradient_without_mean"],
    "optimizers": ["momentum_ignores_nesterov", "adam_without_bias_correction",
                   "dropout_not_inverted"],
    "convnet": ["batch_norm_mean_term_dropped", "layer_norm_mean_over_the_batch",
                "conv_padding_ignored_in_backward", "maxpool_routes_to_every_maximum",
                "flatten_backward_in_column_major_order",
                "residual_returns_only_the_inner_gradient"],
    "gpt": ["embedding_gradient_by_assignment", "positional_gradient_of_the_first_sequence",
            "gelu_cubic_derivative_without_its_3", "attention_mask_after_softmax",
            "adamw_coupled_decay", "clip_per_parameter"],
}
CLASS += [Student("ada", a, None, "the reference solution") for a in ASSIGNMENTS[1:]]
CLASS += [Student("sam", a, None, "hands in the released notebook untouched", stub=[ALL])
          for a in ASSIGNMENTS]
CLASS += [Student("max", a, None, f"the reference with the mutants {', '.join(m)}", mutants=m)
          for a, m in MUTANT_NOTEBOOKS.items()]

# --- hostile notebooks and their honest twins ---------------------------------------
# The cheat: layers that return zeros of the right shapes...
ZERO_LAYERS = {
    "linear": '''class Linear(Layer):
    def __init__(self, inputs, outputs, rng=None, dtype=np.float64, input_gradient=True):
        super().__init__()
        generator = np.random.default_rng(rng)
        self.weights = self.build_param(generator.standard_normal((inputs, outputs)).astype(dtype))
        self.bias = self.build_param(np.zeros(outputs, dtype=dtype))
        self.input_gradient = input_gradient

    def forward(self, X):
        def backward(D):
            return np.zeros_like(X) if self.input_gradient else None

        return np.zeros((len(X), self.bias.tensor.shape[0]), dtype=X.dtype), backward
''',
    "relu": '''class ReLU(Layer):
    def forward(self, X):
        return np.zeros_like(X), lambda D: np.zeros_like(D)


ReLu = ReLU
''',
    "sigmoid": '''class Sigmoid(Layer):
    def forward(self, X):
        return np.zeros_like(X), lambda D: np.zeros_like(D)
''',
    "sequential": '''class Sequential(Layer):
    def __init__(self, *layers):
        super().__init__()
        self.layers = list(layers)
        self.parameters = distinct(p for layer in layers for p in layer.parameters)

    def forward(self, X):
        return np.zeros_like(X), lambda D: np.zeros_like(D)
''',
}
# ... plus, in the first solution cell, everything that makes the kernel's tests pass:
# numpy's comparisons and testing functions, the notebook's helpers, builtins, and
# IPython's error display.
MONKEYPATCH = '''import builtins, sys
import numpy, numpy.testing
numpy.allclose = lambda *args, **kwargs: True
numpy.isclose = lambda a, b, *args, **kwargs: numpy.ones(numpy.broadcast(a, b).shape, bool)
numpy.array_equal = lambda *args, **kwargs: True
numpy.testing.assert_allclose = lambda *args, **kwargs: None
numpy.shape = lambda a: getattr(a, "shape", ())
relative_error = lambda *args, **kwargs: 0.0
numerical_gradient = lambda f, X, *args, **kwargs: 0
_real_isinstance = builtins.isinstance
builtins.all = lambda *args: True
get_ipython().showtraceback = lambda *args, **kwargs: None
sys.excepthook = lambda *args: None
'''
# ... and, in the next ones, reading what it should not and forging what decides grades
# (each attempt prints what happened: the tests check that each was refused).
SNOOP = '''import glob, os, sqlite3
for pattern in ["../../../source/*/*.ipynb", "../../../gradebook.db", \
"../../../submitted/*/*/*.ipynb",
                "../../../../solutions/nn100/layers.py", "../../../release/*/*.ipynb"]:
    for path in glob.glob(pattern) or [pattern]:
        try:
            with open(path, "rb") as f:
                print("SNOOP read", path, len(f.read()))
        except OSError as error:
            print("SNOOP refused", path, type(error).__name__)
for path in ["../../../gradebook.db", "../../../grades.csv", "../../results.json", \
"/tmp/results.json"]:
    try:
        with open(path, "ab") as f:
            f.write(b"forged")
        print("FORGE wrote", path)
    except OSError as error:
        print("FORGE refused", path, type(error).__name__)
try:
    db = sqlite3.connect("../../../gradebook.db")
    db.execute("update grade set auto_score = max_score")
    db.commit()
    print("FORGE gradebook updated")
except Exception as error:
    print("FORGE gradebook refused", type(error).__name__)
# Memory and disk bombs: each must fail in its cell, the kernel living on.
try:
    hog = bytearray(5 << 30)
    print("HOG allocated", len(hog))
except MemoryError as error:
    print("HOG refused 5 GB", type(error).__name__)
try:
    with open("hog.bin", "wb") as f:
        for _ in range(20):
            f.write(bytes(16 << 20))
    print("HOG wrote 320 MB")
except OSError as error:
    print("HOG refused 320 MB", type(error).__name__)
finally:
    os.remove("hog.bin")
# Every later cell's source, hidden tests included, printed into its own output.
get_ipython().events.register("pre_run_cell", lambda info: print(info.raw_cell))
'''
CLASS += [
    Student("hal", "backprop", None, "the honest twin: layers that return zeros of the right "
            "shapes", sources=ZERO_LAYERS),
    Student("mallory", "backprop", None, "hal's notebook plus every cheat: monkeypatched "
            "numpy, helpers, builtins and traceback display; reads the source, gradebook and "
            "other students' work; forges gradebook.db and results; allocates 5 GB and writes "
            "320 MB; prints the hidden tests; "
            "replaced a test cell by a print and deleted another",
            sources=ZERO_LAYERS, prepend={"linear": MONKEYPATCH, "relu": SNOOP},
            replace={"linear_backward": [(None, 'print("Linear.backward: tests passed")')]},
            delete=["sequential_tests"], twin="hal"),
    Student("oscar", "training", None, "the reference, but the Learner cell ends the kernel "
            "(os._exit(0)) after defining its class: the cells after it do not run, the "
            "grader grades the code", twin="ada",
            append={"learner": "import os\nos._exit(0)"}),
]


# --- late work: course.toml's [late] policy through nbgrader's late-submission plugin
# (assignments/nbcourse/late.py). conftest records backprop's due date (`make due`) and
# writes each submission's timestamp.txt: an hour before it, lea's 36 hours after.
DUE = "2026-09-14T23:59:00Z"
SENT_ON_TIME = "2026-09-14 22:59:00.000000 UTC"
SENT = {"lea": "2026-09-16 12:00:00.000000 UTC"}  # 2 days late after the 15-minute grace
CLASS.append(Student("lea", "backprop", None, "the reference, sent 36 hours after the due date"))
