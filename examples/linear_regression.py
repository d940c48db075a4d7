"""The post's first experiment: a Linear layer recovers the weights of Y = X @ W + b.

Trains on 100 noise-free samples of 10 features with SGD (lr 0.05, batch 10), as
the post does, over 20 seeds, and reports the distribution of the weight error
||W_learned - W_true|| after 10 and 20 epochs, and how many epochs each seed
needs to bring it under 1e-5.
"""
import numpy as np

import _paths  # noqa: F401  (puts solutions/ on sys.path)
from nn100 import Learner, Linear, SGDOptimizer, mse_loss
from nn100.data import linear_regression


def weight_errors(seed: int, epochs: int = 60, lr: float = 0.05, bs: int = 10) -> list[float]:
    """The weight error after each epoch of one training run."""
    X, Y, W, b = linear_regression(rng=seed)
    model = Linear(10, 1, rng=seed + 1000)
    learner = Learner(model, mse_loss, SGDOptimizer(lr=lr))
    errors = []
    for epoch in range(epochs):
        learner.fit(X, Y, epochs=1, bs=bs, rng=seed * 100 + epoch)
        errors.append(float(np.linalg.norm(model.weights.tensor - W)))
    return errors


def main(seeds=range(20)) -> dict:
    runs = np.array([weight_errors(seed) for seed in seeds])
    reach = [int(np.argmax(run < 1e-5)) + 1 if (run < 1e-5).any() else None for run in runs]
    summary = {
        "after_10": np.percentile(runs[:, 9], [0, 50, 100]).tolist(),
        "after_20": np.percentile(runs[:, 19], [0, 50, 100]).tolist(),
        "epochs_to_1e-5": reach,
    }
    print(f"weight error over {len(runs)} seeds (min / median / max):")
    print("  after 10 epochs: {:.1e} / {:.1e} / {:.1e}".format(*summary["after_10"]))
    print("  after 20 epochs: {:.1e} / {:.1e} / {:.1e}".format(*summary["after_20"]))
    reached = [r for r in reach if r is not None]
    print(f"  epochs to reach 1e-5: median {np.median(reached):.0f}, "
          f"range {min(reached)}-{max(reached)} ({len(reached)}/{len(reach)} seeds reached it)")
    return summary


if __name__ == "__main__":
    main()
