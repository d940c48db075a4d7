"""Helpers for checking gradients by finite differences (given code: do not edit;
the autograder uses its own copy of this file).  numerical_gradient and relative_error
are the ones of the nn100 package's gradcheck module."""
import numpy as np

# include: gradcheck.central_difference
# include: gradcheck.numerical_gradient
# include: gradcheck.relative_error


def layer_loss(layer, X: np.ndarray, D: np.ndarray):
    """A scalar whose gradient with respect to the layer's output is exactly D:
    sum(forward(X) * D).  Use it with numerical_gradient to check a backward pass."""
    return lambda: float(np.sum(layer.forward(X)[0] * D))
