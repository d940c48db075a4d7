"""Digits as images: a small ConvNet beats the 64-128-10 MLP of digits.py.

The 8x8 digits as (N, 1, 8, 8) images, pixels in [0, 1], float32 end to end:
Conv2D(1, 16, 3, padding=1) -> BatchNorm(16) -> ReLU -> Conv2D(16, 32, 3, padding=1) ->
BatchNorm(32) -> ReLU -> MaxPool2D(2) -> Flatten -> Linear(512, 10), Adam 3e-3, batch 32.
BLAS on one thread. Reports test accuracy and training time and saves the first layer's \
filters and the test
digits it gets wrong to examples/figures/convnet.png.

    python examples/convnet.py [--seeds 0 1 2] [--epochs 30]
"""
import argparse
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from threadpoolctl import threadpool_limits

from _paths import FIGURES
from nn100 import (AdamOptimizer, BatchNorm, Conv2D, Flatten, Learner, Linear, MaxPool2D, ReLU,
                   Sequential, softmax_cross_entropy_loss)
from nn100.data import load_digits

EPOCHS, BS, LR = 30, 32, 3e-3


def convnet(seed: int) -> Sequential:
    f32 = np.float32
    return Sequential(Conv2D(1, 16, 3, padding=1, rng=seed, dtype=f32), BatchNorm(16, dtype=f32),
                      ReLU(),
                      Conv2D(16, 32, 3, padding=1, rng=seed + 1, dtype=f32),
                      BatchNorm(32, dtype=f32), ReLU(),
                      MaxPool2D(2), Flatten(), Linear(512, 10, rng=seed + 2, dtype=f32))


def main(seed: int = 0, epochs: int = EPOCHS, figure=FIGURES / "convnet.png") -> dict:
    X_train, y_train, X_test, y_test = load_digits(dtype=np.float32)
    X_train, X_test = X_train.reshape(-1, 1, 8, 8), X_test.reshape(-1, 1, 8, 8)
    model = convnet(seed)
    learner = Learner(model, softmax_cross_entropy_loss, AdamOptimizer(lr=LR))
    # BLAS on one thread: these matrices are small (at most 2048 x 144), and a second thread
    # costs more than it brings, many times more on a busy machine.
    with threadpool_limits(limits=1):
        start = time.perf_counter()
        losses = learner.fit(X_train, y_train, epochs=epochs, bs=BS, rng=seed)
        seconds = time.perf_counter() - start
        predicted = learner.predict(X_test).argmax(axis=1)
    accuracy = float(np.mean(predicted == y_test))
    print(f"convnet (seed {seed}): test accuracy {accuracy:.1%} ({np.sum(predicted == y_test)}/"
          f"{len(y_test)}) after {epochs} epochs in {seconds:.1f} s")
    if figure:
        save_figure(figure, model.layers[0].weights.tensor, X_test, y_test, predicted, accuracy)
    return {"accuracy": accuracy, "seconds": seconds, "losses": losses}


def save_figure(figure, filters, X_test, y_test, predicted, accuracy) -> None:
    """Top: the 16 filters of the first layer (3x3). Below: every test digit it got wrong."""
    figure.parent.mkdir(parents=True, exist_ok=True)
    wrong = np.flatnonzero(predicted != y_test)
    rows = 2 + -(-len(wrong) // 8)
    fig = plt.figure(figsize=(8, 1.1 * rows + 0.6))
    for i, kernel in enumerate(filters[:, 0]):
        ax = fig.add_subplot(rows, 8, i + 1)
        limit = np.abs(kernel).max()
        ax.imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_title(f"filter {i}", fontsize=7)
        ax.axis("off")
    for i, index in enumerate(wrong):
        ax = fig.add_subplot(rows, 8, 17 + i)
        ax.imshow(X_test[index, 0], cmap="gray_r")
        ax.set_title(f"{predicted[index]} (is {y_test[index]})", color="red", fontsize=8)
        ax.axis("off")
    fig.suptitle(f"first-layer filters (red +, blue -); the {len(wrong)} test digits it gets wrong "
                 f"(accuracy {accuracy:.1%})", fontsize=9)
    fig.tight_layout()
    fig.savefig(figure, dpi=120)
    plt.close(fig)
    print(f"figure: {figure}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    args = parser.parse_args()
    results = [main(seed, args.epochs, FIGURES / "convnet.png" if i == 0 else None)
               for i, seed in enumerate(args.seeds)]
    if len(results) > 1:
        accuracies = [r["accuracy"] for r in results]
        print(f"median test accuracy over seeds {args.seeds}: {np.median(accuracies):.1%}; "
              f"training {min(r['seconds'] for r in results):.1f}-"
              f"{max(r['seconds'] for r in results):.1f} s")
