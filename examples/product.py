"""The post's second experiment: y = x1 * x2, one Linear layer against two.

A single Linear layer can only fit a plane, and the best plane through x1 * x2
is flat: its loss stays at the variance of the target (about 1). Two layers with
a ReLU between them bend the surface and drive the loss far lower. Saves the two
loss curves to examples/figures/product.png.
"""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from _paths import FIGURES
from nn100 import Learner, Linear, ReLU, Sequential, SGDOptimizer, mse_loss
from nn100.data import product

EPOCHS, LR, BS, HIDDEN = 100, 0.05, 50, 20


def train(model, X, Y, seed: int) -> list[float]:
    return Learner(model, mse_loss, SGDOptimizer(lr=LR)).fit(X, Y, epochs=EPOCHS, bs=BS, rng=seed)


def main(seed: int = 0, figure=FIGURES / "product.png") -> tuple[list[float], list[float]]:
    X, Y = product(n=1000, rng=seed)
    one_layer = train(Sequential(Linear(2, 1, rng=seed)), X, Y, seed)
    two_layers = train(Sequential(Linear(2, HIDDEN, rng=seed), ReLU(),
                                  Linear(HIDDEN, 1, rng=seed + 1)),
                       X, Y, seed)
    print(f"final training loss after {EPOCHS} epochs: one layer {one_layer[-1]:.4f}, "
          f"two layers {two_layers[-1]:.4f} ({one_layer[-1] / two_layers[-1]:.0f}x lower)")
    if figure:
        figure.parent.mkdir(parents=True, exist_ok=True)
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.plot(range(1, EPOCHS + 1), one_layer, label="Linear(2, 1)")
        ax.plot(range(1, EPOCHS + 1), two_layers,
                label=f"Linear(2, {HIDDEN}), ReLU, Linear({HIDDEN}, 1)")
        ax.set(xlabel="epoch", ylabel="mean training loss (MSE)", yscale="log",
               title="y = x1 * x2: depth makes the difference")
        ax.legend()
        fig.tight_layout()
        fig.savefig(figure, dpi=120)
        plt.close(fig)
        print(f"figure: {figure}")
    return one_layer, two_layers


if __name__ == "__main__":
    main()
