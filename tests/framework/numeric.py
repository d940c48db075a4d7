"""Central finite differences in float64, shared by the framework tests.

The differences and the relative error are nn100.gradcheck's (the one home of both, given
to students); tests/exercises/test_gradcheck.py holds them against exact derivatives.

The bound: with h = 1e-6 the central difference has truncation error about
h^2 |f'''| (~1e-12 here) and rounding error about eps |f| / h (~1e-10 for |f| ~ 1),
so analytic and numeric gradients of a correct float64 layer agree to a relative
error near 1e-9. GRAD_TOLERANCE = 1e-6 leaves a thousandfold margin for that, while
every wrong gradient we know of (a missing term, a wrong factor, a transposed
matrix) is off by more than 1e-2.
"""
import numpy as np
from nn100.gradcheck import numerical_gradient, relative_error

H = 1e-6
GRAD_TOLERANCE = 1e-6


def numeric_gradient(f, array: np.ndarray) -> np.ndarray:
    """d f() / d array by central differences with step H, perturbing ``array`` in place."""
    return numerical_gradient(f, array, H)


def layer_gradient_errors(layer, X: np.ndarray, rng) -> dict[str, float]:
    """Relative errors of backward against finite differences of forward, for the
    input and every parameter. The scalar checked is sum(forward(X) * R), R random,
    so that backward(R) is its exact gradient.
    """
    Y, backward = layer.forward(X)
    R = rng.standard_normal(Y.shape)
    for param in layer.parameters:
        param.gradient[...] = 0
    dX = backward(R)

    def f():
        return float(np.sum(layer.forward(X)[0] * R))

    errors = {"input": relative_error(dX, numeric_gradient(f, X))}
    for i, param in enumerate(layer.parameters):
        errors[f"parameter {i}"] = relative_error(param.gradient, numeric_gradient(f, param.tensor))
    return errors


def away_from_zero(rng, shape) -> np.ndarray:
    """Random values with |x| >= 0.1, so finite differences never straddle a ReLU kink."""
    X = rng.standard_normal(shape)
    return np.sign(X) * (0.1 + np.abs(X))


def assert_accumulates_and_mutates_nothing(layer, X: np.ndarray, rng) -> None:
    """One closure called twice with the same D: the same dX both times, every parameter
    gradient added to (twice the first call's), and X, D and the tensors left as given."""
    X_before = X.copy()
    tensors_before = [p.tensor.copy() for p in layer.parameters]
    Y, backward = layer.forward(X)
    D = rng.standard_normal(Y.shape)
    D_before = D.copy()
    dX_once = backward(D).copy()
    once = [p.gradient.copy() for p in layer.parameters]
    np.testing.assert_allclose(backward(D), dX_once)
    for param, first in zip(layer.parameters, once, strict=True):
        np.testing.assert_allclose(param.gradient, 2 * first)  # added, not overwritten
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(D, D_before)
    for param, before in zip(layer.parameters, tensors_before, strict=True):
        np.testing.assert_array_equal(param.tensor, before)
