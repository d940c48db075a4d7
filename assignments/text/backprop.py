# %% [markdown]
# # Assignment 1 — Backpropagation with closures
#
# In this course you build a small deep-learning framework in numpy, one piece per
# assignment. This first piece is the heart of it: layers that can say how their
# output changes when their input or their parameters change.
#
# **How this notebook is graded.** Write your code in the cells that say
# `# YOUR CODE HERE` (delete the `raise NotImplementedError()` line). Each grey test
# cell below a task checks it for you and is worth the points it states. The points
# themselves come from the course's grader: it takes the classes and functions your
# cells define (not the code that runs at the top level of a cell, such as prints or
# plots), runs them apart from the notebook on many more shapes and values, and writes
# its verdict, with a hint, under each test cell. Do not delete, copy or edit the test
# cells: the grader puts its own copy back. Each cell has a time limit when graded.
# Before you submit, run *Kernel → Restart & Run All* and check that no cell fails.

# %%
# nbgrader: given setup
import warnings

import matplotlib.pyplot as plt
import numpy as np

from gradcheck import layer_loss, numerical_gradient, relative_error


def print_warning(message, category, filename, lineno, file=None, line=None):
    # Warnings (numpy's overflow warnings, say) are printed instead of written to
    # stderr: the grader reads anything on stderr as a failed test.
    print(f"{category.__name__}: {message}")


warnings.showwarning = print_warning
rng = np.random.default_rng(0)

# %% [markdown]
# ## The contract: forward returns a closure
#
# A layer turns an input batch `X` (one row per example) into an output `Y`. Training
# needs the reverse direction too: given `D`, the gradient of the loss with respect
# to `Y`, a layer must produce the gradient with respect to its input, and the
# gradients with respect to its parameters.
#
# Our layers deliver both directions from one call. `forward(X)` returns the pair
# `(Y, backward)`, where `backward` is a function *defined inside* `forward`. Because
# it is a closure, it still sees every intermediate value `forward` computed, so
# nothing has to be stored on the layer and the same layer can be called many times.
#
# `backward(D)` must:
#
# 1. **add** the gradient of each parameter into `parameter.gradient` (adding, not
#    replacing, so that a layer used twice collects both contributions);
# 2. return `dX`, the gradient with respect to `X`, with the same shape as `X`;
# 3. change nothing else: not the input, not `parameter.tensor`.
#
# The cell below holds the pieces every layer shares. Read it, then run it.

# %%
# nbgrader: given framework
# include: layers.Parameter
# include: layers.Layer
# include: layers.distinct
# include: layers.check_input
# include: layers.forward_rows

# %% [markdown]
# ### A worked example: squaring
#
# Here is a complete layer that squares its input, `Y = X²` elementwise. Each output
# depends on the input at the same position only, so the chain rule works element by
# element: the gradient arriving at an output, `D`, times how fast that output moves when
# its own input moves (for a square, twice the input). Notice how `backward` uses `X`,
# which it remembers from the call to `forward`. This is the only derivative the
# notebooks work out for you: the others are yours, found the same way.
#
# We can check any backward pass against *finite differences*: nudge one input by a
# tiny `eps` in each direction and see how a scalar built from the output moves. The
# scalar `sum(Y * D)` has gradient exactly `D` with respect to `Y`, so its gradient
# with respect to `X` is what `backward(D)` should return. `gradcheck.py` does this
# for you; a relative error near `1e-8` means the two agree.

# %%
class Square(Layer):
    """Y = X * X, elementwise."""

    def forward(self, X):
        Y = X * X

        def backward(D):
            return D * 2 * X

        return Y, backward


X = rng.standard_normal((4, 3))
D = rng.standard_normal((4, 3))
Y, backward = Square().forward(X)
print("analytic vs numerical, relative error:",
      relative_error(backward(D), numerical_gradient(layer_loss(Square(), X, D), X)))

# %% [markdown]
# ## Task 1: the linear layer
#
# `Linear(inputs, outputs)` computes `Y = X @ W + b` for `X` of shape `(N, inputs)`,
# with `W` of shape `(inputs, outputs)` and `b` of shape `(outputs,)` added to every row.
# Work the chain rule through one element at a time: write one output `Y[n, j]` as a
# sum, ask which inputs and parameters it depends on and with what weight, then gather
# those contributions into matrix products. Three questions guide you:
#
# * an input `X[n, i]` feeds every output of its row: which weights carry it there?
# * a weight `W[i, j]` is used by every row of the batch: its gradient collects one
#   contribution per row, so it sums over the batch;
# * the bias is added to every row in the same way, so its gradient sums `D` over the rows.
#
# Then check the shapes: each gradient has the shape of the thing it is the gradient
# of (the weights' gradient is `(inputs, outputs)`, the input's `(N, inputs)`), and
# there is only one way to multiply the arrays you have into each shape.
# Fill in `forward` and its `backward`. A layer built with `input_gradient=False` (a
# first layer, fed with data whose gradient nobody needs) returns `None` instead of `dX`.

# %%
# nbgrader: solution linear
# include: layers.Linear

# %%
# nbgrader: tests linear_forward
layer = Linear(3, 2, rng=0)
layer.weights.tensor[:] = [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
layer.bias.tensor[:] = [0.5, -0.5]
Y, _ = layer.forward(np.array([[1.0, 2.0, 3.0]]))
assert Y.shape == (1, 2), f"expected output of shape (1, 2), got {np.shape(Y)}"
assert np.allclose(Y, [[4.5, 4.5]]), f"expected [[4.5, 4.5]], got {Y}"
### BEGIN HIDDEN TESTS
hidden_rng = np.random.default_rng(101)
for n, i, o in [(1, 1, 1), (7, 5, 3), (2, 9, 4)]:
    hidden_layer = Linear(i, o, rng=hidden_rng)
    hidden_layer.bias.tensor[:] = hidden_rng.standard_normal(o)
    hidden_X = hidden_rng.standard_normal((n, i))
    hidden_Y, _ = hidden_layer.forward(hidden_X)
    assert np.shape(hidden_Y) == (n, o), "Linear.forward: wrong output shape"
    assert np.allclose(hidden_Y, hidden_X @ hidden_layer.weights.tensor + hidden_layer.bias.tensor)
### END HIDDEN TESTS
print("Linear.forward: tests passed")

# %%
# nbgrader: tests linear_backward
layer = Linear(4, 3, rng=1)
X = rng.standard_normal((5, 4))
D = rng.standard_normal((5, 3))
Y, backward = layer.forward(X)
dX = backward(D)
assert np.shape(dX) == X.shape, f"dX must have the shape of X {X.shape}, got {np.shape(dX)}"
loss = layer_loss(layer, X, D)
for name, analytic, tensor in [("input", dX, X),
                               ("weights", layer.weights.gradient, layer.weights.tensor),
                               ("bias", layer.bias.gradient, layer.bias.tensor)]:
    error = relative_error(analytic, numerical_gradient(loss, tensor))
    assert error < 1e-6, f"gradient of the {name}: relative error {error:.1e} (should be < 1e-6)"
### BEGIN HIDDEN TESTS
hidden_rng = np.random.default_rng(202)
for n, i, o in [(1, 2, 3), (6, 3, 1), (3, 7, 5)]:
    hidden_layer = Linear(i, o, rng=hidden_rng)
    hidden_X = hidden_rng.standard_normal((n, i))
    hidden_D = hidden_rng.standard_normal((n, o))
    X_before = hidden_X.copy()
    W_before = hidden_layer.weights.tensor.copy()
    _, hidden_backward = hidden_layer.forward(hidden_X)
    hidden_dX = hidden_backward(hidden_D)
    assert np.allclose(hidden_dX, hidden_D @ W_before.T), "Linear: wrong input gradient"
    assert np.allclose(hidden_layer.weights.gradient, hidden_X.T @ hidden_D), \
        "Linear: wrong weight gradient"
    assert np.allclose(hidden_layer.bias.gradient, hidden_D.sum(axis=0)), \
        "Linear: wrong bias gradient"
    hidden_backward(hidden_D)
    assert np.allclose(hidden_layer.weights.gradient, 2 * hidden_X.T @ hidden_D), \
        "Linear: backward must add into the gradient, not overwrite it"
    assert np.allclose(hidden_layer.bias.gradient, 2 * hidden_D.sum(axis=0)), \
        "Linear: backward must add into the bias gradient"
    assert np.array_equal(hidden_X, X_before), "Linear: the input was changed"
    assert np.array_equal(hidden_layer.weights.tensor, W_before), \
        "Linear: backward changed the weights"
hidden_layer = Linear(2, 3, rng=hidden_rng, input_gradient=False)
_, hidden_backward = hidden_layer.forward(np.ones((4, 2)))
assert hidden_backward(np.ones((4, 3))) is None, "input_gradient=False: backward returns None"
assert np.allclose(hidden_layer.bias.gradient, 4.0)
### END HIDDEN TESTS
print("Linear.backward: tests passed")

# %% [markdown]
# ## Task 2: activations
#
# Stacked linear layers are still one linear map. A non-linear function applied to
# every element in between changes that. Activations have no parameters, and each
# output depends only on the input at the same position, so their backward works
# element by element, as for `Square`: `D` times the activation's own slope at that point.
#
# * `ReLU`: `Y = max(X, 0)`. Where the input was positive the output moves exactly as
#   the input does; elsewhere it does not move at all.
# * `Sigmoid`: `Y = 1 / (1 + e^-X)`. Differentiate it on paper: the slope can be written
#   with the output alone, so the closure can remember `Y` instead of `X`. The plot
#   after the tests shows the slope you should find: largest at 0, vanishing on both sides.
#   For `X = -1000`, `e^-X` overflows; a careful formula avoids that (try
#   `np.logaddexp`), but a plain one also gives the right values here.

# %%
# nbgrader: solution relu
# include: layers.ReLU

# %%
# nbgrader: tests relu_tests
Y, backward = ReLU().forward(np.array([[-2.0, 0.5], [3.0, -0.1]]))
assert np.allclose(Y, [[0.0, 0.5], [3.0, 0.0]]), f"ReLU.forward: got {Y}"
assert np.allclose(backward(np.array([[1.0, 2.0], [3.0, 4.0]])), [[0.0, 2.0], [3.0, 0.0]]), \
    "ReLU.backward should pass D through where X > 0 and block it elsewhere"
### BEGIN HIDDEN TESTS
hidden_rng = np.random.default_rng(303)
hidden_X = hidden_rng.standard_normal((6, 5)) + 0.01
hidden_D = hidden_rng.standard_normal((6, 5))
hidden_Y, hidden_backward = ReLU().forward(hidden_X)
assert np.allclose(hidden_Y, np.maximum(hidden_X, 0))
assert np.allclose(hidden_backward(hidden_D), hidden_D * (hidden_X > 0))
assert np.allclose(ReLU().forward(-np.ones((1, 3)))[0], 0)
### END HIDDEN TESTS
print("ReLU: tests passed")

# %%
# nbgrader: solution sigmoid
# include: layers.Sigmoid

# %%
# nbgrader: tests sigmoid_tests
Y, backward = Sigmoid().forward(np.array([[-1000.0, 0.0, 1000.0]]))
assert np.all(np.isfinite(Y)), f"Sigmoid.forward returned {Y}"
assert np.allclose(Y, [[0.0, 0.5, 1.0]]), f"Sigmoid.forward: expected [[0, 0.5, 1]], got {Y}"
X = rng.standard_normal((3, 4))
D = rng.standard_normal((3, 4))
_, backward = Sigmoid().forward(X)
error = relative_error(backward(D), numerical_gradient(layer_loss(Sigmoid(), X, D), X))
assert error < 1e-6, f"Sigmoid.backward: relative error {error:.1e} (should be < 1e-6)"
### BEGIN HIDDEN TESTS
hidden_rng = np.random.default_rng(404)
hidden_X = hidden_rng.standard_normal((5, 2)) * 3
hidden_D = hidden_rng.standard_normal((5, 2))
hidden_Y, hidden_backward = Sigmoid().forward(hidden_X)
assert np.allclose(hidden_Y, 1 / (1 + np.exp(-hidden_X)))
assert np.allclose(hidden_Y + Sigmoid().forward(-hidden_X)[0], 1.0)
hidden_s = 1 / (1 + np.exp(-hidden_X))
assert np.allclose(hidden_backward(hidden_D), hidden_D * hidden_s * (1 - hidden_s))
### END HIDDEN TESTS
print("Sigmoid: tests passed")

# %% [markdown]
# ### What backward computes, in a picture
#
# For an elementwise layer, `backward(np.ones_like(X))` returns the derivative of the
# activation at every point of `X`. Plotting it next to the function shows why
# sigmoid networks learn slowly when inputs are large: the sigmoid's slope is at
# most 1/4 and vanishes on both sides, while ReLU passes the gradient through
# unchanged wherever it is active.

# %%
x = np.linspace(-6, 6, 241).reshape(-1, 1)
fig, axes = plt.subplots(1, 2, figsize=(9, 3.2), sharex=True)
for ax, layer in zip(axes, [ReLU(), Sigmoid()], strict=True):
    Y, backward = layer.forward(x)
    ax.plot(x, Y, label="forward: Y")
    ax.plot(x, backward(np.ones_like(x)), "--", label="backward(ones): dY/dX")
    ax.set_title(type(layer).__name__)
    ax.set_xlabel("X")
    ax.legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Task 3: `Sequential`
#
# A network is layers applied one after another. `Sequential(*layers).forward(X)` feeds
# `X` through each layer in order and keeps every layer's `backward`. Its own
# `backward(D)` then runs those closures **in reverse order**, passing each one's `dX`
# to the layer before it — that is the chain rule, and that is all backpropagation is.
#
# `Sequential.parameters` lists the parameters of its layers, in order, each one
# once: if the same layer object appears twice, its parameters appear once (use
# `distinct`), and its gradients collect contributions from both uses — which
# happens by itself, because every backward *adds*.

# %%
# nbgrader: solution sequential
# include: layers.Sequential

# %%
# nbgrader: tests sequential_tests
class Scale(Layer):
    """Y = a * X with a trainable scalar a (a test helper)."""

    def __init__(self, a):
        super().__init__()
        self.a = self.build_param(np.array([a]))

    def forward(self, X):
        def backward(D):
            self.a.gradient += np.sum(D * X)
            return D * self.a.tensor

        return self.a.tensor * X, backward


double, square = Scale(2.0), Square()
model = Sequential(double, square)
X = np.array([[1.0, -3.0]])
Y, backward = model.forward(X)
assert np.allclose(Y, [[4.0, 36.0]]), \
    f"Sequential(Scale(2), Square()) of [[1, -3]]: expected [[4, 36]], got {Y}"
dX = backward(np.ones_like(Y))
assert np.allclose(dX, [[8.0, -24.0]]), \
    ("expected the input gradient [[8, -24]] (Square's backward runs first, then Scale's), "
     f"got {dX}")
assert np.allclose(double.a.gradient, [40.0]), \
    f"expected the gradient of a to be [40], got {double.a.gradient}"
shared = Scale(3.0)
assert len(Sequential(shared, Square(), shared).parameters) == 1, \
    "a layer used twice must contribute its parameters once"
### BEGIN HIDDEN TESTS
hidden_first, hidden_second = Scale(2.0), Scale(-0.5)
hidden_model = Sequential(hidden_first, Square(), hidden_second)
assert hidden_model.parameters == [hidden_first.a, hidden_second.a]
hidden_Y, hidden_backward = hidden_model.forward(np.array([[1.0, 2.0, -1.0]]))
assert np.allclose(hidden_Y, -0.5 * (2 * np.array([[1.0, 2.0, -1.0]])) ** 2)
hidden_dX = hidden_backward(np.ones((1, 3)))
assert np.allclose(hidden_dX, -0.5 * 2 * (2 * np.array([[1.0, 2.0, -1.0]])) * 2)
hidden_shared = Scale(3.0)
hidden_model = Sequential(hidden_shared, hidden_shared)
hidden_Y, hidden_backward = hidden_model.forward(np.array([[2.0]]))
assert np.allclose(hidden_Y, 18.0)
assert np.allclose(hidden_backward(np.ones((1, 1))), 9.0)
assert np.allclose(hidden_shared.a.gradient, [12.0]), "a shared layer must collect both gradients"
assert len(Sequential().parameters) == 0
### END HIDDEN TESTS
print("Sequential: tests passed")

# %% [markdown]
# ## Putting it together
#
# A two-layer network, checked end to end against finite differences. If your layers
# pass their tests, this agrees to about `1e-8` without any extra work: correct
# pieces compose into a correct whole.

# %%
net = Sequential(Linear(3, 5, rng=2), Sigmoid(), Linear(5, 2, rng=3))
X = rng.standard_normal((4, 3))
D = rng.standard_normal((4, 2))
_, backward = net.forward(X)
print("input gradient, relative error:",
      relative_error(backward(D), numerical_gradient(layer_loss(net, X, D), X)))
