import numpy as np
import pytest

import nn100 as nn
from numeric import GRAD_TOLERANCE, numeric_gradient, relative_error


def probabilities(rng, shape):
    return rng.uniform(0.05, 0.95, shape)


# (loss, prediction maker, target maker) on shapes including a batch of 1 and a width > 1
CASES = {
    "mse_loss": (nn.mse_loss, lambda rng, s: rng.standard_normal(s),
                 lambda rng, s: rng.standard_normal(s)),
    "bce_loss": (nn.bce_loss, probabilities, lambda rng, s: rng.integers(0, 2, s).astype(float)),
    "bce_with_logits_loss": (nn.bce_with_logits_loss, lambda rng, s: 3 * rng.standard_normal(s),
                             lambda rng, s: rng.uniform(0, 1, s)),
}


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("shape", [(1, 1), (7, 1), (5, 3)])
def test_loss_gradient_matches_finite_differences(name, shape):
    loss, make_prediction, make_target = CASES[name]
    rng = np.random.default_rng(shape[0] * 10 + shape[1])
    prediction, target = make_prediction(rng, shape), make_target(rng, shape)
    value, gradient = loss(prediction, target)
    assert isinstance(value, float) and gradient.shape == prediction.shape
    numeric = numeric_gradient(lambda: loss(prediction, target)[0], prediction)
    assert relative_error(gradient, numeric) < GRAD_TOLERANCE


@pytest.mark.parametrize("shape", [(1, 2), (6, 4), (3, 10)])
def test_softmax_cross_entropy_gradient_matches_finite_differences(shape):
    rng = np.random.default_rng(shape[1])
    Z, labels = 2 * rng.standard_normal(shape), rng.integers(0, shape[1], shape[0])
    value, dZ = nn.softmax_cross_entropy_loss(Z, labels)
    numeric = numeric_gradient(lambda: nn.softmax_cross_entropy_loss(Z, labels)[0], Z)
    assert relative_error(dZ, numeric) < GRAD_TOLERANCE


def test_values_worked_by_hand():
    assert nn.mse_loss(np.array([[1.0, 2.0]]), np.zeros((1, 2)))[0] == pytest.approx(2.5)
    # mean over all elements, so the gradient divides by N * K, not by N
    np.testing.assert_allclose(nn.mse_loss(np.array([[1.0, 2.0]]), np.zeros((1, 2)))[1],
                               [[1.0, 2.0]])
    assert nn.bce_loss(np.array([[0.5, 0.8]]), np.array([[1.0, 0.0]]))[0] == pytest.approx(
        -(np.log(0.5) + np.log(0.2)) / 2)
    assert nn.bce_with_logits_loss(np.array([[0.0]]), np.array([[1.0]]))[0] == pytest.approx(
        np.log(2))
    Z = np.array([[0.0, np.log(3)], [np.log(4), 0.0]])
    assert nn.softmax_cross_entropy_loss(Z, np.array([1, 1]))[0] == pytest.approx(
        -(np.log(0.75) + np.log(0.2)) / 2)


def test_bce_on_sigmoid_equals_bce_with_logits():
    rng = np.random.default_rng(0)
    Z, Yt = rng.standard_normal((6, 2)), rng.integers(0, 2, (6, 2)).astype(float)
    P, sigmoid_backward = nn.Sigmoid().forward(Z)
    loss_p, dP = nn.bce_loss(P, Yt)
    loss_z, dZ = nn.bce_with_logits_loss(Z, Yt)
    assert loss_p == pytest.approx(loss_z, rel=1e-12)
    np.testing.assert_allclose(sigmoid_backward(dP), dZ, rtol=1e-9)


def test_large_logits_stay_finite_and_exact():
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        loss, dZ = nn.softmax_cross_entropy_loss(np.array([[1e4, 0.0], [0.0, 1e4]]),
                                                 np.array([0, 0]))
        assert loss == pytest.approx(1e4 / 2)
        np.testing.assert_allclose(dZ, [[0, 0], [-0.5, 0.5]])
        loss, dZ = nn.bce_with_logits_loss(np.array([[1e4], [-1e4]]), np.array([[0.0], [0.0]]))
        assert loss == pytest.approx(1e4 / 2)
        np.testing.assert_allclose(dZ, [[0.5], [0.0]])
        loss, _ = nn.bce_loss(np.array([[1.0], [0.0]]), np.array([[0.0], [1.0]]))
        assert np.isfinite(loss)


@pytest.mark.parametrize("loss", [nn.mse_loss, nn.bce_loss, nn.bce_with_logits_loss])
def test_column_prediction_against_flat_target_is_an_error_not_a_broadcast(loss):
    with pytest.raises(ValueError,
                       match=rf"{loss.__name__}: prediction \(50, 1\) and target \(50,\) differ"):
        loss(np.full((50, 1), 0.5), np.full(50, 0.5))


@pytest.mark.parametrize("Z, labels, error, message", [
    (np.zeros((3, 4)), np.zeros((3, 1), int), ValueError,
     r"expected logits \(N, K\) and labels \(N,\), got \(3, 4\) and \(3, 1\)"),
    (np.zeros(4), np.zeros(4, int), ValueError, r"got \(4,\) and \(4,\)"),
    (np.zeros((3, 4)), np.zeros(3), TypeError, "labels must be integers, got float64"),
    (np.zeros((3, 4)), np.array([0, 4, 1]), ValueError,
     r"labels must lie in \[0, 4\), got \[0, 4\]"),
])
def test_softmax_cross_entropy_rejects_bad_labels(Z, labels, error, message):
    with pytest.raises(error, match=message):
        nn.softmax_cross_entropy_loss(Z, labels)


@pytest.mark.parametrize("name", CASES)
def test_float32_prediction_gives_float32_gradient(name):
    loss, make_prediction, make_target = CASES[name]
    rng = np.random.default_rng(0)
    prediction = make_prediction(rng, (4, 2)).astype(np.float32)
    target = make_target(rng, (4, 2)).astype(np.float32)
    assert loss(prediction, target)[1].dtype == np.float32
    Z = rng.standard_normal((4, 3)).astype(np.float32)
    assert nn.softmax_cross_entropy_loss(Z, np.array([0, 1, 2, 0]))[1].dtype == np.float32
