# %% [markdown]
# # Assignment 3 — Classification: Tanh, Softmax and cross-entropy
#
# So far the networks predicted numbers. Now they predict **classes**: which digit is
# in an 8×8 image. That needs outputs that behave like probabilities and a loss that
# measures how much probability the network gives to the right answer. You will write
# `Tanh`, `Softmax`, two binary cross-entropy losses and the softmax cross-entropy, and
# then train a classifier for handwritten digits that gets more than 9 in 10 right.
#
# **Grading**, as before. The units of assignments 1 and 2 come from `toolbox.py`, which
# takes them from your own notebooks of those assignments (the course's copy when graded).

# %%
# nbgrader: given setup
import warnings

import matplotlib.pyplot as plt
import numpy as np

from gradcheck import layer_loss, numerical_gradient, relative_error
from toolbox import (Layer, Learner, Linear, Parameter, ReLU, Sequential, SGDOptimizer,
                     Sigmoid, check_same_shape, mse_loss)


def print_warning(message, category, filename, lineno, file=None, line=None):
    # Printed, not written to stderr: the grader reads stderr as a failed test.
    print(f"{category.__name__}: {message}")


warnings.showwarning = print_warning
rng = np.random.default_rng(0)

# %% [markdown]
# ## Task 1: Tanh
#
# `tanh` squashes its input into `(-1, 1)` like a sigmoid stretched and centred on
# zero, which usually trains faster. Its slope, like the sigmoid's, can be written with
# the output alone: differentiate `tanh` on paper (as a quotient of exponentials, or from
# its link to the sigmoid) and express the result in terms of `tanh` itself.

# %%
# nbgrader: solution tanh
# include: layers.Tanh

# %%
# nbgrader: tests tanh_tests
X = rng.standard_normal((3, 4))
D = rng.standard_normal((3, 4))
Y, backward = Tanh().forward(X)
assert np.allclose(Y, np.tanh(X)), "Tanh.forward should compute np.tanh"
error = relative_error(backward(D), numerical_gradient(layer_loss(Tanh(), X, D), X))
assert error < 1e-6, f"Tanh.backward: relative error {error:.1e}"
### BEGIN HIDDEN TESTS
hidden_X = np.array([[-30.0, -1.0, 0.0, 2.0, 30.0]])
hidden_Y, hidden_backward = Tanh().forward(hidden_X)
assert np.allclose(hidden_Y, np.tanh(hidden_X))
assert np.allclose(hidden_backward(np.full((1, 5), 2.0)), 2 * (1 - np.tanh(hidden_X) ** 2))
### END HIDDEN TESTS
print("Tanh: tests passed")

# %% [markdown]
# ## Task 2: Softmax
#
# `softmax` turns a row of `K` scores ("logits") into `K` positive numbers that sum to 1:
# `Y[n, k] = exp(X[n, k]) / Σ_j exp(X[n, j])`.
#
# Two things are new. First, `exp(1000)` overflows; but adding the same constant to
# every logit of a row leaves the softmax unchanged, so subtract each row's maximum
# first and nothing exceeds `exp(0) = 1`. Second, every output depends on every input
# of its row, so the Jacobian is not diagonal and backward is not an elementwise
# product. Work on one row: write how `Y[k]` changes when `X[i]` moves (the case
# `i = k` differs from the others), then sum over `k` the upstream gradient times that
# change. The sum needs only one number per row, shared by all its inputs, so no `K × K`
# matrix is ever built. A sanity check for your result: adding the same constant to
# every `D` of a row changes no probability, so it must change no input gradient.

# %%
# nbgrader: solution softmax
# include: layers.Softmax

# %%
# nbgrader: tests softmax_tests
Y, _ = Softmax().forward(np.array([[0.0, np.log(3.0)], [1.0, 1.0]]))
assert np.allclose(Y, [[0.25, 0.75], [0.5, 0.5]]), f"expected [[0.25, 0.75], [0.5, 0.5]], got {Y}"
Y, _ = Softmax().forward(np.array([[1000.0, 0.0, -1000.0]]))
assert np.all(np.isfinite(Y)) and np.allclose(Y, [[1.0, 0.0, 0.0]]), \
    f"softmax of large logits must stay finite; got {Y}"
X = rng.standard_normal((4, 5))
D = rng.standard_normal((4, 5))
_, backward = Softmax().forward(X)
error = relative_error(backward(D), numerical_gradient(layer_loss(Softmax(), X, D), X))
assert error < 1e-6, f"Softmax.backward: relative error {error:.1e} (the Jacobian is not diagonal)"
### BEGIN HIDDEN TESTS
hidden_rng = np.random.default_rng(31)
hidden_X = hidden_rng.standard_normal((6, 3)) * 4
hidden_Y, hidden_backward = Softmax().forward(hidden_X)
hidden_E = np.exp(hidden_X - hidden_X.max(axis=1, keepdims=True))
hidden_P = hidden_E / hidden_E.sum(axis=1, keepdims=True)
assert np.allclose(hidden_Y, hidden_P) and np.allclose(hidden_Y.sum(axis=1), 1)
hidden_D = hidden_rng.standard_normal((6, 3))
hidden_expected = np.stack([(np.diag(p) - np.outer(p, p)) @ d
                            for p, d in zip(hidden_P, hidden_D, strict=True)])
assert np.allclose(hidden_backward(hidden_D), hidden_expected)
assert np.allclose(hidden_backward(np.ones((6, 3))), 0), "a constant D changes no probability"
### END HIDDEN TESTS
print("Softmax: tests passed")

# %% [markdown]
# ## Task 3: binary cross-entropy
#
# For a yes/no target `Yt ∈ {0, 1}` and a predicted probability `P`, the cross-entropy
# `-[Yt log P + (1 - Yt) log(1 - P)]` is the surprise of the right answer: 0 when the
# network is sure and right, large when it is sure and wrong. Averaged over all
# elements, like the mean squared error, so its gradient is divided by `P.size` too; each
# element's part is the derivative of its own term, with respect to `P`. `P` must be
# clipped away from 0 and 1 so that the logarithm stays finite.
#
# `bce_with_logits_loss` takes the logits `Z` instead, with `P = sigmoid(Z)`. Fusing the
# two pays twice. The gradient with respect to `Z` is the chain rule through the sigmoid:
# multiply your loss gradient by the sigmoid's slope from assignment 1, and watch
# most of it cancel into something short that never divides by a tiny `P`. And the loss
# can be written `max(Z, 0) - Yt Z + log(1 + e^-|Z|)`, which never overflows. Prefer it.

# %%
# nbgrader: solution bce
# include: losses.bce_loss
# include: losses.bce_with_logits_loss

# %%
# nbgrader: tests bce_tests
P, Yt = np.array([[0.9], [0.2]]), np.array([[1.0], [0.0]])
loss, dP = bce_loss(P, Yt)
assert np.isclose(loss, -(np.log(0.9) + np.log(0.8)) / 2), f"bce_loss: got {loss}"
error = relative_error(dP, numerical_gradient(lambda: bce_loss(P, Yt)[0], P))
assert error < 1e-6, f"bce_loss gradient: relative error {error:.1e}"
Z = rng.standard_normal((3, 2))
Yt = (rng.random((3, 2)) > 0.5).astype(float)
loss, dZ = bce_with_logits_loss(Z, Yt)
assert np.isclose(loss, bce_loss(1 / (1 + np.exp(-Z)), Yt)[0]), "the two losses must agree"
error = relative_error(dZ, numerical_gradient(lambda: bce_with_logits_loss(Z, Yt)[0], Z))
assert error < 1e-6, f"bce_with_logits_loss gradient: relative error {error:.1e}"
loss, dZ = bce_with_logits_loss(np.array([[1000.0], [-1000.0]]), np.array([[0.0], [1.0]]))
assert np.isfinite(loss) and np.isclose(loss, 1000.0), f"large logits: expected 1000, got {loss}"
### BEGIN HIDDEN TESTS
hidden_loss, hidden_dP = bce_loss(np.array([[0.0, 1.0]]), np.array([[0.0, 1.0]]))
assert np.isfinite(hidden_loss) and np.all(np.isfinite(hidden_dP)) and hidden_loss < 1e-6
hidden_rng = np.random.default_rng(41)
hidden_Z = hidden_rng.standard_normal((5, 3)) * 3
hidden_T = (hidden_rng.random((5, 3)) > 0.5).astype(float)
hidden_loss, hidden_dZ = bce_with_logits_loss(hidden_Z, hidden_T)
hidden_S = 1 / (1 + np.exp(-hidden_Z))
assert np.isclose(hidden_loss, -np.mean(hidden_T * np.log(hidden_S)
                                        + (1 - hidden_T) * np.log(1 - hidden_S)))
assert np.allclose(hidden_dZ, (hidden_S - hidden_T) / hidden_Z.size)
assert np.allclose(bce_with_logits_loss(np.array([[-1000.0]]), np.array([[1.0]]))[1], -1.0)
### END HIDDEN TESTS
print("bce_loss and bce_with_logits_loss: tests passed")

# %% [markdown]
# ## Task 4: softmax cross-entropy
#
# With `K` classes the target is an integer label per row, and the loss is the mean of
# `-log softmax(Z)[n, label[n]] = logsumexp(Z[n]) - Z[n, label[n]]`. As with the binary
# case, fusing softmax and loss pays: differentiate the right-hand side with respect to
# each logit of a row. The `logsumexp` term moves with every logit, in proportion to
# that logit's probability; the second term moves only with the logit of the right
# label. The gradient is small and needs no division by a probability. The mean is over
# the `N` rows, so the gradient is divided by `N`. The input checks are given; compute
# the loss stably (subtract the row maximum) and return `(loss, dZ)`.

# %%
# nbgrader: solution softmax_ce
# include: losses.softmax_cross_entropy_loss
# include: losses.cross_entropy_positions

# %%
# nbgrader: tests softmax_ce_tests
Z = np.array([[0.0, np.log(3.0)], [2.0, 2.0]])
loss, dZ = softmax_cross_entropy_loss(Z, np.array([1, 0]))
assert np.isclose(loss, -(np.log(0.75) + np.log(0.5)) / 2), \
    f"expected {-(np.log(0.75) + np.log(0.5)) / 2:.4f}, got {loss}"
assert np.allclose(dZ, [[0.125, -0.125], [-0.25, 0.25]]), \
    f"expected the gradient [[0.125, -0.125], [-0.25, 0.25]], got {dZ}"
Z = rng.standard_normal((4, 3))
labels = np.array([0, 2, 1, 2])
error = relative_error(softmax_cross_entropy_loss(Z, labels)[1],
                       numerical_gradient(lambda: softmax_cross_entropy_loss(Z, labels)[0], Z))
assert error < 1e-6, f"softmax_cross_entropy_loss gradient: relative error {error:.1e}"
loss, dZ = softmax_cross_entropy_loss(np.array([[1e4, 0.0]]), np.array([1]))
assert np.isfinite(loss) and np.isclose(loss, 1e4), \
    f"logits of 1e4 must give a finite loss of 1e4, got {loss}"
### BEGIN HIDDEN TESTS
hidden_rng = np.random.default_rng(51)
hidden_Z = hidden_rng.standard_normal((7, 4)) * 5
hidden_labels = hidden_rng.integers(0, 4, size=7)
hidden_loss, hidden_dZ = softmax_cross_entropy_loss(hidden_Z, hidden_labels)
hidden_shift = hidden_Z - hidden_Z.max(axis=1, keepdims=True)
hidden_logp = hidden_shift - np.log(np.exp(hidden_shift).sum(axis=1, keepdims=True))
assert isinstance(hidden_loss, float)
assert np.isclose(hidden_loss, -hidden_logp[np.arange(7), hidden_labels].mean())
hidden_onehot = np.eye(4)[hidden_labels]
assert np.allclose(hidden_dZ, (np.exp(hidden_logp) - hidden_onehot) / 7)
assert np.allclose(softmax_cross_entropy_loss(np.array([[-1e4, 1e4]]), np.array([1]))[0], 0.0)
### END HIDDEN TESTS
print("softmax_cross_entropy_loss: tests passed")

# %% [markdown]
# ## The digits
#
# 1,797 handwritten digits from the UCI repository, 8×8 pixels with grey levels 0–16,
# split once into 1,437 training and 360 test images. We scale the pixels to `[0, 1]`
# and flatten each image into a row of 64 numbers.

# %%
with np.load("digits.npz") as data:
    X_train, y_train = data["X_train"] / 16.0, data["y_train"].astype(np.int64)
    X_test, y_test = data["X_test"] / 16.0, data["y_test"].astype(np.int64)
print("train", X_train.shape, "test", X_test.shape, "classes", np.unique(y_train))

fig, axes = plt.subplots(2, 8, figsize=(8, 2.4))
for ax, image, label in zip(axes.flat, X_train, y_train, strict=False):  # the first 16
    ax.imshow(image.reshape(8, 8), cmap="gray_r")
    ax.set_title(str(label))
    ax.axis("off")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Training a digit classifier
#
# Sixty-four pixels in, ten logits out, one hidden layer of 64 `Tanh` units between.
# The network outputs logits; the softmax lives inside the loss. To read off a class,
# take the largest logit (softmax does not change which one that is).

# %%
model = Sequential(Linear(64, 64, rng=0), Tanh(), Linear(64, 10, rng=1))
learner = Learner(model, softmax_cross_entropy_loss, SGDOptimizer(lr=0.1))
losses = learner.fit(X_train, y_train, epochs=20, bs=32, rng=0)
predicted = learner.predict(X_test).argmax(axis=1)
print(f"test accuracy: {np.mean(predicted == y_test):.3f}")

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
left.plot(range(1, 21), losses)
left.set(xlabel="epoch", ylabel="mean training loss", title="softmax cross-entropy")
confusion = np.zeros((10, 10), dtype=int)
np.add.at(confusion, (y_test, predicted), 1)
right.imshow(confusion, cmap="Blues")
right.set(xlabel="predicted", ylabel="true", title="test set: where the mistakes are",
          xticks=range(10), yticks=range(10))
plt.tight_layout()
plt.show()

# %%
# nbgrader: given digits_check
# A self-check of the whole framework, not graded: the grader grades each unit.
with np.load("digits.npz") as data:
    X_train, y_train = data["X_train"] / 16.0, data["y_train"].astype(np.int64)
    X_test, y_test = data["X_test"] / 16.0, data["y_test"].astype(np.int64)
model = Sequential(Linear(64, 64, rng=10), Tanh(), Linear(64, 10, rng=11))
learner = Learner(model, softmax_cross_entropy_loss, SGDOptimizer(lr=0.1))
losses = learner.fit(X_train, y_train, epochs=20, bs=32, rng=12)
accuracy = np.mean(learner.predict(X_test).argmax(axis=1) == y_test)
assert losses[-1] < losses[0] / 4, \
    f"the training loss should fall fourfold; it went {losses[0]:.3f} -> {losses[-1]:.3f}"
assert accuracy > 0.9, f"test accuracy {accuracy:.3f}: more than 0.9 is expected"
print(f"digits: test accuracy {accuracy:.3f}")
