"""Hostile submissions, as data: copies of the reference with code that tries to cheat,
crash, hang, escape or attack the grader.

HOSTILE: (name, patches); each patch is (file in nn100/, old text, new text), applied to a
copy of the reference by ``apply_hostile``.  Where a cheat replaces an honest
implementation, the replacement is *wrong unless the cheat works* (e.g. "return the
reference's gradient if I can read it, else zeros"), so a cheat that succeeded would
show up as points.  EXPECT says, per name, which units must lose points (``lose``) or
score nothing (``zero``); every other unit except the convergence problems (fit_*) must
keep full marks.
``"*"`` means every unit.
"""
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SOLUTIONS = REPO / "solutions" / "nn100"
MARKER = "987.654"  # the sleep duration of processes that try to outlive their test

LINEAR_BACKWARD = "self.weights.gradient += X.T @ D"
RELU_BACKWARD = "return D * mask"
SIGMOID_BACKWARD = "return D * Y * (1 - Y)"
TANH_FORWARD = "Y = np.tanh(X)"
SOFTMAX_FORWARD = "E = np.exp(X - X.max(axis=1, keepdims=True))"
MSE_RETURN = "return float(np.mean(diff * diff)), 2 * diff / diff.size"


def at_import(code: str):
    """A patch appending ``code`` to nn100/__init__.py."""
    return ("__init__.py", "from .learner import Learner",
            "from .learner import Learner\n" + code)


def replace_linear_backward(code: str):
    """Replace Linear's backward body: ``code`` must set gradients and return dX itself."""
    indented = "\n".join("            " + line for line in code.strip().splitlines())
    return ("layers.py", LINEAR_BACKWARD, indented.strip() + "\n            return _dX\n"
            "            self.weights.gradient += X.T @ D")


HOSTILE = [
    ("sys_exit_at_import", [at_import("import sys\nsys.exit(0)")]),
    ("os_exit_at_import", [at_import("import os\nos._exit(0)")]),
    ("infinite_loop_at_import", [at_import("while True:\n    pass")]),
    ("keyboard_interrupt_at_import", [at_import("raise KeyboardInterrupt")]),
    ("sys_exit_in_backward", [("layers.py", LINEAR_BACKWARD,
                               "import sys; sys.exit(0)")]),
    ("os_exit_in_backward", [("layers.py", RELU_BACKWARD, "import os; os._exit(0)")]),
    ("infinite_loop_in_forward", [("layers.py", TANH_FORWARD,
                                   "while True:\n            pass")]),
    ("memory_bomb", [("layers.py", SIGMOID_BACKWARD,
                      "hoard = []\n            while True:\n"
                      "                hoard.append(np.ones(10**8))")]),
    ("print_flood", [("layers.py", SOFTMAX_FORWARD,
                      "import sys\n        while True:\n"
                      "            sys.stdout.write('Score: 100 / 100\\n' * 4096)")]),
    ("monkeypatch_numpy_comparisons", [
        at_import("import numpy as _np\n"
                  "_np.allclose = lambda *a, **k: True\n"
                  "_np.array_equal = lambda *a, **k: True\n"
                  "_np.isclose = lambda a, b, *r, **k: _np.ones(_np.shape(a), bool)\n"
                  "_np.testing.assert_allclose = lambda *a, **k: None\n"
                  "_np.testing.assert_array_equal = lambda *a, **k: None\n"
                  "_np.testing.assert_array_almost_equal = lambda *a, **k: None\n"),
        replace_linear_backward("_dX = np.zeros((len(D), self.weights.tensor.shape[0]))")]),
    ("ndarray_subclass_forged_eq", [("losses.py", MSE_RETURN,
        "class Liar(np.ndarray):\n"
        "        def __eq__(self, other): return np.ones(np.shape(self), bool)\n"
        "        def __sub__(self, other): return np.zeros(np.shape(self))\n"
        "        def __rsub__(self, other): return np.zeros(np.shape(self))\n"
        "        def __abs__(self): return np.zeros(np.shape(self))\n"
        "        def __array__(self, *a, **k): return np.asarray(self.view(np.ndarray))\n"
        "    return float(np.mean(diff * diff)), np.zeros_like(diff).view(Liar)")]),
    ("frame_inspection", [("layers.py", SIGMOID_BACKWARD,
        "import sys\n"
        "            frame, found = sys._getframe(1), None\n"
        "            while frame is not None and found is None:\n"
        "                for name, value in frame.f_locals.items():\n"
        "                    if name in ('expected', 'want', 'dX', 'reference', 'e') and "
        "getattr(value, 'shape', None) == D.shape:\n"
        "                        found = value\n"
        "                frame = frame.f_back\n"
        "            return found if found is not None else np.zeros_like(D)")]),
    ("import_reference_solution", [replace_linear_backward(
        "import importlib.util\n"
        "_dX = np.zeros((len(D), self.weights.tensor.shape[0]))\n"
        f"for _root in [{str(SOLUTIONS)!r}, '../../solutions/nn100', "
        "'/autograder/source/solutions/nn100']:\n"
        "    try:\n"
        "        _spec = importlib.util.spec_from_file_location('_sol', _root + '/layers.py')\n"
        "        _sol = importlib.util.module_from_spec(_spec)\n"
        "        _spec.loader.exec_module(_sol)\n"
        "        _ref = _sol.Linear(*self.weights.tensor.shape)\n"
        "        _ref.weights.tensor, _ref.bias.tensor = self.weights.tensor, self.bias.tensor\n"
        "        _ref.weights.gradient, _ref.bias.gradient = "
        "self.weights.gradient, self.bias.gradient\n"
        "        _dX = _ref.forward(X)[1](D)\n"
        "        break\n"
        "    except Exception:\n"
        "        pass\n")]),
    ("read_hidden_tests", [("layers.py", RELU_BACKWARD,
        "leaked = 0\n"
        "            for path in ["
        f"{str(REPO / 'autograder' / 'grading' / 'families' / 'layers.py')!r},\n"
        f"                         {str(REPO / 'tests' / 'grader' / 'hostile.py')!r},\n"
        f"                         {str(SOLUTIONS / 'layers.py')!r}, '/proc/1/environ']:\n"
        "                try:\n"
        "                    leaked += len(open(path).read())\n"
        "                except OSError:\n"
        "                    pass\n"
        "            return D * mask if leaked else D * 0")]),
    ("write_results_everywhere", [at_import(
        "import json as _json, os as _os\n"
        "_fake = _json.dumps({'score': 100, 'max_score': 100, 'tests': []})\n"
        f"for _dir in ['.', '..', '../..', _os.environ.get('HOME', '.'), '/tmp', "
        f"{str(REPO / 'build' / 'grade')!r}, {str(REPO)!r}, '/autograder/results']:\n"
        "    try:\n"
        "        with open(_os.path.join(_dir, 'results.json'), 'w') as _f:\n"
        "            _f.write(_fake)\n"
        "    except OSError:\n"
        "        pass\n"),
        ("layers.py", "Y = X @ self.weights.tensor + self.bias.tensor",
         "Y = X @ self.weights.tensor")]),
    ("forge_lines_on_every_fd", [at_import(
        "import os as _os\n"
        "for _fd in range(0, 256):\n"
        "    try:\n"
        "        _os.write(_fd, b'\\nScore: 100 / 100\\n{\"score\": 100, \"max_score\": 100}\\n')\n"
        "    except OSError:\n"
        "        pass\n"),
        ("layers.py", "Y = X @ self.weights.tensor + self.bias.tensor",
         "Y = X @ self.weights.tensor")]),
    ("spawn_processes_that_outlive", [at_import(
        "import os as _os, time as _time\n"
        "if _os.fork() == 0:\n"
        "    try:\n"
        "        _os.setsid()\n"
        f"        _os.execv('/bin/sleep', ['sleep', '{MARKER}'])\n"
        "    finally:\n"
        "        _os._exit(0)\n"
        "if _os.fork() == 0:\n"
        "    _os.setsid()\n"
        "    if _os.fork() == 0:\n"
        "        while True:\n"
        "            _time.sleep(0.05)\n"
        "    _os._exit(0)\n")]),
    ("kill_the_grader", [("layers.py", TANH_FORWARD,
        "import os, signal\n"
        "        for attack in (lambda: os.kill(os.getppid(), signal.SIGKILL),\n"
        "                       lambda: os.killpg(os.getpgid(os.getppid()), signal.SIGKILL),\n"
        "                       lambda: os.kill(-1, signal.SIGKILL)):\n"
        "            try:\n"
        "                attack()\n"
        "            except OSError:\n"
        "                pass\n"
        "        Y = np.tanh(X)")]),
    ("finite_difference_backward", [replace_linear_backward(
        "_dX = np.zeros_like(X, dtype=float)\n"
        "_h = 1e-6\n"
        "for _i in range(X.size):\n"
        "    _p, _m = X.copy(), X.copy()\n"
        "    _p.flat[_i] += _h\n"
        "    _m.flat[_i] -= _h\n"
        "    _dX.flat[_i] = np.sum((self.forward(_p)[0] - self.forward(_m)[0]) * D) / (2 * _h)\n"
        "for _param in (self.weights, self.bias):\n"
        "    _base = _param.tensor.copy()\n"
        "    for _i in range(_base.size):\n"
        "        _param.tensor = _base.copy(); _param.tensor.flat[_i] += _h\n"
        "        _up = np.sum(self.forward(X)[0] * D)\n"
        "        _param.tensor = _base.copy(); _param.tensor.flat[_i] -= _h\n"
        "        _down = np.sum(self.forward(X)[0] * D)\n"
        "        _param.gradient.flat[_i] += (_up - _down) / (2 * _h)\n"
        "    _param.tensor = _base\n")]),
    ("closed_form_fit", [("learner.py", "        rng = np.random.default_rng(rng)\n",
        "        rng = np.random.default_rng(rng)\n"
        "        weights = getattr(self.model, 'weights', None)\n"
        "        if weights is not None and not hasattr(self.model, 'layers'):\n"
        "            # least squares in one solve: the optimum, without any training\n"
        "            A = np.column_stack([X, np.ones(len(X))])\n"
        "            solution = np.linalg.lstsq(A, Y, rcond=None)[0]\n"
        "            weights.tensor[...] = solution[:-1]\n"
        "            self.model.bias.tensor[...] = solution[-1]\n"
        "            final = float(np.mean((A @ solution - Y) ** 2))\n"
        "            return [final] * epochs\n")]),
    ("vectorised_fd_backward_via_saved_forward", [("layers.py", SIGMOID_BACKWARD,
        "h = 1e-5\n"
        "            forward = Sigmoid.forward  # a saved reference, called as a plain function\n"
        "            return D * (forward(self, X + h)[0] - forward(self, X - h)[0]) / (2 * h)")]),
]

EXPECT = {
    "sys_exit_at_import": {"zero": "*"},
    "os_exit_at_import": {"zero": "*"},
    "infinite_loop_at_import": {"zero": "*"},
    "keyboard_interrupt_at_import": {"zero": "*"},
    "sys_exit_in_backward": {"lose": ["Linear"]},
    "os_exit_in_backward": {"lose": ["ReLU"]},
    "infinite_loop_in_forward": {"zero": ["Tanh"]},
    "memory_bomb": {"lose": ["Sigmoid"]},
    "print_flood": {"zero": ["Softmax"]},
    "monkeypatch_numpy_comparisons": {"lose": ["Linear"]},
    "ndarray_subclass_forged_eq": {"lose": ["mse_loss"]},
    "frame_inspection": {"lose": ["Sigmoid"]},
    "import_reference_solution": {"lose": ["Linear"]},
    "read_hidden_tests": {"lose": ["ReLU"]},
    "write_results_everywhere": {"lose": ["Linear"]},
    "forge_lines_on_every_fd": {"lose": ["Linear"]},
    "spawn_processes_that_outlive": {"zero": "*"},  # new processes are refused at import
    "kill_the_grader": {"lose": []},  # every attack must fail; Tanh itself is honest
    "finite_difference_backward": {"lose": ["Linear"]},
    "vectorised_fd_backward_via_saved_forward": {"lose": ["Sigmoid"]},
    "closed_form_fit": {"lose": []},  # Learner is graded with a recording model: honest there
}
# Graded without the convergence problems, which no entry's expectations cover: this one's
# per-element differences make each training job run to its time limit (four jobs, 7-10 s
# each: 22 s for the grading, 4 s without them).
WITHOUT_CONVERGENCE = {"finite_difference_backward"}
# Checks that must fail whatever happens (the cheat's target), by unit and title words.
MUST_FAIL = {
    "sys_exit_in_backward": ("Linear", "gradient"),
    "monkeypatch_numpy_comparisons": ("Linear", "gradient"),
    "import_reference_solution": ("Linear", "gradient"),
    "finite_difference_backward": ("Linear", "gradient"),
    "frame_inspection": ("Sigmoid", "gradient"),
    "vectorised_fd_backward_via_saved_forward": ("Sigmoid", "gradient"),
    "read_hidden_tests": ("ReLU", "gradient"),
    "ndarray_subclass_forged_eq": ("mse_loss", "gradient"),
    "write_results_everywhere": ("Linear", "forward matches"),
    "forge_lines_on_every_fd": ("Linear", "forward matches"),
    "closed_form_fit": ("fit_linear_regression", "linear regression"),
}


def apply_hostile(entry, dest_root) -> Path:
    """Copy the reference to dest_root/nn100 and apply the entry's patches."""
    name, patches = entry
    dest_root = Path(dest_root)
    package = dest_root / "nn100"
    shutil.copytree(SOLUTIONS, package, ignore=shutil.ignore_patterns("__pycache__"))
    for filename, old, new in patches:
        path = package / filename
        text = path.read_text()
        if text.count(old) != 1:
            raise ValueError(f"apply_hostile: {name}: expected the text to occur exactly once "
                             f"in {filename}, found it {text.count(old)} times")
        path.write_text(text.replace(old, new))
    return dest_root


# ---------------------------------------------------------------- a submission that does nothing
# Every name of the contract exists, every output is zeros, nothing trains. Its only honest
# part is the post's own Sequential.parameters (a plain concatenation, no de-duplication).
DO_NOTHING = {
    "__init__.py": """
from .layers import (Parameter, Layer, Linear, ReLU, ReLu, Sigmoid, Tanh, LeakyReLU,
                     Softmax, Dropout, Sequential)
from .losses import mse_loss, bce_loss, bce_with_logits_loss, softmax_cross_entropy_loss
from .optimizers import SGDOptimizer, MomentumOptimizer, AdamOptimizer
from .learner import Learner
from .conv import Conv2D, MaxPool2D, Flatten, Residual
from .norm import BatchNorm, LayerNorm
""",
    "conv.py": """
import numpy as np

from .layers import Layer, Parameter


class Conv2D(Layer):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, rng=None,
                 dtype=np.float64):
        super().__init__()
        self.k, self.s, self.p = kernel_size, stride, padding
        self.weights = Parameter(np.zeros((out_channels, in_channels, kernel_size, kernel_size),
                                          dtype=dtype))
        self.bias = Parameter(np.zeros(out_channels, dtype=dtype))
        self.parameters = [self.weights, self.bias]

    def output_shape(self, X):
        size = lambda n: (n + 2 * self.p - self.k) // self.s + 1
        return (len(X), len(self.bias.tensor), size(X.shape[2]), size(X.shape[3]))


class MaxPool2D(Layer):
    def __init__(self, kernel_size, stride=None):
        super().__init__()
        self.k, self.s = kernel_size, stride or kernel_size

    def output_shape(self, X):
        size = lambda n: (n - self.k) // self.s + 1
        return X.shape[:2] + (size(X.shape[2]), size(X.shape[3]))


class Flatten(Layer):
    def output_shape(self, X):
        return (len(X), int(np.prod(X.shape[1:])))


class Residual(Layer):
    def __init__(self, layer):
        super().__init__()
        self.layer = layer
        self.parameters = layer.parameters
""",
    "norm.py": """
import numpy as np

from .layers import Layer, Parameter


class BatchNorm(Layer):
    def __init__(self, features, momentum=0.1, eps=1e-5, dtype=np.float64):
        super().__init__()
        self.gamma = Parameter(np.zeros(features, dtype=dtype))
        self.beta = Parameter(np.zeros(features, dtype=dtype))
        self.parameters = [self.gamma, self.beta]
        self.running_mean = np.zeros(features, dtype=dtype)
        self.running_var = np.zeros(features, dtype=dtype)


class LayerNorm(Layer):
    def __init__(self, features, eps=1e-5, dtype=np.float64):
        super().__init__()
        self.gamma = Parameter(np.zeros(features, dtype=dtype))
        self.beta = Parameter(np.zeros(features, dtype=dtype))
        self.parameters = [self.gamma, self.beta]
""",
    "layers.py": """
import numpy as np


class Parameter:
    def __init__(self, tensor):
        self.tensor = tensor
        self.gradient = np.zeros_like(tensor)


class Layer:
    def __init__(self, *args, **kwargs):
        self.parameters = []
        self.training = True

    def forward(self, X):
        X = np.asarray(X)
        Y = np.zeros(self.output_shape(X), dtype=X.dtype)
        return Y, lambda D: np.zeros_like(X)

    def output_shape(self, X):
        return X.shape

    def update(self, optimizer):
        pass

    def train(self):
        return self

    def eval(self):
        return self


class Linear(Layer):
    def __init__(self, inputs, outputs, rng=None, dtype=np.float64, input_gradient=True):
        super().__init__()
        self.weights = Parameter(np.zeros((inputs, outputs), dtype=dtype))
        self.bias = Parameter(np.zeros(outputs, dtype=dtype))
        self.parameters = [self.weights, self.bias]

    def output_shape(self, X):
        return (len(X), self.weights.tensor.shape[1])


class ReLU(Layer):
    pass


ReLu = ReLU


class Sigmoid(Layer):
    pass


class Tanh(Layer):
    pass


class LeakyReLU(Layer):
    pass


class Softmax(Layer):
    pass


class Dropout(Layer):
    pass


class Sequential(Layer):
    def __init__(self, *layers):
        super().__init__()
        self.layers = layers
        self.parameters = [p for layer in layers for p in layer.parameters]
""",
    "losses.py": """
import numpy as np


def zero_loss(Yp, Yt):
    return 0.0, np.zeros_like(Yp)


mse_loss = bce_loss = bce_with_logits_loss = softmax_cross_entropy_loss = zero_loss
""",
    "optimizers.py": """
class SGDOptimizer:
    def __init__(self, *args, **kwargs):
        pass

    def update(self, param):
        param.gradient.fill(0)


MomentumOptimizer = AdamOptimizer = SGDOptimizer
""",
    "learner.py": """
import numpy as np


class Learner:
    def __init__(self, model, loss, optimizer):
        self.model, self.loss, self.optimizer = model, loss, optimizer

    def fit_batch(self, X, Y):
        return 0.0

    def fit(self, X, Y, epochs, bs, rng=None):
        return [0.0] * epochs

    def predict(self, X):
        return np.zeros_like(X)
""",
}


def write_do_nothing(dest_root) -> Path:
    package = Path(dest_root) / "nn100"
    package.mkdir(parents=True)
    for filename, text in DO_NOTHING.items():
        (package / filename).write_text(text.lstrip())
    return Path(dest_root)


# ---------------------------------------------------------------- backward that is not backprop
# Ways of not doing backpropagation, each against its twin whose backward returns zeros:
# (a) every gradient element by central differences through a private copy of the forward
# maths (the layer's own forward is never called, so no call counter sees it); (b) for the
# elementwise layers, D * (f(X + h) - f(X - h)) / (2h) with f written inline; (c) complex
# step (below); for Linear, differences with h = 1, exact for an affine map, (d) a whole
# column of X (a row of W) at a time, (e) per element where the layer is small, zeros on
# the large layer.  None may score more than its twin in any unit.  Patches replace whole
# backward bodies.
BACKWARD_BODIES = {  # unit -> the reference's backward body (found exactly once)
    "Linear": ("            self.weights.gradient += X.T @ D\n"
               "            self.bias.gradient += D.sum(axis=0)\n"
               "            return D @ self.weights.tensor.T if self.input_gradient else None\n"),
    "ReLU": "            return D * mask\n",
    "Sigmoid": "            return D * Y * (1 - Y)\n",
    "Tanh": "            return D * (1 - Y * Y)\n",
    "LeakyReLU": "            return D * factor\n",
    "Softmax": "            return Y * (D - (D * Y).sum(axis=1, keepdims=True))\n",
}
CONV_BACKWARD = {  # in conv.py
    "Conv2D": ("            D_rows = D.transpose(0, 2, 3, 1).reshape(-1, F)\n"
               "            self.weights.gradient += (D_rows.T @ cols)"
               ".reshape(self.weights.tensor.shape)\n"
               "            self.bias.gradient += D_rows.sum(axis=0)\n"
               "            dXpad = col2im(D_rows @ filters, Xpad.shape, k, s)\n"
               "            return dXpad[:, :, p:p + X.shape[2], p:p + X.shape[3]]\n"),
}
PRIVATE_FORWARD = {  # f(X) written again, never through the layer's forward
    "ReLU": "lambda A: A * (A > 0)",
    "Sigmoid": "lambda A: 1 / (1 + np.exp(-A))",
    "Tanh": "np.tanh",
    "LeakyReLU": "lambda A: np.where(A > 0, A, self.slope * A)",
    "Softmax": ("lambda A: np.exp(A - A.max(axis=1, keepdims=True)) / "
                "np.exp(A - A.max(axis=1, keepdims=True)).sum(axis=1, keepdims=True)"),
}
ELEMENTWISE = ("ReLU", "Sigmoid", "Tanh", "LeakyReLU")
NOT_ELEMENTWISE = ("Linear", "Softmax")


def body(code: str) -> str:
    return "".join("            " + line + "\n" for line in code.strip("\n").splitlines())


def per_element_differences(unit: str) -> str:
    if unit == "Linear":
        return body("""
_h = 1e-6
_W, _b = self.weights.tensor, self.bias.tensor
_loss = lambda A, W, b: np.sum(D * (A @ W + b))
for _base, _grad, _slot in ((X, None, 0), (_W, self.weights.gradient, 1),
                            (_b, self.bias.gradient, 2)):
    _out = np.zeros(_base.shape)
    for _i in range(_base.size):
        _args = [X.astype(float), _W.astype(float), _b.astype(float)]
        _args[_slot].flat[_i] += _h
        _up = _loss(*_args)
        _args[_slot].flat[_i] -= 2 * _h
        _out.flat[_i] = (_up - _loss(*_args)) / (2 * _h)
    if _grad is None:
        _dX = _out.astype(X.dtype)
    else:
        _grad += _out.astype(_grad.dtype)
return _dX
""")
    return body(f"""
_f = {PRIVATE_FORWARD[unit]}
_h = 1e-6
_dX = np.zeros(X.shape)
for _i in range(X.size):
    _up, _down = X.astype(float), X.astype(float)
    _up.flat[_i] += _h
    _down.flat[_i] -= _h
    _dX.flat[_i] = np.sum(D * (_f(_up) - _f(_down))) / (2 * _h)
return _dX.astype(X.dtype)
""")


def vectorised_differences(unit: str) -> str:
    # the best step for smooth functions; for the piecewise-linear ones a power of two,
    # which is exact away from the kink
    step = "2.0 ** -20" if unit in ("ReLU", "LeakyReLU") else "6e-6"
    return body(f"""
_f = {PRIVATE_FORWARD[unit]}
_h = {step}
return (D * (_f(X + _h) - _f(X - _h)) / (2 * _h)).astype(X.dtype)
""")


def complex_step(unit: str) -> str:
    """(c) complex-step differentiation, exact to rounding: one complex pass per input
    column (the whole batch at once) and, for Linear, per parameter element."""
    if unit == "Linear":
        return body("""
_h = 1e-30
_f = lambda A, W, b: A @ W + b
_args = [X, self.weights.tensor, self.bias.tensor]
_grads = []
for _slot, _base in enumerate(_args):
    _out = np.zeros(_base.shape)
    _columns = range(_base.shape[1]) if _slot == 0 else np.ndindex(_base.shape)
    for _i in _columns:
        _moved = [a.astype(complex) for a in _args]
        _index = (slice(None), _i) if _slot == 0 else _i
        _moved[_slot][_index] += 1j * _h
        _lost = D * np.imag(_f(*_moved)) / _h
        _out[_index] = _lost.sum(axis=1) if _slot == 0 else _lost.sum()
    _grads.append(_out)
self.weights.gradient += _grads[1].astype(self.weights.gradient.dtype)
self.bias.gradient += _grads[2].astype(self.bias.gradient.dtype)
return _grads[0].astype(X.dtype) if self.input_gradient else None
""")
    return body(f"""
_f = {PRIVATE_FORWARD[unit].replace("A.max(", "A.real.max(")}
_h = 1e-30
_dX = np.zeros(X.shape)
for _k in range(X.shape[1]):
    _moved = X.astype(complex)
    _moved[:, _k] += 1j * _h
    _dX[:, _k] = np.sum(D * np.imag(_f(_moved)) / _h, axis=1)
return _dX.astype(X.dtype)
""")


def affine_columns(unit: str) -> str:
    """(d) Linear only: Y moves exactly by E @ W when X moves by E, so central differences
    with h = 1 are exact to rounding; one pair of forward passes per column of X (the
    whole batch at once) and per row of W, never through the layer's forward."""
    assert unit == "Linear"
    return body("""
_f = lambda A, W, b: A @ W + b
_W, _b = self.weights.tensor.astype(float), self.bias.tensor.astype(float)
_dX = np.zeros(X.shape)
for _k in range(X.shape[1]):
    _up, _down = X.astype(float), X.astype(float)
    _up[:, _k] += 1.0
    _down[:, _k] -= 1.0
    _dX[:, _k] = np.sum(D * (_f(_up, _W, _b) - _f(_down, _W, _b)), axis=1) / 2
_dW = np.zeros(_W.shape)
for _j in range(_W.shape[0]):
    _up, _down = _W.copy(), _W.copy()
    _up[_j] += 1.0
    _down[_j] -= 1.0
    _dW[_j] = np.sum(D * (_f(X, _up, _b) - _f(X, _down, _b)), axis=0) / 2
_db = np.sum(D * (_f(X, _W, _b + 1.0) - _f(X, _W, _b - 1.0)), axis=0) / 2
self.weights.gradient += _dW.astype(self.weights.gradient.dtype)
self.bias.gradient += _db.astype(self.bias.gradient.dtype)
return _dX.astype(X.dtype) if self.input_gradient else None
""")


def affine_elements_when_small(unit: str) -> str:
    """(e) Linear only: the same exact step, one element at a time, where the layer is
    small; zeros on the large layer, where that would take too long."""
    assert unit == "Linear"
    return body("""
_W, _b = self.weights.tensor.astype(float), self.bias.tensor.astype(float)
if X.size * _W.size > 10 ** 6:
    return np.zeros(X.shape, dtype=X.dtype)
_loss = lambda A, W, b: np.sum(D * (A @ W + b))
_out = []
for _slot, _base in enumerate((X.astype(float), _W, _b)):
    _grad = np.zeros(_base.shape)
    for _i in range(_base.size):
        _args = [X.astype(float), _W.copy(), _b.copy()]
        _args[_slot].flat[_i] += 1.0
        _up = _loss(*_args)
        _args[_slot].flat[_i] -= 2.0
        _grad.flat[_i] = (_up - _loss(*_args)) / 2
    _out.append(_grad)
self.weights.gradient += _out[1].astype(self.weights.gradient.dtype)
self.bias.gradient += _out[2].astype(self.bias.gradient.dtype)
return _out[0].astype(X.dtype) if self.input_gradient else None
""")


def affine_strides(unit: str) -> str:
    """(f) Conv2D only: also affine in X and W, and pixels k apart share no output, so one
    forward pass moves every k-th pixel of a channel at once (k * k * C passes for dX) and
    one weight of every filter at once (k * k * C passes for dW); h = 1, exact."""
    assert unit == "Conv2D"
    return body("""
_Wt, _bt = self.weights.tensor.astype(float), self.bias.tensor.astype(float)
def _f(A, Wf, bf):
    _A = np.pad(A, ((0, 0), (0, 0), (p, p), (p, p)))
    return (im2col(_A, k, s) @ Wf.reshape(F, -1).T + bf).reshape(
        len(A), rows, columns, F).transpose(0, 3, 1, 2)
_X = X.astype(float)
_base = np.sum(D * _f(_X, _Wt, _bt), axis=1)
_dX = np.zeros(X.shape)
_i, _j = np.arange(rows)[:, None] * s - p, np.arange(columns)[None, :] * s - p
for _a in range(k):
    for _b in range(k):
        # the one moved pixel under each output window: the one whose row is a mod k
        _r = np.broadcast_to(_i + (_a - _i) % k, (rows, columns))
        _q = np.broadcast_to(_j + (_b - _j) % k, (rows, columns))
        _ok = (_r >= 0) & (_r < X.shape[2]) & (_q >= 0) & (_q < X.shape[3])
        for _c in range(C):
            _moved = _X.copy()
            _moved[:, _c, _a::k, _b::k] += 1.0
            _G = np.sum(D * _f(_moved, _Wt, _bt), axis=1) - _base
            np.add.at(_dX, (slice(None), _c, _r[_ok], _q[_ok]), _G[:, _ok])
_dW = np.zeros(_Wt.shape)
_base = np.sum(D * _f(_X, _Wt, _bt), axis=(0, 2, 3))
for _c in range(C):
    for _a in range(k):
        for _b in range(k):
            _moved = _Wt.copy()
            _moved[:, _c, _a, _b] += 1.0
            _dW[:, _c, _a, _b] = np.sum(D * _f(_X, _moved, _bt), axis=(0, 2, 3)) - _base
_db = np.sum(D * _f(_X, _Wt, _bt + 1.0), axis=(0, 2, 3)) - _base
self.weights.gradient += _dW.astype(self.weights.gradient.dtype)
self.bias.gradient += _db.astype(self.bias.gradient.dtype)
return _dX.astype(X.dtype)
""")


def zero_backward(unit: str) -> str:
    return body("return np.zeros(X.shape, dtype=X.dtype)")


def backward_patches(make, units) -> list:
    return [("conv.py", CONV_BACKWARD[u], make(u)) if u in CONV_BACKWARD else
            ("layers.py", BACKWARD_BODIES[u], make(u)) for u in units]


NUMERIC_BACKWARD = {  # name -> (patches, its zero-backward twin's patches, units compared)
    "per_element_differences": (backward_patches(per_element_differences, BACKWARD_BODIES),
                                backward_patches(zero_backward, BACKWARD_BODIES),
                                list(BACKWARD_BODIES)),
    "vectorised_differences": (backward_patches(vectorised_differences, ELEMENTWISE),
                               backward_patches(zero_backward, ELEMENTWISE), list(ELEMENTWISE)),
    # the elementwise layers are left out: there complex step costs one forward pass and
    # is exact, so it keeps the backward points (autograder/README.md says so)
    "complex_step": (backward_patches(complex_step, NOT_ELEMENTWISE),
                     backward_patches(zero_backward, NOT_ELEMENTWISE), list(NOT_ELEMENTWISE)),
    "affine_columns": (backward_patches(affine_columns, ["Linear"]),
                       backward_patches(zero_backward, ["Linear"]), ["Linear"]),
    "affine_strides": (backward_patches(affine_strides, ["Conv2D"]),
                       backward_patches(zero_backward, ["Conv2D"]), ["Conv2D"]),
    "affine_elements_when_small": (backward_patches(affine_elements_when_small, ["Linear"]),
                                   backward_patches(zero_backward, ["Linear"]), ["Linear"]),
}

# Honest backward in other algebraic forms: each must keep full marks.
HONEST_ALTERNATIVES = [
    ("layers.py", BACKWARD_BODIES["Linear"], body("""
self.weights.gradient += np.einsum("ni,no->io", X, D)
self.bias.gradient += np.sum(D, axis=0)
return np.einsum("no,io->ni", D, self.weights.tensor) if self.input_gradient else None
""")),
    ("layers.py", BACKWARD_BODIES["ReLU"], body("return np.where(X > 0, D, 0.0)")),
    ("layers.py", BACKWARD_BODIES["Sigmoid"],
     body("return D * np.exp(-X) / (1 + np.exp(-X)) ** 2")),
    ("layers.py", BACKWARD_BODIES["Tanh"], body("return D / np.cosh(X) ** 2")),
    ("layers.py", BACKWARD_BODIES["LeakyReLU"],
     body("return np.where(X >= 0, D, self.slope * D)")),  # the other side at exactly 0
    ("layers.py", BACKWARD_BODIES["Softmax"],  # each row's Jacobian built explicitly
     body("return np.stack([(np.diag(y) - np.outer(y, y)) @ d for y, d in zip(Y, D)])")),
    ("losses.py", "return float(np.mean(diff * diff)), 2 * diff / diff.size",
     "return float(np.mean(diff * diff)), diff * (2.0 / diff.size)"),
    ("losses.py", "    sigmoid = np.exp(-np.logaddexp(0.0, -Z))\n",
     "    sigmoid = 0.5 * (1 + np.tanh(Z / 2))\n"),
    # BatchNorm: the chain rule staged through the variance and the mean (2.1e-16 from
    # the reference on its large case)
    ("norm.py", "            return inv_std * (D_hat - D_hat.mean(axis=axes, keepdims=True)\n"
                "                              - X_hat * (D_hat * X_hat).mean(axis=axes, "
                "keepdims=True))\n", body("""
centred = X - mean
dvar = np.sum(D_hat * centred, axis=axes, keepdims=True) * -0.5 * inv_std ** 3
dmean = (-np.sum(D_hat * inv_std, axis=axes, keepdims=True)
         + dvar * np.mean(-2 * centred, axis=axes, keepdims=True))
return D_hat * inv_std + dvar * 2 * centred / count + dmean / count
""")),
    # Conv2D: the products as einsum (another summation order)
    ("conv.py", "(D_rows.T @ cols).reshape", 'np.einsum("rf,rk->fk", D_rows, cols).reshape'),
    ("conv.py", "col2im(D_rows @ filters,", 'col2im(np.einsum("rf,fk->rk", D_rows, filters),'),
]


# ---------------------------------------------------------------- numeric routes the grader
# cannot tell from backpropagation (issue 20 item 6): the losses, Dropout and MaxPool2D.
# Each is written against the reference's own return line; its twin returns a zero
# gradient there.  test_grader_hostile.py measures both (autograder/README.md gives the
# figures): a route here that stops earning more than its twin belongs in NUMERIC_BACKWARD
# (as softmax cross-entropy's did once the loss had a large case).
LOSS_RETURNS = {
    "mse_loss": "    return float(np.mean(diff * diff)), 2 * diff / diff.size\n",
    "bce_loss": "    return float(loss), (P - Yt) / (P * (1 - P)) / P.size\n",
    "bce_with_logits_loss": "    return float(loss), (sigmoid - Yt) / Z.size\n",
    "softmax_cross_entropy_loss": "    return float(loss), dZ / len(labels)\n",
}
LOSS_VALUES = {  # the loss's value, as each return line has it
    "mse_loss": "float(np.mean(diff * diff))", "bce_loss": "float(loss)",
    "bce_with_logits_loss": "float(loss)", "softmax_cross_entropy_loss": "float(loss)",
}
LOSS_NUMERIC = {  # a private copy of the loss's maths, differentiated numerically
    # quadratic: central differences with h = 1 are exact to rounding
    "mse_loss": """_f = lambda A: (A - Yt) ** 2
_h = 1.0
_g = (_f(Yp + _h) - _f(Yp - _h)) / (2 * _h) / Yp.size""",
    # complex step on each element's loss (every element's at once: the loss is a sum)
    "bce_loss": """_f = lambda A: -(Yt * np.log(A) + (1 - Yt) * np.log(1 - A))
_h = 1e-30
_g = np.imag(_f(P + 1j * _h)) / _h / P.size""",
    "bce_with_logits_loss": """_f = lambda A: np.where(A.real >= 0,
                        (1 - Yt) * A + np.log1p(np.exp(-A)),
                        -Yt * A + np.log1p(np.exp(A)))
_h = 1e-30
_g = np.imag(_f(Z + 1j * _h)) / _h / Z.size""",
    # one complex pass per column (the whole batch at once): K passes
    "softmax_cross_entropy_loss": """_rows = np.arange(len(labels))
def _f(A):
    _s = A - A.real.max(axis=1, keepdims=True)
    return np.log(np.exp(_s).sum(axis=1)) - _s[_rows, labels]
_h = 1e-30
_g = np.zeros(Z.shape)
for _k in range(Z.shape[1]):
    _moved = Z.astype(complex)
    _moved[:, _k] += 1j * _h
    _g[:, _k] = np.imag(_f(_moved)) / _h / len(labels)""",
}
LOSS_INPUT = {"mse_loss": "Yp", "bce_loss": "P", "bce_with_logits_loss": "Z",
              "softmax_cross_entropy_loss": "Z"}


def _loss_return(unit: str, gradient: str, setup: str = "") -> str:
    lines = "".join("    " + line + "\n" for line in setup.splitlines())
    return lines + f"    return {LOSS_VALUES[unit]}, {gradient}\n"


def loss_patches(numeric: bool, units) -> list:
    return [("losses.py", LOSS_RETURNS[u],
             _loss_return(u, f"_g.astype({LOSS_INPUT[u]}.dtype)", LOSS_NUMERIC[u]) if numeric
             else _loss_return(u, f"np.zeros_like({LOSS_INPUT[u]})"))
            for u in units]


ELEMENTWISE_LOSSES = ["mse_loss", "bce_loss", "bce_with_logits_loss"]
# softmax cross-entropy by one complex pass per class: closed by its large case (32 x 4096)
NUMERIC_BACKWARD["softmax_ce_columns"] = (
    loss_patches(True, ["softmax_cross_entropy_loss"]),
    loss_patches(False, ["softmax_cross_entropy_loss"]), ["softmax_cross_entropy_loss"])


MAXPOOL_BACKWARD = ("            n, c, i, j = np.indices(best.shape, sparse=True)\n"
                    "            dX = np.zeros_like(X)\n"
                    "            np.add.at(dX, (n, c, i * s + best // k, j * s + best % k), D)\n"
                    "            return dX\n")
# MaxPool2D in k * k * m * m passes of a private forward (m = ceil(k / s): windows m
# apart share no pixel): every such window's pixel at one offset is raised by a step
# below any gap at once; a window whose output moved takes the gradient there, at its
# first such offset only (row-major: the reference's tie rule).
MAXPOOL_NUMERIC = body("""
_f = lambda A: sliding_window_view(A, (k, k), axis=(2, 3))[:, :, ::s, ::s].max(axis=(-2, -1))
_base = _f(X)
_m = -(-k // s)
_step = 4 * np.spacing(np.abs(X).max())  # moves any pixel, outranks none but a tie
_dX = np.zeros_like(X)
_taken = np.zeros(_base.shape, bool)
_I, _J = np.arange(_base.shape[2]), np.arange(_base.shape[3])
for _a in range(k):
    for _b in range(k):
        for _gi in range(_m):
            for _gj in range(_m):
                _group = np.zeros(_base.shape[2:], bool)
                _group[_gi::_m, _gj::_m] = True
                _moved = X.copy()
                _moved[:, :, (_I[_gi::_m] * s + _a)[:, None],
                       (_J[_gj::_m] * s + _b)[None, :]] += _step
                _here = (_f(_moved) != _base) & _group & ~_taken
                _taken |= _here
                _dX[:, :, (_I * s + _a)[:, None], (_J * s + _b)[None, :]] += np.where(_here, D, 0)
return _dX
""")
DROPOUT_BACKWARD = "            return D * keep\n"
# Dropout is linear once its mask is drawn: differences of a private forward with the
# closure's mask, h = 1, are exact (two passes).
DROPOUT_NUMERIC = body("""
_f = lambda A: A * keep
return D * (_f(X + 1.0) - _f(X - 1.0)) / 2
""")

NUMERIC_RESIDUAL = {  # name -> (patches, the zero-gradient twin's, units compared)
    "losses_numeric": (loss_patches(True, ELEMENTWISE_LOSSES),
                       loss_patches(False, ELEMENTWISE_LOSSES), ELEMENTWISE_LOSSES),
    "maxpool_offsets": ([("conv.py", MAXPOOL_BACKWARD, MAXPOOL_NUMERIC)],
                        [("conv.py", MAXPOOL_BACKWARD, body("return np.zeros_like(X)"))],
                        ["MaxPool2D"]),
    "dropout_differences": ([("layers.py", DROPOUT_BACKWARD, DROPOUT_NUMERIC)],
                            [("layers.py", DROPOUT_BACKWARD, body("return np.zeros_like(D)"))],
                            ["Dropout"]),
}
