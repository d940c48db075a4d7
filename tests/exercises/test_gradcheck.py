"""nn100.gradcheck, the helper students call on their own layers."""
import numpy as np

import nn100
from nn100.gradcheck import check_gradients, gradcheck

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
