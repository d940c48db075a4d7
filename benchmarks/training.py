"""Training-speed comparisons: each returns one result dict for the report.

Every contender restarts from the same initial weights before each timed run and
trains on the same batches, so each run is the same work; its losses are compared
with the reference's to ``LOSS_TOLERANCE`` (float32 sums in a different order
differ by a few units in the last place, and training carries that along).
"""
import time

import numpy as np

import mlp
import nn100
from nn100.data import load_digits
from timing import Contender, interleaved, median, paired_ratio

MNIST_SIZES = (784, 256, 128, 10)
LR = 0.01
LOSS_TOLERANCE = 1e-4  # max |loss - reference loss|, losses being about 2.3 here
DIGITS_TARGET = 0.97


def have_torch() -> bool:
    try:
        import torch
    except ImportError:
        return False
    torch.set_num_threads(1)
    return True


def synthetic_mnist(n: int = 60_000, seed: int = 0):
    """MNIST-sized data: pixels in [0, 1), labels from a random linear teacher (learnable)."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, MNIST_SIZES[0]), dtype=np.float32)
    teacher = rng.standard_normal((MNIST_SIZES[0], MNIST_SIZES[-1])).astype(np.float32)
    labels = np.argmax((X - 0.5) @ teacher, axis=1)
    return X, labels


def fixed_batches(X, labels, bs: int, steps: int):
    """``steps`` batches of ``bs`` consecutive rows, spread evenly over the data (views)."""
    stride = len(X) // steps
    if bs > stride:
        raise ValueError(f"fixed_batches: {steps} batches of {bs} need more than {len(X)} rows")
    return [(X[i * stride:i * stride + bs], labels[i * stride:i * stride + bs])
            for i in range(steps)]


# ---------------------------------------------------------------- contenders

def nn100_sgd(name, start, batches, first_layer=nn100.Linear):
    learner = None

    def reset():
        nonlocal learner
        learner = mlp.nn100_learner(start, lambda: nn100.SGDOptimizer(lr=LR), first_layer)

    return Contender(name, lambda: [learner.fit_batch(X, y) for X, y in batches], reset)


def raw_sgd(name, start, batches, input_gradient):
    params = None

    def reset():
        nonlocal params
        params = [p.copy() for p in start]

    def run():
        return [mlp.raw_sgd_step(params, X, y, LR, input_gradient) for X, y in batches]

    return Contender(name, run, reset)


def torch_sgd(name, start, batches):
    import torch

    torch_batches = [(torch.from_numpy(X), torch.from_numpy(y)) for X, y in batches]
    model = optimizer = None

    def reset():
        nonlocal model, optimizer
        model = mlp.torch_model(start)
        optimizer = torch.optim.SGD(model.parameters(), lr=LR)

    return Contender(name, lambda: [mlp.torch_step(model, optimizer, X, y)
                                    for X, y in torch_batches], reset)


# ---------------------------------------------------------------- comparisons

NN100 = "nn100 (Learner.fit_batch; first Linear with input_gradient=False)"
NN100_FULL = "nn100, every backward returns dX (the default)"
SAME = "raw numpy, same work (incl. dX of layer 1)"
MINIMAL = "raw numpy, minimal (no dX of layer 1)"
TORCH = "PyTorch CPU eager"


def compare(key, title, contenders, rounds, steps, reference=NN100, tolerance=LOSS_TOLERANCE):
    """Run the contenders interleaved and summarise against ``reference``."""
    runs = interleaved(contenders, rounds=rounds, warmup=1, per_run=steps)
    ref = runs[reference]
    rows = []
    for contender in contenders:
        run = runs[contender.name]
        diff = float(np.max(np.abs(np.subtract(run["output"], ref["output"]))))
        rows.append({"name": contender.name,
                     "median_ms": 1e3 * median(run["samples"]),
                     "reference_over_this": paired_ratio(ref["samples"], run["samples"]),
                     "max_loss_diff": diff,
                     "samples_ms": [1e3 * s for s in run["samples"]]})
    return {"key": key, "title": title, "reference": reference, "rounds": rounds, "steps": steps,
            "loss_tolerance": tolerance,
            "losses_agree": all(row["max_loss_diff"] <= tolerance for row in rows),
            "contenders": rows}


def mnist_speed(X, labels, bs: int, steps: int, rounds: int, torch: bool):
    batches = fixed_batches(X, labels, bs, steps)
    start = mlp.initial_parameters(MNIST_SIZES, np.float32)
    contenders = [nn100_sgd(NN100, start, batches, first_layer=mlp.data_linear),
                  nn100_sgd(NN100_FULL, start, batches),
                  raw_sgd(SAME, start, batches, input_gradient=True),
                  raw_sgd(MINIMAL, start, batches, input_gradient=False)]
    if torch:
        contenders.append(torch_sgd(TORCH, start, batches))
    return compare(f"train-b{bs}", f"MLP 784-256-128-10, SGD, float32, batch {bs}",
                   contenders, rounds, steps)


def dtype_speed(X, labels, bs: int, steps: int, rounds: int):
    """nn100 in float32 against nn100 in float64, same initial weights and data."""
    start = mlp.initial_parameters(MNIST_SIZES, np.float32)
    batches32 = fixed_batches(X, labels, bs, steps)
    batches64 = [(Xb.astype(np.float64), yb) for Xb, yb in batches32]
    contenders = [nn100_sgd("nn100 float32", start, batches32),
                  nn100_sgd("nn100 float64", [p.astype(np.float64) for p in start], batches64)]
    return compare(f"dtype-b{bs}", f"nn100 float32 vs float64, MLP 784-256-128-10, batch {bs}",
                   contenders, rounds, steps, reference="nn100 float32")


# ---------------------------------------------------------------- digits

DIGITS_SIZES, DIGITS_BS, DIGITS_LR = (64, 128, 10), 32, 1e-3  # as in examples/digits.py


def digits_speed(epochs: int, rounds: int, torch: bool, seed: int = 0):
    """The digits example's training (64-128-10, Adam, batch 32) for ``epochs`` epochs,
    shuffled alike: nn100 through Learner.fit, raw numpy, PyTorch."""
    X, labels, _, _ = load_digits(dtype=np.float32)
    start = mlp.initial_parameters(DIGITS_SIZES, np.float32, seed)
    steps = epochs * -(-len(X) // DIGITS_BS)

    def nn100_run():
        learner = mlp.nn100_learner(start, lambda: nn100.AdamOptimizer(lr=DIGITS_LR))
        return learner.fit(X, labels, epochs=epochs, bs=DIGITS_BS, rng=seed)

    def epochs_by_hand(step):
        """Learner.fit's loop: the same permutations, the mean loss of each epoch."""
        rng = np.random.default_rng(seed)
        means = []
        for _ in range(epochs):
            order = rng.permutation(len(X))
            total = 0.0
            for first in range(0, len(X), DIGITS_BS):
                batch = order[first:first + DIGITS_BS]
                total += step(X[batch], labels[batch]) * len(batch)
            means.append(total / len(X))
        return means

    def raw_run():
        params = [p.copy() for p in start]
        state = mlp.adam_state(params)
        return epochs_by_hand(lambda Xb, yb: mlp.raw_adam_step(params, state, Xb, yb, DIGITS_LR))

    contenders = [Contender("nn100 (Learner.fit)", nn100_run),
                  Contender("raw numpy, same work", raw_run)]
    if torch:
        import torch as th

        def torch_run():
            model = mlp.torch_model(start)
            optimizer = th.optim.Adam(model.parameters(), lr=DIGITS_LR)
            return epochs_by_hand(lambda Xb, yb: mlp.torch_step(
                model, optimizer, th.from_numpy(Xb), th.from_numpy(yb)))

        contenders.append(Contender(TORCH, torch_run))
    return compare("digits", f"digits example: 64-128-10, Adam, batch 32, "
                   f"{epochs} epochs of 1437 rows", contenders, rounds, steps,
                   reference="nn100 (Learner.fit)")


def digits_time_to_accuracy(runs: int, max_epochs: int = 100, seed: int = 0):
    """Seconds of training (Learner.fit, one epoch at a time, as examples/digits.py
    trains) until the test accuracy reaches DIGITS_TARGET; evaluation is not timed."""
    X, labels, X_test, y_test = load_digits(dtype=np.float32)
    start = mlp.initial_parameters(DIGITS_SIZES, np.float32, seed)
    seconds, epochs_needed = [], None
    for _ in range(runs):
        learner = mlp.nn100_learner(start, lambda: nn100.AdamOptimizer(lr=DIGITS_LR))
        rng = np.random.default_rng(seed)  # fit(epochs=1) per call shares its shuffles
        trained = 0.0
        for epoch in range(1, max_epochs + 1):
            begin = time.perf_counter()
            learner.fit(X, labels, epochs=1, bs=DIGITS_BS, rng=rng)
            trained += time.perf_counter() - begin
            accuracy = float(np.mean(learner.predict(X_test).argmax(axis=1) == y_test))
            if accuracy >= DIGITS_TARGET:
                epochs_needed = epoch
                break
        else:
            raise RuntimeError(f"digits: {DIGITS_TARGET:.0%} not reached in {max_epochs} epochs")
        seconds.append(trained)
    return {"target": DIGITS_TARGET, "epochs": epochs_needed, "accuracy": accuracy,
            "median_s": median(seconds), "samples_s": seconds}
