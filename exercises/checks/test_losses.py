"""Visible checks for the losses (exercises 2.1 and 4.1-4.3). Not the graded tests."""
import numpy as np
import pytest

import nn100
from check_helpers import assert_close, numeric_gradient, overflow_is_an_error


def assert_gradient_matches(loss_fn, Yp, Yt):
    loss, dYp = loss_fn(Yp, Yt)
    assert isinstance(loss, float), (f"{loss_fn.__name__}: the loss should be a float, "
                                     f"got {type(loss)}")
    assert_close(dYp, numeric_gradient(loss_fn, Yp, Yt),
                 f"{loss_fn.__name__}: gradient vs finite differences", atol=1e-6)


@pytest.mark.exercise("2.1")
def test_mse_by_hand():
    loss, dYp = nn100.mse_loss(np.array([[1.0], [2.0], [3.0]]), np.array([[1.0], [0.0], [3.0]]))
    assert_close(loss, 4 / 3, "mse_loss: loss")
    assert_close(dYp, [[0.0], [4 / 3], [0.0]], "mse_loss: gradient")


@pytest.mark.exercise("2.1")
def test_mse_gradient_matches_finite_differences():
    rng = np.random.default_rng(3)
    assert_gradient_matches(nn100.mse_loss, rng.standard_normal((4, 2)),
                            rng.standard_normal((4, 2)))


@pytest.mark.exercise("2.1")
def test_mse_refuses_different_shapes():
    try:
        nn100.mse_loss(np.zeros((3, 1)), np.zeros(3))
    except ValueError:
        return
    raise AssertionError("mse_loss of shapes (3, 1) and (3,): a ValueError expected (numpy "
                         "would broadcast them to (3, 3), every prediction against every target)")


@pytest.mark.exercise("4.1")
def test_bce_by_hand():
    loss, dP = nn100.bce_loss(np.array([[0.5], [0.5]]), np.array([[1.0], [0.0]]))
    assert_close(loss, np.log(2), "bce_loss: loss")
    assert_close(dP, [[-1.0], [1.0]], "bce_loss: gradient")


@pytest.mark.exercise("4.1")
def test_bce_stays_finite_at_zero_and_one():
    with overflow_is_an_error():
        loss, dP = nn100.bce_loss(np.array([[1.0], [0.0]]), np.array([[0.0], [1.0]]))
    assert np.isfinite(loss) and np.all(np.isfinite(dP)), \
        f"bce_loss at P = 1 and 0, both wrong: loss {loss}, gradient {dP.ravel()} (finite expected)"


@pytest.mark.exercise("4.1")
def test_bce_gradient_matches_finite_differences():
    rng = np.random.default_rng(4)
    P = rng.uniform(0.1, 0.9, (3, 2))
    assert_gradient_matches(nn100.bce_loss, P, rng.integers(0, 2, (3, 2)).astype(float))


@pytest.mark.exercise("4.2")
def test_bce_with_logits_by_hand():
    loss, dZ = nn100.bce_with_logits_loss(np.array([[0.0]]), np.array([[1.0]]))
    assert_close(loss, np.log(2), "bce_with_logits_loss: loss")
    assert_close(dZ, [[-0.5]], "bce_with_logits_loss: gradient")


@pytest.mark.exercise("4.2")
def test_bce_with_logits_large_logits():
    with overflow_is_an_error():
        loss, _ = nn100.bce_with_logits_loss(np.array([[1000.0, -1000.0]]), np.array([[1.0, 0.0]]))
    assert_close(loss, 0.0, "bce_with_logits_loss on confident, right logits")


@pytest.mark.exercise("4.2")
def test_bce_with_logits_gradient_matches_finite_differences():
    rng = np.random.default_rng(5)
    assert_gradient_matches(nn100.bce_with_logits_loss, rng.standard_normal((3, 2)) * 3,
                            rng.integers(0, 2, (3, 2)).astype(float))


@pytest.mark.exercise("4.3")
def test_softmax_cross_entropy_by_hand():
    loss, dZ = nn100.softmax_cross_entropy_loss(np.zeros((2, 4)), np.array([0, 3]))
    assert_close(loss, np.log(4), "softmax_cross_entropy_loss: loss")
    assert_close(dZ, [[-0.375, 0.125, 0.125, 0.125], [0.125, 0.125, 0.125, -0.375]],
                 "softmax_cross_entropy_loss: gradient")


@pytest.mark.exercise("4.3")
def test_softmax_cross_entropy_large_logits():
    with overflow_is_an_error():
        loss, _ = nn100.softmax_cross_entropy_loss(np.array([[1e4, 0.0]]), np.array([0]))
    assert_close(loss, 0.0, "softmax_cross_entropy_loss with logits [1e4, 0] and label 0")


@pytest.mark.exercise("4.3")
def test_softmax_cross_entropy_gradient_matches_finite_differences():
    rng = np.random.default_rng(6)
    Z, labels = rng.standard_normal((3, 4)), np.array([1, 0, 3])
    loss, dZ = nn100.softmax_cross_entropy_loss(Z, labels)
    numeric = numeric_gradient(lambda Zp, _: nn100.softmax_cross_entropy_loss(Zp, labels), Z, None)
    assert_close(dZ, numeric, "softmax_cross_entropy_loss: gradient vs finite differences",
                 atol=1e-6)
