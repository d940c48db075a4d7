"""Visible checks for the layers (chapters 1 and 3).

These are a first safety net, not the graded tests: the grader checks more shapes,
more properties and edge cases. Passing here is necessary, not sufficient.
"""
import numpy as np
import pytest

import nn100
from check_helpers import (Scale, assert_close, assert_gradients_match, overflow_is_an_error,
                           random)


def away_from_zero(*shape, seed=7):
    """Random values with |x| >= 0.1, so no element sits on a kink (ReLU at 0)."""
    X = random(*shape, seed=seed)
    return np.where(X >= 0, X + 0.1, X - 0.1)


def small_linear():
    layer = nn100.Linear(2, 3)
    layer.weights.tensor[...] = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    layer.bias.tensor[...] = [0.5, 0.0, -0.5]
    return layer


# ---- 1.1 and 1.2: Linear ----------------------------------------------------------

@pytest.mark.exercise("1.1")
def test_linear_forward_by_hand():
    Y, backward = small_linear().forward(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))
    assert_close(Y, [[1.5, 2.0, 2.5], [4.5, 5.0, 5.5], [5.5, 7.0, 8.5]], "Linear.forward")
    assert callable(backward), "Linear.forward must return (Y, backward) with backward a function"


@pytest.mark.exercise("1.2")
def test_linear_backward_by_hand():
    layer = small_linear()
    _, backward = layer.forward(np.array([[1.0, 2.0]]))
    dX = backward(np.array([[1.0, 0.0, -1.0]]))
    assert_close(dX, [[-2.0, -2.0]], "Linear backward: dX")
    assert_close(layer.weights.gradient, [[1.0, 0.0, -1.0], [2.0, 0.0, -2.0]],
                 "Linear backward: weights.gradient")
    assert_close(layer.bias.gradient, [1.0, 0.0, -1.0], "Linear backward: bias.gradient")


@pytest.mark.exercise("1.2")
def test_linear_backward_matches_finite_differences():
    assert_gradients_match(nn100.Linear(3, 2, rng=0), random(4, 3))


@pytest.mark.exercise("1.2")
def test_linear_backward_accumulates():
    layer = nn100.Linear(3, 2, rng=0)
    X, D = random(4, 3), random(4, 2, seed=8)
    _, backward = layer.forward(X)
    backward(D)
    once = layer.weights.gradient.copy()
    backward(D)
    assert_close(layer.weights.gradient, 2 * once,
                 "Linear backward called twice: weights.gradient should double "
                 "(each call adds its share)")


# ---- 1.3 to 1.6: ReLU and Sigmoid -------------------------------------------------

@pytest.mark.exercise("1.3")
def test_relu_forward_by_hand():
    Y, _ = nn100.ReLU().forward(np.array([[-2.0, -0.5, 0.5, 3.0]]))
    assert_close(Y, [[0.0, 0.0, 0.5, 3.0]], "ReLU.forward")


@pytest.mark.exercise("1.4")
def test_relu_backward_by_hand():
    _, backward = nn100.ReLU().forward(np.array([[-2.0, -0.5, 0.5, 3.0]]))
    assert_close(backward(np.array([[5.0, 5.0, 5.0, 5.0]])), [[0.0, 0.0, 5.0, 5.0]],
                 "ReLU backward")


@pytest.mark.exercise("1.4")
def test_relu_backward_matches_finite_differences():
    assert_gradients_match(nn100.ReLU(), away_from_zero(3, 4))


@pytest.mark.exercise("1.5")
def test_sigmoid_forward_by_hand():
    Y, _ = nn100.Sigmoid().forward(np.array([[0.0, np.log(3.0), -np.log(3.0)]]))
    assert_close(Y, [[0.5, 0.75, 0.25]], "Sigmoid.forward")


@pytest.mark.exercise("1.5")
def test_sigmoid_forward_extremes_without_warnings():
    with overflow_is_an_error():
        Y, _ = nn100.Sigmoid().forward(np.array([[-1000.0, 1000.0]]))
    assert_close(Y, [[0.0, 1.0]], "Sigmoid.forward at -1000 and 1000")


@pytest.mark.exercise("1.6")
def test_sigmoid_backward_matches_finite_differences():
    assert_gradients_match(nn100.Sigmoid(), random(3, 4))


# ---- 1.7 to 1.9: Sequential ------------------------------------------------------

@pytest.mark.exercise("1.7")
def test_sequential_parameters_in_order():
    first, second = Scale([1.0, 2.0]), Scale([3.0, 4.0])
    model = nn100.Sequential(first, nn100.Layer(), second)
    assert model.parameters == [first.w, second.w], \
        "Sequential.parameters should list the layers' parameters in order"


@pytest.mark.exercise("1.7")
def test_sequential_parameters_once_when_a_layer_is_reused():
    shared = Scale([1.0, 2.0])
    model = nn100.Sequential(shared, shared)
    assert model.parameters == [shared.w], \
        f"a layer used twice should contribute its parameters once, got {len(model.parameters)}"


@pytest.mark.exercise("1.8")
def test_sequential_forward_applies_layers_in_order():
    model = nn100.Sequential(Scale([2.0, 3.0]), Scale([10.0, -1.0]))
    Y, backward = model.forward(np.array([[1.0, 1.0]]))
    assert_close(Y, [[20.0, -3.0]], "Sequential.forward")
    assert callable(backward), "Sequential.forward must return (Y, backward)"


@pytest.mark.exercise("1.8")
def test_sequential_train_and_eval_reach_every_layer():
    model = nn100.Sequential(Scale([1.0]), Scale([2.0]))
    model.eval()
    assert [layer.training for layer in model.layers] == [False, False], \
        "Sequential.eval(): every layer should be in evaluation mode after it"
    model.train()
    assert [layer.training for layer in model.layers] == [True, True], \
        "Sequential.train(): every layer should be in training mode after it"


@pytest.mark.exercise("1.9")
def test_sequential_backward_by_hand():
    first, second = Scale([2.0, 3.0]), Scale([10.0, -1.0])
    _, backward = nn100.Sequential(first, second).forward(np.array([[1.0, 1.0]]))
    assert_close(backward(np.array([[1.0, 1.0]])), [[20.0, -3.0]], "Sequential backward: dX")
    assert_close(first.w.gradient, [10.0, -1.0], "Sequential backward: first layer's gradient")


@pytest.mark.exercise("1.9")
def test_sequential_backward_with_a_reused_layer():
    shared = Scale([2.0, -0.5, 1.5])
    assert_gradients_match(nn100.Sequential(shared, Scale([1.0, 2.0, 3.0]), shared), random(4, 3))


# ---- 3.1 to 3.8: Tanh, LeakyReLU, Softmax, Dropout --------------------------------

@pytest.mark.exercise("3.1")
def test_tanh_forward_by_hand():
    Y, _ = nn100.Tanh().forward(np.array([[0.0, 1.0, -1.0]]))
    assert_close(Y, [[0.0, 0.76159416, -0.76159416]], "Tanh.forward")


@pytest.mark.exercise("3.1")
def test_tanh_forward_keeps_float32():
    Y, _ = nn100.Tanh().forward(np.array([[0.5, -1.0]], dtype=np.float32))
    assert Y.dtype == np.float32, f"Tanh.forward of a float32 input returned {Y.dtype}"


@pytest.mark.exercise("3.2")
def test_tanh_backward_matches_finite_differences():
    assert_gradients_match(nn100.Tanh(), random(3, 4))


@pytest.mark.exercise("3.3")
def test_leaky_relu_forward_by_hand():
    Y, _ = nn100.LeakyReLU(slope=0.1).forward(np.array([[-2.0, 3.0]]))
    assert_close(Y, [[-0.2, 3.0]], "LeakyReLU(slope=0.1).forward")


@pytest.mark.exercise("3.4")
def test_leaky_relu_backward_matches_finite_differences():
    assert_gradients_match(nn100.LeakyReLU(slope=0.2), away_from_zero(3, 4))


@pytest.mark.exercise("3.5")
def test_softmax_forward_by_hand():
    Y, _ = nn100.Softmax().forward(np.array([[0.0, np.log(3.0)], [5.0, 5.0]]))
    assert_close(Y, [[0.25, 0.75], [0.5, 0.5]], "Softmax.forward")


@pytest.mark.exercise("3.5")
def test_softmax_forward_large_inputs():
    with overflow_is_an_error():
        Y, _ = nn100.Softmax().forward(np.array([[1000.0, 0.0]]))
    assert_close(Y, [[1.0, 0.0]], "Softmax.forward at [1000, 0]")


@pytest.mark.exercise("3.6")
def test_softmax_backward_matches_finite_differences():
    assert_gradients_match(nn100.Softmax(), random(3, 4))


@pytest.mark.exercise("3.7")
def test_dropout_forward_in_training():
    X = np.ones((200, 50))
    Y, _ = nn100.Dropout(p=0.25, rng=0).forward(X)
    assert Y.shape == X.shape, f"Dropout.forward: shape {Y.shape}, expected {X.shape}"
    kept = np.isclose(Y, 1 / 0.75)
    assert np.all(kept | (Y == 0)), "Dropout.forward: each output should be 0 or X / (1 - p)"
    assert 0.7 < kept.mean() < 0.8, f"Dropout(p=0.25) kept {kept.mean():.0%} of the inputs"


@pytest.mark.exercise("3.7")
def test_dropout_forward_in_evaluation_is_the_identity():
    X = random(3, 4)
    Y, _ = nn100.Dropout(p=0.5, rng=0).eval().forward(X)
    assert_close(Y, X, "Dropout.forward in evaluation mode")


@pytest.mark.exercise("3.8")
def test_dropout_backward_uses_the_forward_mask():
    X = np.ones((20, 10))
    Y, backward = nn100.Dropout(p=0.5, rng=1).forward(X)
    assert_close(backward(np.ones_like(X)), Y, "Dropout backward of ones (should equal Y here)")
