import numpy as np
import pytest

import nn100 as nn
import nn100.data  # noqa: F401  (nn.data)


class RecordingModel(nn.Layer):
    """Y = 2 X, with a log of every forward, backward and update."""

    def __init__(self):
        super().__init__()
        self.weight = self.build_param(np.zeros(1))
        self.log = []

    def forward(self, X):
        self.log.append(("forward", X[:, 0].copy()))

        def backward(D):
            self.log.append(("backward", len(D)))
            return 2 * D
        return 2 * X, backward

    def update(self, optimizer):
        self.log.append(("update", None))
        super().update(optimizer)


class CountingOptimizer:
    def __init__(self):
        self.updates = 0

    def update(self, param):
        self.updates += 1


def row_loss(prediction, target):
    """The mean of prediction - target, so each batch's loss is known exactly."""
    return float(np.mean(prediction - target)), np.full_like(prediction, 1 / prediction.size)


def test_fit_visits_every_row_once_per_epoch_in_batches_with_a_partial_last_one():
    X = np.arange(23.0).reshape(-1, 1)
    Y = 10 * X
    model, optimizer = RecordingModel(), CountingOptimizer()
    losses = nn.Learner(model, row_loss, optimizer).fit(X, Y, epochs=3, bs=5, rng=0)
    batches = [rows for kind, rows in model.log if kind == "forward"]
    assert [len(b) for b in batches] == [5, 5, 5, 5, 3] * 3
    epochs = [np.concatenate(batches[i * 5:(i + 1) * 5]) for i in range(3)]
    for order in epochs:
        assert sorted(order) == list(range(23))
    assert not all(np.array_equal(epochs[0], order)
                   for order in epochs[1:]), "each epoch reshuffles"
    assert [kind for kind, _ in model.log] == ["forward", "backward", "update"] * 15
    assert optimizer.updates == 15
    # loss of a batch = mean(2x - 10x) = -8 mean(x); weighted by batch size, an epoch's mean
    # is -8 mean(X)
    np.testing.assert_allclose(losses, [-8 * X.mean()] * 3)


def test_fit_shuffles_inputs_and_targets_together():
    X = np.arange(12.0).reshape(-1, 1)
    seen = []

    def pairing_loss(prediction, target):
        seen.append((prediction[:, 0] / 2, target[:, 0]))
        return 0.0, np.zeros_like(prediction)

    nn.Learner(RecordingModel(), pairing_loss, CountingOptimizer()).fit(X, 100 + X, epochs=2,
                                                                        bs=4, rng=1)
    for inputs, targets in seen:
        np.testing.assert_array_equal(targets, 100 + inputs)


def test_fit_batch_returns_the_batch_loss_and_takes_one_step():
    model, optimizer = RecordingModel(), CountingOptimizer()
    loss = nn.Learner(model, row_loss, optimizer).fit_batch(np.ones((4, 1)), np.zeros((4, 1)))
    assert loss == 2.0 and isinstance(loss, float) and optimizer.updates == 1


def test_fit_is_reproducible_with_a_seed():
    X, Y = nn.data.product(n=60, rng=0)

    def train(seed):
        model = nn.Sequential(nn.Linear(2, 4, rng=0), nn.ReLU(), nn.Linear(4, 1, rng=1))
        return nn.Learner(model, nn.mse_loss, nn.SGDOptimizer(0.05)).fit(X, Y, epochs=3, bs=7,
                                                                         rng=seed)

    assert train(3) == train(3)
    assert train(3) != train(4)


def test_predict_evaluates_and_fit_trains():
    dropout = nn.Dropout(0.9, rng=0)
    learner = nn.Learner(nn.Sequential(dropout), nn.mse_loss, nn.SGDOptimizer())
    X = np.ones((3, 4))
    np.testing.assert_array_equal(learner.predict(X), X)
    assert not dropout.training
    learner.fit(X, X, epochs=1, bs=3)
    assert dropout.training


@pytest.mark.parametrize("X, Y, bs, message", [
    (np.ones((5, 2)), np.ones((4, 1)), 2, "Learner.fit: X has 5 rows but Y has 4"),
    (np.ones((5, 2)), np.ones((5, 1)), 0, "Learner.fit: bs must be a positive integer, got 0"),
    (np.ones((5, 2)), np.ones((5, 1)), 2.5, "Learner.fit: bs must be a positive integer, got 2.5"),
])
def test_fit_rejects_bad_input(X, Y, bs, message):
    learner = nn.Learner(nn.Linear(2, 1), nn.mse_loss, nn.SGDOptimizer())
    with pytest.raises(ValueError, match=message):
        learner.fit(X, Y, epochs=1, bs=bs)


def test_the_posts_flat_target_is_caught_not_broadcast():
    X, Y = nn.data.product(n=50, rng=0)
    learner = nn.Learner(nn.Linear(2, 1), nn.mse_loss, nn.SGDOptimizer())
    with pytest.raises(ValueError,
                       match=r"mse_loss: prediction \(10, 1\) and target \(10,\) differ in shape"):
        learner.fit(X, Y[:, 0], epochs=1, bs=10)


def test_float32_training_stays_float32():
    X, Y = nn.data.product(n=40, rng=0)
    X, Y = X.astype(np.float32), Y.astype(np.float32)
    model = nn.Sequential(nn.Linear(2, 8, rng=0, dtype=np.float32), nn.Tanh(),
                          nn.Linear(8, 1, rng=1, dtype=np.float32))
    learner = nn.Learner(model, nn.mse_loss, nn.AdamOptimizer(0.01))
    learner.fit(X, Y, epochs=2, bs=8, rng=0)
    assert learner.predict(X).dtype == np.float32
    assert all(p.tensor.dtype == np.float32 for p in model.parameters)
