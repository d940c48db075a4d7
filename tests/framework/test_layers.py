import numpy as np
import pytest

import nn100 as nn
from numeric import (GRAD_TOLERANCE, assert_accumulates_and_mutates_nothing, away_from_zero,
                     layer_gradient_errors)

# (batch, inputs, outputs): a batch of 1, odd sizes
SHAPES = [(1, 3, 2), (5, 7, 3), (4, 1, 1), (6, 2, 5)]

ELEMENTWISE = [nn.ReLU, nn.Sigmoid, nn.Tanh, lambda: nn.LeakyReLU(0.1), nn.Softmax, nn.Layer]


def make_linear(inputs, outputs, seed):
    layer = nn.Linear(inputs, outputs, rng=seed)
    # not all zeros
    layer.bias.tensor[...] = np.random.default_rng(seed + 1).standard_normal(outputs)
    return layer


@pytest.mark.parametrize("batch, inputs, outputs", SHAPES)
def test_linear_gradients_match_finite_differences(batch, inputs, outputs):
    rng = np.random.default_rng(batch * 100 + inputs)
    errors = layer_gradient_errors(make_linear(inputs, outputs, 0),
                                   rng.standard_normal((batch, inputs)), rng)
    assert set(errors) == {"input", "parameter 0", "parameter 1"}
    assert max(errors.values()) < GRAD_TOLERANCE, errors


@pytest.mark.parametrize("make_layer", ELEMENTWISE)
@pytest.mark.parametrize("shape", [(1, 1), (1, 4), (5, 3)])
def test_activation_gradients_match_finite_differences(make_layer, shape):
    rng = np.random.default_rng(sum(shape))
    errors = layer_gradient_errors(make_layer(), away_from_zero(rng, shape), rng)
    assert max(errors.values()) < GRAD_TOLERANCE, errors


def test_sequential_gradients_match_finite_differences():
    rng = np.random.default_rng(3)
    model = nn.Sequential(make_linear(4, 6, 1), nn.Tanh(), make_linear(6, 5, 2), nn.LeakyReLU(),
                          make_linear(5, 3, 3), nn.Softmax())
    errors = layer_gradient_errors(model, rng.standard_normal((7, 4)), rng)
    assert len(errors) == 7
    assert max(errors.values()) < GRAD_TOLERANCE, errors


def test_dropout_gradient_matches_finite_differences_for_a_fixed_mask():
    class FixedMaskDropout(nn.Dropout):
        def forward(self, X):
            self.rng = np.random.default_rng(7)  # the same mask on every call
            return super().forward(X)

    rng = np.random.default_rng(0)
    errors = layer_gradient_errors(FixedMaskDropout(0.3), rng.standard_normal((6, 5)), rng)
    assert errors["input"] < GRAD_TOLERANCE


class LinearBiasNotSummed(nn.Linear):
    def forward(self, X):
        Y, backward = super().forward(X)

        def wrong_backward(D):
            dX = backward(D)
            self.bias.gradient[...] = D[0]  # one sample instead of the sum over the batch
            return dX
        return Y, wrong_backward


class SigmoidDerivativeOfInput(nn.Layer):
    def forward(self, X):
        Y = 1 / (1 + np.exp(-X))
        return Y, lambda D: D * X * (1 - X)  # derivative taken at X instead of at Y


class SoftmaxDiagonalOnly(nn.Layer):
    def forward(self, X):
        Y, _ = nn.Softmax().forward(X)
        return Y, lambda D: D * Y * (1 - Y)  # ignores the off-diagonal Jacobian terms


@pytest.mark.parametrize("wrong_layer", [LinearBiasNotSummed(3, 2, rng=0),
                                         SigmoidDerivativeOfInput(), SoftmaxDiagonalOnly()])
def test_the_gradient_check_catches_wrong_layers(wrong_layer):
    rng = np.random.default_rng(1)
    errors = layer_gradient_errors(wrong_layer, away_from_zero(rng, (4, 3)), rng)
    assert max(errors.values()) > 1e-2, errors


@pytest.mark.parametrize("make_layer", [lambda: make_linear(3, 4, 0), *ELEMENTWISE,
                                        lambda: nn.Sequential(make_linear(3, 3, 0), nn.ReLU())])
def test_backward_accumulates_and_mutates_nothing(make_layer):
    layer = make_layer()
    rng = np.random.default_rng(2)
    X = away_from_zero(rng, (5, 3))
    assert_accumulates_and_mutates_nothing(layer, X, rng)


@pytest.mark.parametrize("make_layer", [lambda: nn.Linear(3, 4, rng=0, dtype=np.float32),
                                        *ELEMENTWISE, lambda: nn.Dropout(0.5, rng=0)])
def test_float32_in_float32_out(make_layer):
    layer = make_layer()
    X = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    Y, backward = layer.forward(X)
    dX = backward(np.ones_like(Y))
    assert Y.dtype == np.float32 and dX.dtype == np.float32
    assert all(p.gradient.dtype == np.float32 for p in layer.parameters)


def test_linear_initialisation_is_reproducible_and_scaled():
    a, b = nn.Linear(400, 300, rng=5), nn.Linear(400, 300, rng=5)
    np.testing.assert_array_equal(a.weights.tensor, b.weights.tensor)
    assert a.weights.tensor.shape == (400, 300) and a.bias.tensor.shape == (300,)
    assert abs(a.weights.tensor.std() - np.sqrt(1 / 400)) < 0.002
    assert not a.bias.tensor.any()
    assert nn.Linear(2, 2, dtype=np.float32).weights.tensor.dtype == np.float32


def test_forward_values_worked_by_hand():
    linear = nn.Linear(2, 1)
    linear.weights.tensor[...] = [[2.0], [-1.0]]
    linear.bias.tensor[...] = [0.5]
    np.testing.assert_allclose(linear.forward(np.array([[1.0, 3.0]]))[0], [[-0.5]])
    X = np.array([[-2.0, 0.0, 3.0]])
    np.testing.assert_allclose(nn.ReLU().forward(X)[0], [[0, 0, 3]])
    np.testing.assert_allclose(nn.LeakyReLU(0.1).forward(X)[0], [[-0.2, 0, 3]])
    np.testing.assert_allclose(nn.Sigmoid().forward(np.array([[0.0, np.log(3)]]))[0], [[0.5, 0.75]])
    np.testing.assert_allclose(nn.Softmax().forward(np.array([[0.0, np.log(3)]]))[0],
                               [[0.25, 0.75]])


def test_sigmoid_and_softmax_are_stable_for_extreme_inputs():
    X = np.array([[-1e4, -800.0, 0.0, 800.0, 1e4]])
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # what numpy would warn about
        S, _ = nn.Sigmoid().forward(X)
        P, _ = nn.Softmax().forward(X)
    np.testing.assert_allclose(S, [[0, 0, 0.5, 1, 1]], atol=1e-300)
    np.testing.assert_allclose(P.sum(), 1.0)
    assert P[0, -1] == 1.0


def test_relu_alias_is_the_posts_spelling():
    assert nn.ReLu is nn.ReLU


def test_sequential_runs_layers_in_order_and_closures_in_reverse():
    calls = []

    class Recorder(nn.Layer):
        def __init__(self, name, factor):
            super().__init__()
            self.name, self.factor = name, factor

        def forward(self, X):
            calls.append(f"forward {self.name}")

            def backward(D):
                calls.append(f"backward {self.name}")
                return D * self.factor
            return X * self.factor, backward

    model = nn.Sequential(Recorder("a", 2.0), Recorder("b", 3.0), Recorder("c", 5.0))
    Y, backward = model.forward(np.ones((1, 1)))
    dX = backward(np.ones((1, 1)))
    assert calls == ["forward a", "forward b", "forward c",
                     "backward c", "backward b", "backward a"]
    assert Y[0, 0] == 30 and dX[0, 0] == 30


def test_a_layer_used_twice_accumulates_both_uses_and_is_updated_once():
    shared = make_linear(3, 3, 0)
    model = nn.Sequential(shared, nn.Tanh(), shared)
    assert model.parameters == [shared.weights, shared.bias]
    rng = np.random.default_rng(4)
    errors = layer_gradient_errors(model, rng.standard_normal((4, 3)), rng)
    assert max(errors.values()) < GRAD_TOLERANCE, errors

    class CountingOptimizer:
        def __init__(self):
            self.seen = []

        def update(self, param):
            self.seen.append(param)

    optimizer = CountingOptimizer()
    model.update(optimizer)
    assert optimizer.seen == [shared.weights, shared.bias]


def test_train_and_eval_reach_every_layer_and_switch_dropout():
    dropout = nn.Dropout(0.5, rng=0)
    model = nn.Sequential(nn.Linear(3, 3, rng=0), nn.Sequential(dropout))
    assert dropout.training
    model.eval()
    assert not model.training and not dropout.training
    X = np.ones((4, 3))
    np.testing.assert_array_equal(dropout.forward(X)[0], X)
    model.train()
    assert dropout.training
    assert (dropout.forward(X)[0] == 0).any()


def test_dropout_is_inverted_and_drops_at_rate_p():
    X = np.ones((200, 500))
    Y, backward = nn.Dropout(0.3, rng=1).forward(X)
    dropped = np.mean(Y == 0)
    assert abs(dropped - 0.3) < 0.01
    np.testing.assert_allclose(Y[Y != 0], 1 / 0.7)
    assert abs(Y.mean() - 1) < 0.02  # expectation preserved
    np.testing.assert_array_equal(backward(X), Y)  # same mask and scale on the way back
    with pytest.raises(ValueError, match="Dropout: p must be in"):
        nn.Dropout(1.0)


@pytest.mark.parametrize("X, found", [(np.ones((5, 4)), r"\(5, 4\)"), (np.ones(3), r"\(3,\)"),
                                      ([[1, 2, 3]], "None")])
def test_linear_names_the_expected_and_the_found_shape(X, found):
    with pytest.raises(ValueError, match=r"Linear.forward: expected input of shape "
                                         rf"\(N, \.\.\., 3\), got {found}"):
        nn.Linear(3, 2).forward(X)


def test_a_first_layer_on_data_can_skip_its_input_gradient():
    rng = np.random.default_rng(0)
    X, D = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    full, data_only = nn.Linear(3, 2, rng=1), nn.Linear(3, 2, rng=1, input_gradient=False)
    assert full.input_gradient is True and data_only.input_gradient is False
    assert full.forward(X)[1](D).shape == (4, 3)
    assert data_only.forward(X)[1](D) is None
    np.testing.assert_array_equal(data_only.weights.gradient, full.weights.gradient)
    np.testing.assert_array_equal(data_only.bias.gradient, full.bias.gradient)
    model = nn.Sequential(nn.Linear(3, 2, rng=1, input_gradient=False), nn.ReLU(),
                          nn.Linear(2, 2, rng=2))
    assert model.forward(X)[1](np.ones((4, 2))) is None
