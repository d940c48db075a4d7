"""nn100.gradcheck, the helper students call on their own layers."""
import numpy as np
import pytest

import nn100
from nn100.gradcheck import check_gradients, gradcheck, numerical_gradient, relative_error

X = np.random.default_rng(2).standard_normal((4, 3))


class HalfBiasLinear(nn100.Linear):
    """A Linear whose backward adds only half the bias gradient: a typical slip."""

    def forward(self, X):
        Y, backward = super().forward(X)

        def wrong_backward(D):
            dX = backward(D)
            self.bias.gradient -= 0.5 * D.sum(axis=0)
            return dX
        return Y, wrong_backward


def test_passes_on_reference_layers_and_networks(capsys):
    model = nn100.Sequential(nn100.Linear(3, 5, rng=0), nn100.Tanh(), nn100.Linear(5, 2, rng=1),
                             nn100.Softmax())
    assert gradcheck(model, X) is True
    printed = capsys.readouterr().out
    assert "layers[2].weights.gradient" in printed and printed.rstrip().endswith("PASSED")


def test_names_the_wrong_gradient():
    report = check_gradients(HalfBiasLinear(3, 2, rng=0), X)
    assert not report.ok
    assert len(report.failures) == 1 and report.failures[0].startswith("bias.gradient")


def test_restores_the_gradients_it_touched():
    layer = nn100.Linear(3, 2, rng=0)
    layer.weights.gradient[...] = 7.0
    check_gradients(layer, X)
    assert np.all(layer.weights.gradient == 7.0) and np.all(layer.bias.gradient == 0.0)


def test_refuses_random_forward_and_float32_with_a_reason():
    report = check_gradients(nn100.Dropout(0.5, rng=0), X)
    assert not report.ok and "layer.eval()" in report.failures[0]
    assert check_gradients(nn100.Dropout(0.5, rng=0).eval(), X).ok
    report = check_gradients(nn100.Linear(3, 2, rng=0, dtype=np.float32), X)
    assert not report.ok and "float32" in report.failures[0]


def test_a_backward_returning_none_or_a_wrong_shape_is_reported():
    class NoReturn(nn100.Layer):
        def forward(self, X):
            return 2 * X, lambda D: None

    class WrongShape(nn100.Layer):
        def forward(self, X):
            return 2 * X, lambda D: D[:, :1]

    assert "returned None" in check_gradients(NoReturn(), X).failures[0]
    assert "shape (4, 1), expected (4, 3)" in check_gradients(WrongShape(), X).failures[0]


def test_an_exactly_right_gradient_is_compared_not_skipped():
    """Identity layer, integer inputs, a power-of-two step: the numeric gradient is exactly
    the analytic one (error 0). With a loose bound every element is far inside it; each
    must still be compared and reported (it once said "nothing to compare")."""
    X = np.arange(12.0).reshape(3, 4)
    report = check_gradients(nn100.Layer(), X, D=np.ones((3, 4)), eps=2.0 ** -20, atol=1.0)
    assert report.ok and len(report.lines) == 1, report
    assert "12 elements ok" in report.lines[0] and "error 0.0e+00" in report.lines[0], report
    # large gradients under the default bound take the same path
    class Scale(nn100.Layer):
        def forward(self, X):
            return 3e4 * X, lambda D: 3e4 * D

    report = check_gradients(Scale(), X)
    assert report.ok and "elements ok  (worst at" in report.lines[0], report


def test_a_nan_gradient_is_the_worst_element():
    class NaNAtOne(nn100.Layer):
        def forward(self, X):
            def backward(D):
                dX = D.copy()
                dX[1, 2] = np.nan
                return dX
            return X, backward

    report = check_gradients(NaNAtOne(), X)
    assert not report.ok and "worst at [1, 2]" in report.failures[0], report


def test_numerical_gradient_matches_exact_derivatives_and_restores_its_input():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((3, 4))
    before = A.copy()
    found = numerical_gradient(lambda: float(np.sum(np.sin(A)) + np.sum(A ** 3)), A)
    assert np.array_equal(A, before)
    assert relative_error(found, np.cos(A) + 3 * A ** 2) < 1e-9
    B = rng.standard_normal((4, 2))  # a bilinear form: the gradient is the other factor
    assert relative_error(numerical_gradient(lambda: float(np.sum(A @ B)), A),
                          np.ones((3, 2)) @ B.T) < 1e-9


def test_relative_error_is_one_number_for_whole_arrays():
    assert relative_error(np.ones((2, 3)), np.ones((2, 3))) == 0.0
    assert abs(relative_error([1.0, 0.0], [0.0, 1.0]) - 2 ** 0.5 / 2) < 1e-15
    assert abs(relative_error([2.0, 4.0], [1.0, 2.0]) - 1 / 3) < 1e-15  # a factor of 2: 1/3
    # an element that is (nearly) zero in both does not blow it up
    assert relative_error([1.0, 1e-13], [1.0, 0.0]) < 1e-13
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    with pytest.raises(ValueError, match=r"shapes \(2,\) and \(3,\) differ"):
        relative_error(np.ones(2), np.ones(3))
