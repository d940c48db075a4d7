"""The Learner: ties a model, a loss and an optimizer into a training loop."""
import numpy as np

from .optimizers import clip_grad_norm


class Learner:
    """Trains ``model`` (a Layer) by ``loss(prediction, target) -> (loss, dPrediction)``
    and ``optimizer.update(param)``.
    """

    def __init__(self, model, loss, optimizer, clip_norm=None):
        self.model = model
        self.loss = loss
        self.optimizer = optimizer
        self.clip_norm = clip_norm  # a global gradient norm to clip to before each update

    def step(self) -> None:
        """Update the model from the gradients backward filled: clipped first to the global
        norm ``clip_norm`` when one is given, then stepped by the model's ``update``."""
        if self.clip_norm is not None:
            clip_grad_norm(self.model.parameters, self.clip_norm)
        self.model.update(self.optimizer)

    def fit_batch(self, X, Y) -> float:
        """One step on one batch: forward, loss, backward, then update every parameter once.

        X: (B, ...) inputs, Y: (B, ...) targets.  Returns the batch loss as a float.

        Hint: backward fills the gradients; only then may the given method ``step`` run (it
        clips them if asked, then lets the model's ``update`` step them with the optimizer).
        """
        ### BEGIN SOLUTION
        prediction, backward = self.model.forward(X)
        loss, D = self.loss(prediction, Y)
        backward(D)
        self.step()
        return float(loss)
        ### END SOLUTION

    def fit(self, X, Y, epochs: int, bs: int, rng=None) -> list[float]:
        """Train for ``epochs`` passes over (X, Y) in batches of ``bs`` rows.

        Each epoch visits the rows in a new random order (``rng``: seed or Generator),
        every row exactly once; the last batch holds the remainder when bs does not
        divide N.  Returns one number per epoch: the mean training loss over its samples,
        sum(batch loss * batch size) / N.

        Hint: ``rng.permutation(N)`` is one epoch's order; slice it in steps of bs.
        """
        if len(X) != len(Y):
            raise ValueError(f"Learner.fit: X has {len(X)} rows but Y has {len(Y)}")
        if int(bs) != bs or bs < 1:
            raise ValueError(f"Learner.fit: bs must be a positive integer, got {bs!r}")
        rng = np.random.default_rng(rng)
        self.model.train()
        ### BEGIN SOLUTION
        losses = []
        for _ in range(epochs):
            order = rng.permutation(len(X))
            total = 0.0
            for start in range(0, len(X), bs):
                batch = order[start:start + bs]
                total += self.fit_batch(X[batch], Y[batch]) * len(batch)
            losses.append(total / len(X))
        return losses
        ### END SOLUTION

    def predict(self, X):
        """The model's output for X in evaluation mode (dropout off).  X: (N, ...) -> (N, ...).

        Hint: switch the model to evaluation mode (``Layer.eval``) before the forward pass.
        """
        ### BEGIN SOLUTION
        self.model.eval()
        prediction, _ = self.model.forward(X)
        return prediction
        ### END SOLUTION
