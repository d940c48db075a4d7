# %% [markdown]
# # Assignment 4 — Optimizers and regularisation
#
# Plain SGD walks straight downhill at a fixed pace. On a long narrow valley it zigzags
# across and crawls along, and every parameter gets the same step size whatever the
# scale of its gradient. This assignment adds the two fixes every framework ships —
# **momentum** and **Adam** — and two ways of keeping a network from memorising its
# training set: **weight decay** and **dropout**. At the end you compare them all on
# the digits.
#
# **Grading**, as before. The units of assignments 1–3 come from `toolbox.py`, which
# takes them from your own notebooks of those assignments (the course's copy when graded).

# %%
# nbgrader: given setup
import warnings

import matplotlib.pyplot as plt
import numpy as np

from gradcheck import relative_error
from toolbox import (Layer, Learner, Linear, Parameter, ReLU, Sequential, SGDOptimizer, Tanh,
                     softmax_cross_entropy_loss)


def print_warning(message, category, filename, lineno, file=None, line=None):
    # Printed, not written to stderr: the grader reads stderr as a failed test.
    print(f"{category.__name__}: {message}")


warnings.showwarning = print_warning
rng = np.random.default_rng(0)

# %% [markdown]
# ## Task 1: momentum
#
# Momentum keeps a running velocity `v` per parameter, the sum of past gradients with
# older ones fading by a factor `momentum` each step:
#
#     v = momentum * v + g
#     tensor -= lr * v
#
# Gradients that keep pointing the same way add up; gradients that flip sign cancel
# out. With `nesterov=True` the step looks one step ahead: `tensor -= lr * (g + momentum * v)`.
# Each parameter needs its own `v`, starting at zero: keep them in a dictionary keyed
# by the parameter. Weight decay, as in SGD, first adds `weight_decay * tensor` to `g`.
# And, as always, zero the gradient after the step.

# %%
# nbgrader: solution momentum
# include: optimizers.MomentumOptimizer

# %%
# nbgrader: tests momentum_tests
param = Parameter(np.array([1.0]))
optimizer = MomentumOptimizer(lr=0.1, momentum=0.9)
for expected in [0.9, 0.71]:
    param.gradient += 1.0
    optimizer.update(param)
    assert np.allclose(param.tensor, expected), \
        f"with g = 1 each step: v = 1 then 1.9, tensor 0.9 then 0.71; got {param.tensor}"
    assert np.allclose(param.gradient, 0), "update must zero the gradient"
### BEGIN HIDDEN TESTS
hidden_param = Parameter(np.array([1.0]))
hidden_optimizer = MomentumOptimizer(lr=0.1, momentum=0.9, nesterov=True)
for hidden_expected in [0.81, 0.539]:
    hidden_param.gradient += 1.0
    hidden_optimizer.update(hidden_param)
    assert np.allclose(hidden_param.tensor, hidden_expected), "Nesterov step"
hidden_a, hidden_b = Parameter(np.zeros(2)), Parameter(np.zeros(3))
hidden_optimizer = MomentumOptimizer(lr=1.0, momentum=0.5)
for _ in range(3):
    hidden_a.gradient += 1.0
    hidden_optimizer.update(hidden_a)
    hidden_b.gradient += 2.0
    hidden_optimizer.update(hidden_b)
assert np.allclose(hidden_a.tensor, -(1 + 1.5 + 1.75)), "each parameter keeps its own velocity"
assert np.allclose(hidden_b.tensor, -2 * (1 + 1.5 + 1.75))
hidden_param = Parameter(np.array([2.0]))
hidden_param.gradient += 1.0
MomentumOptimizer(lr=0.1, momentum=0.9, weight_decay=0.5).update(hidden_param)
assert np.allclose(hidden_param.tensor, 2.0 - 0.1 * (1.0 + 0.5 * 2.0)), "weight decay"
### END HIDDEN TESTS
print("MomentumOptimizer: tests passed")

# %% [markdown]
# ## Task 2: Adam
#
# Adam keeps two running averages per parameter: `m` of the gradient and `v` of its
# square, and divides one by the square root of the other. Each parameter thus moves
# about `lr` per step whatever the scale of its gradient: a parameter whose gradients are
# tiny is not left behind, and one whose gradients are huge does not jump. The class's
# docstring states the exact step, at `t = 1, 2, …`.
#
# **Why the correction.** `m` and `v` start at zero, and a running average that starts
# at zero is too small in its first steps: after one step it holds only a fraction
# `1 - beta1` of the first gradient, the rest of its weight still sits on the zero it
# started from. The correction divides each average by the total weight its real
# gradients have received so far, which grows towards 1 as `t` grows; at `t = 1` the
# corrected `m` is exactly the first gradient. So `t` must count the steps of *that*
# parameter: keep `t`, `m` and `v` per parameter.

# %%
# nbgrader: solution adam
# include: optimizers.AdamOptimizer

# %%
# nbgrader: tests adam_tests
param = Parameter(np.array([1.0, -1.0]))
optimizer = AdamOptimizer(lr=0.1)
for expected in [[0.9, -0.9], [0.8, -0.8]]:
    param.gradient += [0.5, -3.0]
    optimizer.update(param)
    assert np.allclose(param.tensor, expected, atol=1e-6), \
        (f"with a constant gradient every Adam step is lr * sign(g): expected {expected}, "
         f"got {param.tensor}")
    assert np.allclose(param.gradient, 0), "update must zero the gradient"
### BEGIN HIDDEN TESTS
hidden_rng = np.random.default_rng(61)
hidden_params = [Parameter(hidden_rng.standard_normal(3)),
                 Parameter(hidden_rng.standard_normal((2, 2)))]
hidden_copies = [p.tensor.copy() for p in hidden_params]
hidden_state = [[np.zeros_like(c), np.zeros_like(c)] for c in hidden_copies]
hidden_optimizer = AdamOptimizer(lr=0.01, beta1=0.8, beta2=0.9, eps=1e-6, weight_decay=0.1)
for hidden_t in range(1, 5):
    hidden_triples = zip(hidden_params, hidden_copies, hidden_state, strict=True)
    for hidden_p, hidden_c, hidden_s in hidden_triples:
        hidden_g = hidden_rng.standard_normal(hidden_c.shape)
        hidden_p.gradient += hidden_g
        hidden_optimizer.update(hidden_p)
        hidden_g = hidden_g + 0.1 * hidden_c
        hidden_s[0] = 0.8 * hidden_s[0] + 0.2 * hidden_g
        hidden_s[1] = 0.9 * hidden_s[1] + 0.1 * hidden_g ** 2
        hidden_c -= 0.01 * (hidden_s[0] / (1 - 0.8 ** hidden_t)) / (
            np.sqrt(hidden_s[1] / (1 - 0.9 ** hidden_t)) + 1e-6)
        assert np.allclose(hidden_p.tensor, hidden_c), \
            "Adam step (bias correction, per-parameter state)"
        assert np.allclose(hidden_p.gradient, 0)
### END HIDDEN TESTS
print("AdamOptimizer: tests passed")

# %% [markdown]
# ## Task 3: dropout
#
# Dropout fights memorisation by switching off a random part of the network at every
# step: in training, each element of the input is zeroed with probability `p`, and
# the survivors are multiplied by `1 / (1 - p)` so that the expected output equals the
# input ("inverted" dropout). Backward sends the gradient through the same survivors,
# with the same factor. In evaluation mode (`layer.eval()`, which `Learner.predict`
# calls) dropout does nothing at all, so predictions are deterministic.

# %%
# nbgrader: solution dropout
# include: layers.Dropout

# %%
# nbgrader: tests dropout_tests
layer = Dropout(0.5, rng=0)
X = np.ones((200, 100))
Y, backward = layer.forward(X)
assert Y.shape == X.shape
assert set(np.unique(Y)) <= {0.0, 2.0}, "with p = 0.5 survivors are scaled by 2, the rest are 0"
assert abs(np.mean(Y == 0) - 0.5) < 0.02, \
    f"about half should be dropped, {np.mean(Y == 0):.3f} were"
assert np.array_equal(backward(np.ones_like(X)), Y), "backward must use forward's mask and scale"
layer.eval()
Y, backward = layer.forward(X)
assert np.array_equal(Y, X) and np.array_equal(backward(X), X), \
    "in evaluation dropout is the identity"
### BEGIN HIDDEN TESTS
hidden_layer = Dropout(0.2, rng=1)
hidden_X = np.random.default_rng(71).standard_normal((300, 50))
hidden_Y, hidden_backward = hidden_layer.forward(hidden_X)
hidden_kept = hidden_Y != 0
assert abs(hidden_kept.mean() - 0.8) < 0.02
assert np.allclose(hidden_Y[hidden_kept], hidden_X[hidden_kept] * 1.25)
hidden_D = np.random.default_rng(72).standard_normal((300, 50))
assert np.allclose(hidden_backward(hidden_D), hidden_D * hidden_kept * 1.25)
hidden_Y2, _ = hidden_layer.forward(hidden_X)
assert not np.array_equal(hidden_Y, hidden_Y2), "each forward draws a new mask"
assert np.array_equal(Dropout(0.0).forward(hidden_X)[0], hidden_X)
hidden_model = Sequential(Linear(50, 4, rng=2), Dropout(0.5, rng=3))
hidden_model.eval()
assert np.array_equal(hidden_model.forward(hidden_X)[0], hidden_model.forward(hidden_X)[0])
### END HIDDEN TESTS
print("Dropout: tests passed")

# %% [markdown]
# ## Comparing them on the digits
#
# The same network, the same initial weights, the same batches; only the optimizer
# changes. Then weight decay: the larger it is, the smaller the weights the network
# settles on. And dropout: it costs some training accuracy; watch what it does to
# the gap between training and test accuracy.

# %%
with np.load("digits.npz") as data:
    X_train, y_train = data["X_train"] / 16.0, data["y_train"].astype(np.int64)
    X_test, y_test = data["X_test"] / 16.0, data["y_test"].astype(np.int64)


def network(dropout=0.0):
    layers = [Linear(64, 64, rng=0), ReLU()]
    if dropout:
        layers.append(Dropout(dropout, rng=2))
    return Sequential(*layers, Linear(64, 10, rng=1))


def accuracy(learner, X, y):
    return float(np.mean(learner.predict(X).argmax(axis=1) == y))


fig, (left, middle, right) = plt.subplots(1, 3, figsize=(14, 3.8))
for name, optimizer in [("SGD lr=0.05", SGDOptimizer(lr=0.05)),
                        ("momentum 0.9, lr=0.05", MomentumOptimizer(lr=0.05, momentum=0.9)),
                        ("Adam lr=0.005", AdamOptimizer(lr=0.005))]:
    losses = Learner(network(), softmax_cross_entropy_loss, optimizer).fit(
        X_train, y_train, epochs=15, bs=32, rng=0)
    left.semilogy(range(1, 16), losses, label=name)
left.set(xlabel="epoch", ylabel="mean training loss", title="optimizers")
left.legend()

decays = [0.0, 1e-3, 1e-2, 3e-2]
norms = []
for decay in decays:
    model = network()
    Learner(model, softmax_cross_entropy_loss, AdamOptimizer(lr=0.005, weight_decay=decay)).fit(
        X_train, y_train, epochs=15, bs=32, rng=0)
    norms.append(np.sqrt(sum(np.sum(p.tensor ** 2) for p in model.parameters)))
middle.bar([str(d) for d in decays], norms)
middle.set(xlabel="weight decay", ylabel="norm of all parameters",
           title="weight decay shrinks weights")

rows = []
for p in [0.0, 0.3]:
    learner = Learner(network(dropout=p), softmax_cross_entropy_loss, AdamOptimizer(lr=0.005))
    learner.fit(X_train[:300], y_train[:300], epochs=40, bs=32, rng=0)
    rows.append((accuracy(learner, X_train[:300], y_train[:300]),
                 accuracy(learner, X_test, y_test)))
for offset, (label, values) in enumerate(zip(["train (300 images)", "test"],
                                             zip(*rows, strict=True), strict=True)):
    right.bar(np.arange(2) + 0.4 * offset - 0.2, values, width=0.4, label=label)
right.set(xticks=[0, 1], xticklabels=["no dropout", "dropout 0.3"], ylim=(0.7, 1.01),
          ylabel="accuracy", title="dropout and the train/test gap")
right.legend(loc="lower right")
plt.tight_layout()
plt.show()

# %%
# nbgrader: given comparison_check
# A self-check of the whole framework, not graded: the grader grades each unit.
with np.load("digits.npz") as data:
    X_train, y_train = data["X_train"] / 16.0, data["y_train"].astype(np.int64)
final = {}
for name, optimizer in [("sgd", SGDOptimizer(lr=0.05)),
                        ("momentum", MomentumOptimizer(lr=0.05, momentum=0.9)),
                        ("adam", AdamOptimizer(lr=0.005))]:
    model = Sequential(Linear(64, 32, rng=20), ReLU(), Linear(32, 10, rng=21))
    final[name] = Learner(model, softmax_cross_entropy_loss, optimizer).fit(
        X_train, y_train, epochs=5, bs=32, rng=22)[-1]
assert final["momentum"] < final["sgd"] / 2 and final["adam"] < final["sgd"] / 2, \
    f"after 5 epochs momentum and Adam should reach less than half of SGD's loss: {final}"
print("final training losses after 5 epochs:", {k: round(v, 3) for k, v in final.items()})
