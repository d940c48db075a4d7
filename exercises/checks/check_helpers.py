"""Small helpers shared by the visible checks."""
import numpy as np

import nn100
from nn100.gradcheck import check_gradients, numerical_gradient


def random(*shape, seed=7):
    return np.random.default_rng(seed).standard_normal(shape)


class Scale(nn100.Layer):
    """A tiny layer for the Sequential and Residual checks (so they do not depend on your
    Linear): Y = X * w, one weight per column."""

    def __init__(self, w):
        super().__init__()
        self.w = self.build_param(np.array(w, dtype=np.float64))

    def forward(self, X):
        def backward(D):
            self.w.gradient += (X * D).sum(axis=0)
            return D * self.w.tensor
        return X * self.w.tensor, backward


def assert_gradients_match(layer, X):
    """Fail with the first wrong gradient when backward disagrees with finite differences."""
    report = check_gradients(layer, X)
    assert report.ok, (f"{type(layer).__name__}: backward disagrees with finite differences: "
                       f"{report.failures[0]}\n{report}")


def numeric_gradient(loss_fn, Yp, Yt, eps=1e-6):
    """Central differences of loss_fn(Yp, Yt)[0] with respect to every element of Yp."""
    Yp = np.array(Yp, dtype=np.float64)  # a copy: the differences perturb it
    return numerical_gradient(lambda: loss_fn(Yp, Yt)[0], Yp, eps)


def assert_close(found, expected, what, atol=1e-8):
    found = np.asarray(found)
    expected = np.asarray(expected)
    assert found.shape == expected.shape, f"{what}: shape {found.shape}, expected {expected.shape}"
    assert np.allclose(found, expected, atol=atol, rtol=1e-6), \
        f"{what}: got {one_line(found)}, expected {one_line(expected)}"


def one_line(array) -> str:
    return " ".join(np.array2string(np.asarray(array), precision=4, separator=", ").split())


def overflow_is_an_error():
    """A context in which overflow, 0/0 and log(0) raise instead of warning (underflow to 0
    is fine)."""
    return np.errstate(over="raise", invalid="raise", divide="raise")
