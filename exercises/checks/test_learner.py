"""Visible checks for the Learner (exercises 2.3-2.5) and two end-to-end checkpoints.

The Learner checks drive it with a small recording model and loss written here, so
they do not depend on your layers. Not the graded tests.
"""
import numpy as np
import pytest

import nn100
from check_helpers import assert_close


class Recorder(nn100.Layer):
    """Y = 2 X, recording every call in ``events``; one parameter so updates show."""

    def __init__(self):
        super().__init__()
        self.w = self.build_param(np.zeros(1))
        self.events, self.batches = [], []

    def forward(self, X):
        self.events.append(("forward", self.training))
        self.batches.append(np.array(X))

        def backward(D):
            self.events.append(("backward",))
            return D
        return 2 * X, backward


class RecordingOptimizer:
    def __init__(self, model):
        self.model = model

    def update(self, param):
        self.model.events.append(("update",))


def mean_loss(Yp, Yt):
    """loss = mean(Yp); its gradient, so the Learner has a real pair to work with."""
    return float(np.mean(Yp)), np.full_like(Yp, 1 / Yp.size)


@pytest.mark.exercise("2.3")
def test_fit_batch_order_and_loss():
    model = Recorder()
    learner = nn100.Learner(model, mean_loss, RecordingOptimizer(model))
    loss = learner.fit_batch(np.array([[1.0], [2.0]]), np.zeros((2, 1)))
    assert_close(loss, 3.0, "Learner.fit_batch: returned loss (mean of 2 X for X = 1, 2)")
    names = [event[0] for event in model.events]
    assert names == ["forward", "backward", "update"], \
        f"Learner.fit_batch: expected forward, backward, update; got {names}"


@pytest.mark.exercise("2.4")
def test_fit_visits_every_row_once_per_epoch():
    model = Recorder()
    learner = nn100.Learner(model, mean_loss, RecordingOptimizer(model))
    X = np.arange(10.0).reshape(10, 1)
    losses = learner.fit(X, X.copy(), epochs=2, bs=4, rng=0)
    assert len(losses) == 2, f"Learner.fit: one loss per epoch expected, got {len(losses)}"
    assert_close(losses, [9.0, 9.0], "Learner.fit: mean training loss per epoch")
    sizes = [len(batch) for batch in model.batches]
    assert sizes == [4, 4, 2, 4, 4, 2], f"Learner.fit(bs=4) on 10 rows: batch sizes {sizes}"
    first_epoch = np.sort(np.concatenate(model.batches[:3])[:, 0])
    assert_close(first_epoch, np.arange(10.0), "Learner.fit: rows seen in epoch 1")


def rows_seen(X, **fit_arguments):
    """The rows (by their value in X) that fit gave the model, epoch after epoch."""
    model = Recorder()
    nn100.Learner(model, mean_loss, RecordingOptimizer(model)).fit(X, X.copy(), **fit_arguments)
    return np.concatenate(model.batches)[:, 0]


@pytest.mark.exercise("2.4")
def test_fit_keeps_each_row_with_its_target():
    pairs = []

    def recording_loss(Yp, Yt):
        pairs.append((Yp.copy(), Yt.copy()))
        return mean_loss(Yp, Yt)

    model = Recorder()
    X = np.arange(10.0).reshape(10, 1)
    nn100.Learner(model, recording_loss, RecordingOptimizer(model)).fit(X, X.copy(), epochs=1,
                                                                         bs=4, rng=0)
    for Yp, Yt in pairs:  # the model doubles its input, and here Y = X
        assert_close(Yp, 2 * Yt, "Learner.fit: predictions of a batch against its targets "
                     "(Y = X here, so each prediction should be twice its target)")


@pytest.mark.exercise("2.4")
def test_fit_shuffles_every_epoch():
    X = np.arange(10.0).reshape(10, 1)
    first, second = rows_seen(X, epochs=2, bs=10, rng=0).reshape(2, 10)
    assert not np.array_equal(first, np.arange(10.0)), \
        f"Learner.fit: epoch 1 visited the rows in their stored order {first}"
    assert not np.array_equal(first, second), \
        f"Learner.fit: both epochs visited the rows in the same order {first}"


@pytest.mark.exercise("2.4")
def test_fit_order_comes_from_rng():
    X = np.arange(10.0).reshape(10, 1)
    once, again = rows_seen(X, epochs=1, bs=10, rng=0), rows_seen(X, epochs=1, bs=10, rng=0)
    assert np.array_equal(once, again), \
        f"Learner.fit(rng=0) twice gave two orders, {once} and {again} (the same expected)"


@pytest.mark.exercise("2.5")
def test_predict_uses_evaluation_mode():
    model = Recorder()
    prediction = nn100.Learner(model, mean_loss, RecordingOptimizer(model)).predict(np.ones((3, 1)))
    assert_close(prediction, 2 * np.ones((3, 1)), "Learner.predict: the model's output")
    assert model.events == [("forward", False)], \
        f"Learner.predict: expected one forward in evaluation mode, got {model.events}"


@pytest.mark.exercise("C.1")
def test_checkpoint_linear_regression():
    """The post's first experiment: a Linear layer recovers the true weights."""
    rng = np.random.default_rng(11)
    X = rng.standard_normal((200, 4))
    W = np.array([[1.0], [-2.0], [0.5], [3.0]])
    Y = X @ W + 0.25
    model = nn100.Linear(4, 1, rng=0)
    nn100.Learner(model, nn100.mse_loss, nn100.SGDOptimizer(lr=0.1)).fit(X, Y, epochs=30, bs=10,
                                                                         rng=0)
    assert_close(model.weights.tensor, W, "linear regression: learned weights", atol=1e-3)
    assert_close(model.bias.tensor, [0.25], "linear regression: learned bias", atol=1e-3)


@pytest.mark.exercise("C.2")
def test_checkpoint_digits():
    """A two-layer network on the handwritten digits reaches 90% test accuracy."""
    from nn100.data import load_digits
    X_train, y_train, X_test, y_test = load_digits()
    model = nn100.Sequential(nn100.Linear(64, 32, rng=0), nn100.ReLU(), nn100.Linear(32, 10, rng=1))
    learner = nn100.Learner(model, nn100.softmax_cross_entropy_loss, nn100.AdamOptimizer(lr=0.01))
    learner.fit(X_train, y_train, epochs=10, bs=32, rng=0)
    accuracy = np.mean(learner.predict(X_test).argmax(axis=1) == y_test)
    assert accuracy > 0.9, f"digits: test accuracy {accuracy:.1%}, expected above 90%"
