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
"""
import numpy as np

from .layers import Parameter


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
    added = [param.gradient - old for (_, param), old in zip(params, before)]
    for (_, param), old in zip(params, before):
        param.gradient[...] = old  # leave the layer as we found it

    compare(report, "dX (returned)", dX, X, X, loss, eps, atol, rtol, max_elements, rng)
    for (name, param), analytic in zip(params, added):
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
    worst, worst_index, worst_numeric = -1.0, None, 0.0
    for index in indexes:
        original = tensor[index]
        tensor[index] = original + eps
        plus = loss()
        tensor[index] = original - eps
        minus = loss()
        tensor[index] = original
        numeric = (plus - minus) / (2 * eps)
        excess = abs(analytic[index] - numeric) - (atol + rtol * abs(numeric))
        if excess > worst:
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
