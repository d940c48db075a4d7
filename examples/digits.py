"""Handwritten digits: a 64-128-10 network learns the UCI 8x8 digits.

float32 end to end, ReLU, softmax cross-entropy, Adam. Reports the test accuracy
and the training time, and saves the loss curve and the test digits it got wrong (then some it got
right) with their predictions to examples/figures/digits.png.
"""
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from _paths import FIGURES
from nn100 import AdamOptimizer, Learner, Linear, ReLU, Sequential, softmax_cross_entropy_loss
from nn100.data import load_digits

EPOCHS, BS, LR, HIDDEN = 60, 32, 1e-3, 128


def main(seed: int = 0, figure=FIGURES / "digits.png") -> dict:
    X_train, y_train, X_test, y_test = load_digits(dtype=np.float32)
    # the first layer sees the data, whose gradient no one needs: input_gradient=False skips it
    model = Sequential(Linear(64, HIDDEN, rng=seed, dtype=np.float32, input_gradient=False), ReLU(),
                       Linear(HIDDEN, 10, rng=seed + 1, dtype=np.float32))
    learner = Learner(model, softmax_cross_entropy_loss, AdamOptimizer(lr=LR))
    start = time.perf_counter()
    losses = learner.fit(X_train, y_train, epochs=EPOCHS, bs=BS, rng=seed)
    seconds = time.perf_counter() - start
    predicted = learner.predict(X_test).argmax(axis=1)
    accuracy = float(np.mean(predicted == y_test))
    print(f"digits: test accuracy {accuracy:.1%} ({np.sum(predicted == y_test)}/{len(y_test)}) "
          f"after {EPOCHS} epochs in {seconds:.2f} s")
    if figure:
        figure.parent.mkdir(parents=True, exist_ok=True)
        fig = plt.figure(figsize=(9, 4))
        ax = fig.add_subplot(1, 2, 1)
        ax.plot(range(1, EPOCHS + 1), losses)
        ax.set(xlabel="epoch", ylabel="mean training loss", yscale="log", title="training loss")
        wrong = np.flatnonzero(predicted != y_test)
        shown = np.concatenate([wrong, np.flatnonzero(predicted == y_test)])[:12]  # mistakes first
        for i, index in enumerate(shown):
            sub = fig.add_subplot(3, 8, 8 * (i // 4) + 5 + i % 4)
            sub.imshow(X_test[index].reshape(8, 8), cmap="gray_r")
            right = predicted[index] == y_test[index]
            title = f"{predicted[index]}" if right else f"{predicted[index]} (is {y_test[index]})"
            sub.set_title(title, color="green" if right else "red", fontsize=9)
            sub.axis("off")
        fig.suptitle(f"test accuracy {accuracy:.1%}; predictions, mistakes in red")
        fig.tight_layout()
        fig.savefig(figure, dpi=120)
        plt.close(fig)
        print(f"figure: {figure}")
    return {"accuracy": accuracy, "seconds": seconds, "losses": losses}


if __name__ == "__main__":
    main()
