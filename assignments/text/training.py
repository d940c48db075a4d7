# %% [markdown]
# # Assignment 2 — Training: losses, SGD and the Learner
#
# In assignment 1 you built layers that know their own gradients. Gradients alone do
# not train anything: we also need a number to minimise (a **loss**), a rule that moves
# the parameters downhill (an **optimizer**), and a loop that feeds the data through
# (the **Learner**). With these three pieces you will repeat the two experiments of
# the post this course is built on: a linear layer that recovers the true weights of
# a linear problem, and a product `x1 * x2` that one layer cannot learn but two can.
#
# **Grading**, as before: write your code where it says `# YOUR CODE HERE`, keep the
# test cells as they are, and run *Restart & Run All* before you submit. The layers
# of assignment 1 come from `toolbox.py`, which takes them from your own notebook
# `../backprop/backprop.ipynb`. When this notebook is graded, the course's own copy of
# them is used instead, so a mistake there cannot cost you points here.

# %%
# nbgrader: given setup
import warnings

import matplotlib.pyplot as plt
import numpy as np

from gradcheck import numerical_gradient, relative_error
from toolbox import Layer, Linear, Parameter, ReLU, Sequential, Sigmoid


def print_warning(message, category, filename, lineno, file=None, line=None):
    # Printed, not written to stderr: the grader reads stderr as a failed test.
    print(f"{category.__name__}: {message}")


warnings.showwarning = print_warning
rng = np.random.default_rng(0)

# %% [markdown]
# ## The data of the two experiments
#
# Both problems are synthetic, so we know the right answer. Note that every target is
# a **column** `(N, 1)`, like the prediction of a layer with one output.

# %%
# nbgrader: given data
# include: data.linear_regression
# include: data.product
# include: losses.check_same_shape

# %% [markdown]
# ## Task 1: mean squared error
#
# A loss function takes the prediction `Yp` and the target `Yt` and returns two
# things: the loss, a single float, and `dYp`, the gradient of that loss with respect to
# the prediction — the `D` that starts the backward pass.
#
# The mean squared error averages over **all** elements: `L = mean((Yp - Yt)²)`.
# For its gradient, follow one element of `Yp`: it appears in exactly one term of the
# sum, so only that term's derivative counts, and the mean divides it by the number of
# terms, `Yp.size` (not by the number of rows). The gradient has the shape of `Yp`.
#
# The shape check at the top is given, and it matters: the post's own product example
# compared a prediction `(N, 1)` with a target `(N,)`. numpy broadcasts those to an
# `(N, N)` matrix without complaint, and the network then trains on the wrong problem.

# %%
# nbgrader: solution mse
# include: losses.mse_loss

# %%
# nbgrader: tests mse_tests
loss, dYp = mse_loss(np.array([[1.0], [2.0]]), np.array([[0.0], [4.0]]))
assert isinstance(loss, float), f"the loss must be a Python float, got {type(loss).__name__}"
assert np.isclose(loss, 2.5), f"mean((1-0)², (2-4)²) = 2.5, got {loss}"
assert np.allclose(dYp, [[1.0], [-2.0]]), f"expected dYp = [[1], [-2]], got {dYp}"
Yp, Yt = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
error = relative_error(mse_loss(Yp, Yt)[1], numerical_gradient(lambda: mse_loss(Yp, Yt)[0], Yp))
assert error < 1e-6, f"dYp: relative error {error:.1e} against finite differences"
try:
    mse_loss(np.zeros((3, 1)), np.zeros(3))
except ValueError:
    pass
else:
    raise AssertionError("a (3, 1) prediction against a (3,) target must raise ValueError")
### BEGIN HIDDEN TESTS
hidden_rng = np.random.default_rng(11)
for shape in [(1, 1), (7, 2), (3, 5)]:
    hidden_Yp, hidden_Yt = hidden_rng.standard_normal(shape), hidden_rng.standard_normal(shape)
    hidden_loss, hidden_d = mse_loss(hidden_Yp, hidden_Yt)
    assert np.isclose(hidden_loss, np.mean((hidden_Yp - hidden_Yt) ** 2))
    assert np.allclose(hidden_d, 2 * (hidden_Yp - hidden_Yt) / hidden_Yp.size)
    assert np.shape(hidden_d) == shape
### END HIDDEN TESTS
print("mse_loss: tests passed")

# %% [markdown]
# ## Task 2: stochastic gradient descent
#
# After a backward pass every parameter holds its gradient. Gradient descent takes a
# small step against it: `tensor -= lr * gradient`. The optimizer then **zeroes the
# gradient**, because backward *adds* into it and the next batch must start from zero.
#
# Weight decay (L2 regularisation) adds `weight_decay * tensor` to the gradient before
# the step, pulling every weight a little towards zero. We will study it in
# assignment 4; it is one line here.

# %%
# nbgrader: solution sgd
# include: optimizers.SGDOptimizer

# %%
# nbgrader: tests sgd_tests
param = Parameter(np.array([1.0, 2.0]))
param.gradient += [0.5, -1.0]
SGDOptimizer(lr=0.1).update(param)
assert np.allclose(param.tensor, [0.95, 2.1]), f"expected [0.95, 2.1], got {param.tensor}"
assert np.allclose(param.gradient, 0), "update must zero the gradient"
### BEGIN HIDDEN TESTS
hidden_param = Parameter(np.array([[1.0, -2.0], [0.5, 3.0]]))
hidden_param.gradient += [[0.2, 0.2], [-1.0, 0.0]]
SGDOptimizer(lr=0.5, weight_decay=0.1).update(hidden_param)
assert np.allclose(hidden_param.tensor, [[1.0 - 0.5 * 0.3, -2.0 - 0.5 * 0.0],
                                         [0.5 - 0.5 * -0.95, 3.0 - 0.5 * 0.3]])
assert np.allclose(hidden_param.gradient, 0)
hidden_param = Parameter(np.array([1.0]))
SGDOptimizer().update(hidden_param)
assert np.allclose(hidden_param.tensor, 1.0), "a zero gradient must not move the parameter"
### END HIDDEN TESTS
print("SGDOptimizer: tests passed")

# %% [markdown]
# ## Task 3: the Learner
#
# `Learner(model, loss, optimizer)` ties the pieces together.
#
# * `fit_batch(X, Y)` does one step: forward, loss, backward, then
#   `model.update(optimizer)` (which calls `optimizer.update` on each distinct
#   parameter once). It returns the batch loss as a float.
# * `fit(X, Y, epochs, bs)` runs `epochs` passes over the data. Each epoch visits the
#   rows in a new random order, in batches of `bs` rows (the last batch holds what is
#   left), every row exactly once. It returns one number per epoch: the mean loss
#   over the epoch's samples, `sum(batch loss × batch size) / N`.
# * `predict(X)` switches the model to evaluation mode and returns its output.
#
# The tests drive your Learner with a small recording model of their own, so they
# check exactly what your loop does: which rows, in which batches, in which order.

# %%
# nbgrader: solution learner
# include: learner.Learner

# %%
# nbgrader: tests fit_batch_tests
class Recorder(Layer):
    """Y = X + w (test helper): remembers each batch and whether backward ran."""

    def __init__(self):
        super().__init__()
        self.w = self.build_param(np.zeros(1))
        self.batches, self.backward_calls = [], 0

    def forward(self, X):
        self.batches.append(X[:, 0].copy())

        def backward(D):
            self.backward_calls += 1
            self.w.gradient += 1.0
            return D

        return X + self.w.tensor, backward


def first_column_mean(Yp, Yt):
    """A test loss: the mean of the prediction's first column; its gradient is ignored."""
    return float(Yp[:, 0].mean()), np.zeros_like(Yp)


model = Recorder()
learner = Learner(model, first_column_mean, SGDOptimizer(lr=0.5))
loss = learner.fit_batch(np.array([[2.0], [4.0]]), np.zeros((2, 1)))
assert isinstance(loss, float) and np.isclose(loss, 3.0), \
    f"expected the batch loss 3.0, got {loss!r}"
assert model.backward_calls == 1, \
    f"backward should run once per batch, ran {model.backward_calls} times"
assert np.allclose(model.w.tensor, -0.5), "fit_batch must update the parameters after backward"
assert np.allclose(model.w.gradient, 0), "the optimizer zeroes the gradient after its step"
### BEGIN HIDDEN TESTS
class HiddenCounter:
    def __init__(self):
        self.seen = []

    def update(self, param):
        self.seen.append((id(param), float(param.gradient.sum())))
        param.gradient[...] = 0


hidden_model = Recorder()
hidden_counter = HiddenCounter()
Learner(Sequential(hidden_model, hidden_model), first_column_mean, hidden_counter).fit_batch(
    np.ones((3, 1)), np.zeros((3, 1)))
assert len(hidden_counter.seen) == 1, "each distinct parameter is updated exactly once"
assert hidden_counter.seen[0][1] == 2.0, "backward must run before the update"
### END HIDDEN TESTS
print("Learner.fit_batch: tests passed")

# %%
# nbgrader: tests fit_tests
model = Recorder()
X = np.arange(10.0).reshape(-1, 1)
losses = Learner(model, first_column_mean, SGDOptimizer(lr=0.0)).fit(X, X, epochs=2, bs=4, rng=0)
assert len(losses) == 2, f"fit must return one loss per epoch, got {losses}"
assert [len(batch) for batch in model.batches] == [4, 4, 2] * 2, \
    f"10 rows in batches of 4 make batches of 4, 4, 2; got {[len(b) for b in model.batches]}"
for epoch in range(2):
    rows = np.concatenate(model.batches[3 * epoch:3 * epoch + 3])
    assert sorted(rows) == list(range(10)), f"epoch {epoch} did not visit every row once: {rows}"
assert np.allclose(losses, 4.5), f"the mean of rows 0..9 is 4.5 whatever the batches; got {losses}"
### BEGIN HIDDEN TESTS
hidden_model = Recorder()
hidden_X = np.arange(7.0).reshape(-1, 1)
hidden_losses = Learner(hidden_model, first_column_mean, SGDOptimizer(lr=0.0)).fit(
    hidden_X, hidden_X, epochs=3, bs=1, rng=1)
assert np.allclose(hidden_losses, 3.0) and len(hidden_losses) == 3
hidden_orders = [tuple(np.concatenate(hidden_model.batches[7 * e:7 * e + 7])) for e in range(3)]
assert len(set(hidden_orders)) > 1, "each epoch must shuffle the rows anew"
hidden_model = Recorder()
Learner(hidden_model, first_column_mean, SGDOptimizer(lr=0.0)).fit(
    hidden_X, hidden_X, epochs=1, bs=50)
assert [len(b) for b in hidden_model.batches] == [7]
hidden_a, hidden_b = Recorder(), Recorder()
Learner(hidden_a, first_column_mean, SGDOptimizer(lr=0.0)).fit(
    hidden_X, hidden_X, epochs=2, bs=3, rng=5)
Learner(hidden_b, first_column_mean, SGDOptimizer(lr=0.0)).fit(
    hidden_X, hidden_X, epochs=2, bs=3, rng=5)
assert len(hidden_a.batches) == len(hidden_b.batches) and all(
    np.array_equal(p, q) for p, q in zip(hidden_a.batches, hidden_b.batches, strict=True)), \
    "the same rng must give the same batches"
hidden_model = Recorder()
hidden_prediction = Learner(hidden_model, first_column_mean, SGDOptimizer()).predict(hidden_X)
assert np.allclose(hidden_prediction, hidden_X) and hidden_model.training is False
### END HIDDEN TESTS
print("Learner.fit and predict: tests passed")

# %% [markdown]
# ## Experiment 1: linear regression recovers the true weights
#
# The data are `Y = X @ W + b` exactly, with no noise, so a single `Linear(10, 1)`
# trained with SGD should find `W` and `b` themselves, not just a good fit. The plot
# shows the loss falling geometrically, and the learned weights on top of the true ones.

# %%
X, Y, W_true, b_true = linear_regression(rng=0)
model = Linear(10, 1, rng=0)
losses = Learner(model, mse_loss, SGDOptimizer(lr=0.05)).fit(X, Y, epochs=40, bs=10, rng=0)

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
left.semilogy(range(1, 41), losses)
left.set(xlabel="epoch", ylabel="mean training loss (MSE)", title="the loss falls geometrically")
right.bar(np.arange(10) - 0.2, W_true[:, 0], width=0.4, label="true W")
right.bar(np.arange(10) + 0.2, model.weights.tensor[:, 0], width=0.4, label="learned W")
right.set(xlabel="weight index", title="learned weights match the true ones")
right.legend()
plt.tight_layout()
plt.show()
print("weight error ||W - W_true|| =", np.linalg.norm(model.weights.tensor - W_true))

# %%
# nbgrader: given regression_check
# A self-check of the whole framework, not graded: the grader grades each unit.
X, Y, W_true, b_true = linear_regression(rng=3)
model = Linear(10, 1, rng=4)
Learner(model, mse_loss, SGDOptimizer(lr=0.05)).fit(X, Y, epochs=40, bs=10, rng=5)
error = np.linalg.norm(model.weights.tensor - W_true)
assert error < 1e-4, \
    f"after 40 epochs the weights should be within 1e-4 of the truth; error {error:.1e}"
assert np.allclose(model.bias.tensor, b_true, atol=1e-4), "the bias should be recovered too"
print("linear regression: the true weights are recovered")

# %% [markdown]
# ## Experiment 2: one layer or two for `y = x1 * x2`
#
# A single linear layer can only fit a plane, and the best plane through the saddle
# `x1 * x2` is flat: its loss stays near the variance of the target, about 1. Put a
# hidden layer of 20 units and a ReLU in between and the network can bend the surface.

# %%
X, Y = product(n=1000, rng=0)
curves = {}
for name, model in [("Linear(2, 1)", Sequential(Linear(2, 1, rng=0))),
                    ("Linear(2, 20), ReLU, Linear(20, 1)",
                     Sequential(Linear(2, 20, rng=0), ReLU(), Linear(20, 1, rng=1)))]:
    curves[name] = Learner(model, mse_loss, SGDOptimizer(lr=0.05)).fit(X, Y, epochs=100, bs=50,
                                                                       rng=0)

fig, ax = plt.subplots(figsize=(6, 3.5))
for name, curve in curves.items():
    ax.semilogy(range(1, 101), curve, label=f"{name}: final {curve[-1]:.3f}")
ax.set(xlabel="epoch", ylabel="mean training loss (MSE)",
       title="y = x1 * x2: depth makes the difference")
ax.legend()
plt.tight_layout()
plt.show()

# %%
# nbgrader: given product_check
# A self-check of the whole framework, not graded: the grader grades each unit.
X, Y = product(n=1000, rng=7)
one = Learner(Sequential(Linear(2, 1, rng=7)), mse_loss, SGDOptimizer(lr=0.05)).fit(
    X, Y, epochs=100, bs=50, rng=7)
two = Learner(Sequential(Linear(2, 20, rng=7), ReLU(), Linear(20, 1, rng=8)), mse_loss,
              SGDOptimizer(lr=0.05)).fit(X, Y, epochs=100, bs=50, rng=7)
assert one[-1] > 0.5, f"one linear layer cannot fit x1 * x2, yet its loss is {one[-1]:.3f}"
assert two[-1] < one[-1] / 10, f"two layers should do far better: {two[-1]:.3f} vs {one[-1]:.3f}"
print(f"x1 * x2: one layer {one[-1]:.3f}, two layers {two[-1]:.4f}")
