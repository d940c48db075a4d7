"""Helpers for checking gradients by finite differences (given code: do not edit;
the autograder uses its own copy of this file)."""
import numpy as np


def numerical_gradient(f, X: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """The gradient of the scalar f() with respect to the array X, by central
    differences: (f(X + eps e_i) - f(X - eps e_i)) / (2 eps) for every element i.

    f takes no argument and reads X, which is changed in place and restored.
    """
    gradient = np.zeros_like(X, dtype=np.float64)
    for index in np.ndindex(X.shape):
        saved = X[index]
        X[index] = saved + eps
        plus = f()
        X[index] = saved - eps
        minus = f()
        X[index] = saved
        gradient[index] = (plus - minus) / (2 * eps)
    return gradient


def relative_error(a, b) -> float:
    """The largest |a - b| / max(1e-8, |a| + |b|) over the elements: about 1e-7 or
    less for a correct float64 gradient, 1e-2 or more for a wrong one."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"relative_error: shapes {a.shape} and {b.shape} differ")
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)), initial=0.0))


def layer_loss(layer, X: np.ndarray, D: np.ndarray):
    """A scalar whose gradient with respect to the layer's output is exactly D:
    sum(forward(X) * D).  Use it with numerical_gradient to check a backward pass."""
    return lambda: float(np.sum(layer.forward(X)[0] * D))
