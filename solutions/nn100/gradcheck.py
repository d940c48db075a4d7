"""Check a layer's backward against finite differences: a tool for your own layers.

    from nn100.gradcheck import gradcheck
    gradcheck(Linear(3, 2), np.random.default_rng(0).standard_normal((5, 3)))

The check turns the layer into a number, L = sum(Y * D) for a fixed random D, whose
gradient with respect to Y is exactly D. So ``backward(D)`` must return dL/dX and add
dL/dW into each parameter's gradient. Each of those is compared, element by element, with
the central difference (L(x + eps) - L(x - eps)) / (2 eps), which is accurate to about
1e-9 in float64. An element passes when |analytic - numeric| <= atol + rtol * |numeric|.

It needs float64 inputs and parameters (float32 rounding swamps the differences) and a
forward pass that gives the same output twice: check Dropout with ``layer.eval()`` or
p=0. Points where the function has a kink (ReLU at 0) can fail for a correct layer:
keep inputs away from them.

The two pieces it is built from are yours to use on anything else (a loss, a network):
``numerical_gradient(f, X)`` (central differences of a scalar ``f()`` that reads ``X``)
and ``relative_error(a, b)`` (one number for how far two gradients are apart).
"""
import numpy as np

from .layers import Parameter


def central_difference(f, X: np.ndarray, index, eps: float = 1e-6) -> float:
    """(f() with X[index] + eps  -  f() with X[index] - eps) / (2 eps).

    f takes no argument and reads X, which is changed in place and then restored.
    """
    saved = X[index]
    X[index] = saved + eps
    plus = f()
    X[index] = saved - eps
    minus = f()
    X[index] = saved
    return (plus - minus) / (2 * eps)


def numerical_gradient(f, X: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """The gradient of the scalar f() with respect to every element of the array X,
    by central differences (see ``central_difference``)."""
    gradient = np.zeros(np.shape(X), dtype=np.float64)
    for index in np.ndindex(np.shape(X)):
        gradient[index] = central_difference(f, X, index, eps)
    return gradient


def relative_error(a, b) -> float:
    """||a - b|| / (||a|| + ||b||): about 1e-9 for a correct float64 gradient against
    central differences, 1e-2 or more for a wrong one. Norms of the whole arrays, so an
    element that is nearly 0 in both cannot blow it up."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"relative_error: shapes {a.shape} and {b.shape} differ")
    scale = max(float(np.linalg.norm(a) + np.linalg.norm(b)), 1e-12)
    return float(np.linalg.norm(a - b)) / scale


class Report:
    """The outcome of a gradient check: true when every compared gradient matched."""

    def __init__(self, title: str):
        self.title = title
        self.lines: list[str] = []
        self.failures: list[str] = []  # the lines that failed, for a one-line summary

    @property
    def ok(self) -> bool:
        return not self.failures

    def add(self, line: str, ok: bool = True) -> None:
        self.lines.append(line)
        if not ok:
            self.failures.append(line)

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        verdict = "PASSED" if self.ok else "FAILED"
        return "\n".join([self.title, *("  " + line for line in self.lines), verdict])


def check_gradients(layer, X, D=None, eps: float = 1e-6, atol: float = 1e-6,
                    rtol: float = 1e-4, max_elements: int = 200, seed: int = 0) -> Report:
    """Compare ``layer``'s backward with central differences; see the module docstring.

    X: the input to check at.  D: the upstream gradient (default: standard normal, like Y).
    At most ``max_elements`` elements of X and of each parameter are compared (a random
    sample when there are more).  The layer's gradients are restored afterwards.
    """
    rng = np.random.default_rng(seed)
    X = np.array(X, dtype=np.float64)  # a copy: the check perturbs it
    report = Report(f"gradcheck {type(layer).__name__} at X {X.shape}, eps={eps:g}, "
                    f"bound {atol:g} + {rtol:g} * |numeric|")
    Y, backward = layer.forward(X)
    Y2, _ = layer.forward(X)
    if np.shape(Y) != np.shape(Y2) or not np.array_equal(Y, Y2):
        report.add("forward gave different outputs for the same X (random, like Dropout in "
                   "training mode?): call layer.eval() or check it with p=0", ok=False)
        return report
    for name, param in named_parameters(layer):
        if param.tensor.dtype != np.float64:
            report.add(f"{name} is {param.tensor.dtype}: create the layer with float64 "
                       "parameters for a gradient check", ok=False)
    if not report.ok:
        return report
    D = rng.standard_normal(np.shape(Y)) if D is None else np.asarray(D, dtype=np.float64)

    def loss() -> float:
        return float(np.sum(layer.forward(X)[0] * D))

    params = named_parameters(layer)
    before = [param.gradient.copy() for _, param in params]
    dX = backward(D)
    added = [param.gradient - old for (_, param), old in zip(params, before, strict=True)]
    for (_, param), old in zip(params, before, strict=True):
        param.gradient[...] = old  # leave the layer as we found it

    compare(report, "dX (returned)", dX, X, X, loss, eps, atol, rtol, max_elements, rng)
    for (name, param), analytic in zip(params, added, strict=True):
        compare(report, f"{name}.gradient", analytic, param.tensor, X, loss, eps, atol, rtol,
                max_elements, rng)
    return report


def gradcheck(layer, X, D=None, verbose: bool = True, **options) -> bool:
    """Run ``check_gradients``, print its report (unless verbose=False), return pass/fail."""
    report = check_gradients(layer, X, D, **options)
    if verbose:
        print(report)
    return report.ok


def named_parameters(layer) -> list[tuple[str, Parameter]]:
    """The layer's distinct parameters, named by attribute (``weights``, ``layers[2].bias``)."""
    names = {}

    def visit(part, prefix):
        for key, value in vars(part).items():
            if isinstance(value, Parameter):
                names.setdefault(id(value), prefix + key)
        for index, inner in enumerate(getattr(part, "layers", ())):
            visit(inner, f"{prefix}layers[{index}].")

    visit(layer, "")
    distinct = list(dict.fromkeys(layer.parameters))
    return [(names.get(id(param), f"parameters[{index}]"), param)
            for index, param in enumerate(distinct)]


def compare(report, name, analytic, tensor, X, loss, eps, atol, rtol, max_elements, rng):
    """Compare one analytic gradient with central differences over ``tensor``'s elements."""
    if analytic is None:
        report.add(f"{name}: backward returned None; it must return the gradient", ok=False)
        return
    analytic = np.asarray(analytic)
    if analytic.shape != tensor.shape:
        report.add(f"{name}: shape {analytic.shape}, expected {tensor.shape}", ok=False)
        return
    indexes = list(np.ndindex(tensor.shape))
    if len(indexes) > max_elements:
        indexes = [indexes[i] for i in rng.choice(len(indexes), max_elements, replace=False)]
    # the element furthest past (or least inside) its bound; any element beats none
    worst, worst_index, worst_numeric = None, None, 0.0
    for index in indexes:
        numeric = central_difference(loss, tensor, index, eps)
        excess = abs(analytic[index] - numeric) - (atol + rtol * abs(numeric))
        if np.isnan(excess):  # a NaN gradient is as wrong as it gets
            excess = np.inf
        if worst is None or excess > worst:
            worst, worst_index, worst_numeric = excess, index, numeric
    if worst_index is None:
        report.add(f"{name} {tensor.shape}: nothing to compare")
        return
    error = abs(analytic[worst_index] - worst_numeric)
    ok = worst <= 0
    detail = f"worst at {list(worst_index)}: analytic {analytic[worst_index]:.6g}, " \
             f"numeric {worst_numeric:.6g}, error {error:.1e}"
    report.add(f"{name} {tensor.shape}: {len(indexes)} elements "
               f"{'ok' if ok else 'WRONG'}  ({detail})", ok=ok)
