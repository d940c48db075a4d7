# %% [markdown]
# # Assignment 5 — Images: normalisation, convolution and skip connections
#
# The networks so far saw a digit as a row of 64 numbers: which pixel is next to which
# was lost before training began. This assignment keeps the images as images, arrays of
# shape `(N, C, H, W)` (batch, channels, rows, columns, as in PyTorch), and builds the
# layers of a small convolutional network: **BatchNorm** and **LayerNorm**, which keep
# every layer's inputs at a steady scale; **Conv2D**, which slides small filters over the
# image; **MaxPool2D** and **Flatten**; and **Residual**, the skip connection that lets
# deep stacks train. At the end a ConvNet reads the digits as 8×8 images.
#
# **Grading**, as before. The units of assignments 1–4 come from `toolbox.py`, which
# takes them from your own notebooks of those assignments (the course's copy when graded).
# Every backward pass here is checked against finite differences of your own forward:
# `gradcheck.py` is the same tool as in assignment 1.

# %%
# nbgrader: given setup
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from gradcheck import layer_loss, numerical_gradient, relative_error
from toolbox import (AdamOptimizer, Layer, Learner, Linear, Parameter, ReLU, Sequential, Tanh,
                     softmax_cross_entropy_loss)


def print_warning(message, category, filename, lineno, file=None, line=None):
    # Printed, not written to stderr: the grader reads stderr as a failed test.
    print(f"{category.__name__}: {message}")


warnings.showwarning = print_warning
rng = np.random.default_rng(0)


def gradient_errors(layer, X, D):
    """{name: relative error} of backward(D) against finite differences, for the input
    and every parameter of ``layer`` (call it on a fresh layer: gradients accumulate)."""
    _, backward = layer.forward(X)
    dX = backward(D)
    loss = layer_loss(layer, X, D)
    errors = {"input": relative_error(dX, numerical_gradient(loss, X))}
    for index, param in enumerate(layer.parameters):
        errors[f"parameter {index}"] = relative_error(param.gradient,
                                                      numerical_gradient(loss, param.tensor))
    return errors


# %% [markdown]
# ## Task 1: batch normalisation
#
# Deep networks train faster when every layer sees inputs of a steady scale.
# `BatchNorm(features)` makes it so: for each feature (axis 1; for images, each channel
# over all its pixels too) it subtracts the batch's mean, divides by the batch's standard
# deviation (`sqrt(var + eps)`, the variance biased: divided by the count), then applies a
# learned scale `gamma` and shift `beta`, both of shape `(features,)`, so the network can
# undo the normalisation where that helps.
#
# **Why its backward pass has three terms.** In `Linear` or `ReLU` each output depends on
# the inputs of its own row only. Here every output of a feature also depends, through the
# mean and the variance, on *every* input of that feature in the batch. The chain rule
# therefore collects three contributions for each input: the direct path through its own
# normalised value, the path through the mean, and the path through the variance. Work it
# out on paper for a batch of two before you vectorise it, then let finite differences
# tell you whether you got it.
#
# **Why evaluation mode differs.** A prediction must not depend on which other images
# share its batch. So in training mode BatchNorm also keeps running averages,
# `running = (1 - momentum) * running + momentum * batch value`, the variance entering
# unbiased (times `m / (m - 1)` for `m` values per feature), as PyTorch does; in
# evaluation mode (`layer.eval()`) it uses them instead of the batch's statistics. The
# layer is then a fixed affine map per feature, and so is its backward. A closure must
# remember the mode its forward ran in.

# %%
# nbgrader: solution batchnorm
# include: norm.BatchNorm

# %%
# nbgrader: tests batchnorm_forward
X = rng.normal(3.0, 2.0, size=(50, 4))
layer = BatchNorm(4)
Y, _ = layer.forward(X)
assert Y.shape == X.shape, f"expected output of shape {X.shape}, got {np.shape(Y)}"
assert np.allclose(Y.mean(axis=0), 0, atol=1e-7), \
    f"each feature's mean should be 0: {Y.mean(axis=0)}"
assert np.allclose(Y.std(axis=0), 1, atol=1e-4), f"each feature's std should be 1: {Y.std(axis=0)}"
assert np.allclose(layer.running_mean, 0.1 * X.mean(axis=0)), \
    "after one batch from zeros, running_mean = momentum * the batch mean"
assert np.allclose(layer.running_var, 0.9 + 0.1 * X.var(axis=0, ddof=1)), \
    "after one batch from ones, running_var = 0.9 + momentum * the unbiased batch variance"
images = rng.normal(size=(3, 2, 4, 5))
Y, _ = BatchNorm(2).forward(images)
assert (np.allclose(Y.mean(axis=(0, 2, 3)), 0)
        and np.allclose(Y.std(axis=(0, 2, 3)), 1, atol=1e-4)), \
    "for images, each channel is normalised over the batch and all its pixels"
### BEGIN HIDDEN TESTS
hidden_layer = BatchNorm(3, momentum=0.3)
hidden_layer.gamma.tensor[:] = [2.0, -1.0, 0.5]
hidden_layer.beta.tensor[:] = [1.0, 0.0, -2.0]
hidden_X = np.random.default_rng(501).normal(size=(7, 3))
hidden_Y, _ = hidden_layer.forward(hidden_X)
hidden_Z = (hidden_Y - hidden_layer.beta.tensor) / hidden_layer.gamma.tensor
assert np.allclose(hidden_Z.mean(axis=0), 0) and np.allclose(hidden_Z.var(axis=0), 1, atol=1e-4)
assert np.allclose(hidden_layer.running_mean, 0.3 * hidden_X.mean(axis=0))
assert np.allclose(hidden_layer.running_var, 0.7 + 0.3 * hidden_X.var(axis=0, ddof=1))
### END HIDDEN TESTS
print("BatchNorm.forward: tests passed")

# %%
# nbgrader: tests batchnorm_backward
for shape in [(6, 3), (2, 3, 3, 2)]:
    layer = BatchNorm(3)
    layer.gamma.tensor[:] = rng.normal(size=3)
    X, D = rng.normal(size=shape), rng.normal(size=shape)
    for name, error in gradient_errors(layer, X, D).items():
        assert error < 1e-6, f"input {shape}, gradient of the {name}: relative error {error:.1e}"
### BEGIN HIDDEN TESTS
for hidden_shape in [(3, 1), (9, 5), (1, 2, 3, 3)]:
    hidden_layer = BatchNorm(hidden_shape[1])
    hidden_layer.beta.tensor[:] = rng.normal(size=hidden_shape[1])
    for hidden_error in gradient_errors(hidden_layer, rng.normal(size=hidden_shape),
                                        rng.normal(size=hidden_shape)).values():
        assert hidden_error < 1e-6
### END HIDDEN TESTS
print("BatchNorm.backward: tests passed")

# %%
# nbgrader: tests batchnorm_eval
layer = BatchNorm(2)
layer.running_mean[:] = [1.0, -2.0]
layer.running_var[:] = [4.0, 0.25]
layer.eval()
X = np.array([[1.0, -2.0], [3.0, -1.5]])
Y, _ = layer.forward(X)
assert np.allclose(Y, [[0.0, 0.0], [1.0, 1.0]], atol=1e-4), \
    f"in evaluation mode the running statistics normalise: expected [[0, 0], [1, 1]], got {Y}"
assert np.allclose(layer.running_mean, [1.0, -2.0]), \
    "evaluation mode leaves the running statistics alone"
for name, error in gradient_errors(layer, rng.normal(size=(4, 2)), rng.normal(size=(4, 2))).items():
    assert error < 1e-6, f"evaluation mode, gradient of the {name}: relative error {error:.1e}"
### BEGIN HIDDEN TESTS
hidden_layer = BatchNorm(3).eval()
hidden_layer.running_var[:] = [0.5, 2.0, 9.0]
hidden_X = np.random.default_rng(502).normal(size=(1, 3, 2, 2))
for hidden_error in gradient_errors(hidden_layer, hidden_X, np.ones_like(hidden_X)).values():
    assert hidden_error < 1e-6
### END HIDDEN TESTS
print("BatchNorm in evaluation mode: tests passed")

# %% [markdown]
# ## Task 2: layer normalisation
#
# `LayerNorm(features)` normalises each sample on its own, over its last axis (the mean
# and biased variance of each row), then applies `gamma` and `beta` of shape
# `(features,)`. It needs no batch and no running statistics: training and evaluation
# compute the same thing. Its backward is BatchNorm's with the roles of the axes
# exchanged.

# %%
# nbgrader: solution layernorm
# include: norm.LayerNorm

# %%
# nbgrader: tests layernorm_tests
X = rng.normal(5.0, 3.0, size=(4, 6))
Y, _ = LayerNorm(6).forward(X)
assert Y.shape == X.shape, f"expected output of shape {X.shape}, got {np.shape(Y)}"
assert np.allclose(Y.mean(axis=1), 0) and np.allclose(Y.std(axis=1), 1, atol=1e-4), \
    "each row should have mean 0 and std 1"
layer = LayerNorm(6)
layer.gamma.tensor[:] = rng.normal(size=6)
for name, error in gradient_errors(layer, X, rng.normal(size=(4, 6))).items():
    assert error < 1e-6, f"gradient of the {name}: relative error {error:.1e}"
### BEGIN HIDDEN TESTS
hidden_layer = LayerNorm(3)
hidden_layer.beta.tensor[:] = [1.0, 2.0, 3.0]
hidden_X = np.random.default_rng(503).normal(size=(2, 4, 3))
assert np.allclose(hidden_layer.forward(hidden_X)[0].mean(axis=-1), 2.0)
for hidden_error in gradient_errors(hidden_layer, hidden_X, rng.normal(size=(2, 4, 3))).values():
    assert hidden_error < 1e-6
### END HIDDEN TESTS
print("LayerNorm: tests passed")

# %% [markdown]
# ## Convolution as one matrix product
#
# A convolutional layer slides `F` small filters, each of shape `(C, k, k)`, over the
# image, and at each position takes the dot product of the filter with the patch under
# it (a *cross-correlation*: as in PyTorch, the filter is not flipped). With `padding`
# zeros around the image and a step of `stride` pixels, an `H`-row input gives
# `H' = (H + 2 padding - k) // stride + 1` output rows, and the same for columns.
#
# Written as loops that is seven of them, far too slow in Python. But each output value is
# one dot product between a filter and a patch. So cut every patch out of the padded image
# and lay it flat as one row of a matrix, `cols`: one row per (image, output row, output
# column), one column per (channel, kernel row, kernel column). Flatten each filter the
# same way. All the dot products are then **one matrix product**, and the layer's forward
# is a `Linear` applied to the rows of `cols`. That is *im2col*; `sliding_window_view`
# shows every patch of an array without copying it.
#
# The helpers below check shapes and compute `H'` and `W'`; they are given.

# %%
# nbgrader: given image_helpers
# include: conv.check_images
# include: conv.output_size

# %% [markdown]
# ### Task 3: im2col

# %%
# nbgrader: solution im2col
# include: conv.im2col

# %%
# nbgrader: given im2col_check
# A self-check, not graded (the grader grades im2col through Conv2D).
cols = im2col(np.arange(2 * 3 * 3).reshape(1, 2, 3, 3), 2, 1)
assert cols.shape == (4, 8), \
    f"4 patches (2x2 positions) of 2 channels x 2 x 2 values: got {np.shape(cols)}"
assert np.array_equal(cols[0], [0, 1, 3, 4, 9, 10, 12, 13]), \
    f"row 0 is the top-left patch, channel 0 first, then channel 1: got {cols[0]}"
assert np.array_equal(cols[1], [1, 2, 4, 5, 10, 11, 13, 14]), "row 1 is the patch one column right"
assert im2col(np.zeros((2, 1, 5, 5)), 3, 2).shape == (8, 9), "stride 2: 2x2 positions per image"
print("im2col: self-check passed")

# %% [markdown]
# ### Task 4: col2im
#
# Backward needs the reverse trip. Each pixel was copied into several patches (as many as
# the windows that cover it), so its gradient is the **sum** of what each of those copies
# received. `col2im` adds every entry of a `cols`-shaped gradient back onto the pixel it
# was copied from. Loop over the `k × k` kernel offsets, not over pixels.

# %%
# nbgrader: solution col2im
# include: conv.col2im

# %%
# nbgrader: given col2im_check
# A self-check, not graded: how many patches cover each pixel of a 3x4 image, 2x2 windows.
covered = col2im(np.ones((6, 4)), (1, 1, 3, 4), 2, 1)
assert np.array_equal(covered[0, 0], [[1, 2, 2, 1], [2, 4, 4, 2], [1, 2, 2, 1]]), \
    f"each pixel should receive one 1 per window covering it, got\n{covered[0, 0]}"
print("col2im: self-check passed")

# %% [markdown]
# ### Task 5: `Conv2D`
#
# `Conv2D(in_channels, out_channels, kernel_size, stride=1, padding=0)` holds `weights`
# of shape `(F, C, k, k)` and `bias` of shape `(F,)`. Forward: pad, unfold, one matrix
# product with the flattened filters, add the bias, and bring the result to
# `(N, F, H', W')`. Backward: forward was a `Linear` layer on the rows of `cols`, so its
# backward is that of a `Linear`, reused; then `col2im` folds the gradient of `cols` back
# onto the padded image, and the padding is dropped.

# %%
# nbgrader: solution conv2d
# include: conv.Conv2D

# %%
# nbgrader: tests conv2d_forward
layer = Conv2D(1, 1, 2)
layer.weights.tensor[:] = [[[[1.0, 0.0], [0.0, -1.0]]]]
layer.bias.tensor[:] = [0.5]
Y, _ = layer.forward(np.arange(16.0).reshape(1, 1, 4, 4))
assert np.shape(Y) == (1, 1, 3, 3), f"expected output of shape (1, 1, 3, 3), got {np.shape(Y)}"
assert np.allclose(Y, -4.5), \
    f"each output is X[i, j] - X[i+1, j+1] + 0.5 = -4.5 (a cross-correlation: no flip), got\n{Y}"
assert Conv2D(3, 5, 3, padding=1).forward(np.ones((2, 3, 6, 7)))[0].shape == (2, 5, 6, 7), \
    "padding 1 keeps a 3x3 filter's output the input's size"
assert Conv2D(3, 5, 3, stride=2).forward(np.ones((2, 3, 7, 8)))[0].shape == (2, 5, 3, 3), "stride 2"
### BEGIN HIDDEN TESTS
hidden_layer = Conv2D(2, 1, 1)
hidden_layer.weights.tensor[:] = [[[[2.0]], [[-1.0]]]]
hidden_X = np.random.default_rng(504).normal(size=(3, 2, 2, 3))
assert np.allclose(hidden_layer.forward(hidden_X)[0][:, 0], 2 * hidden_X[:, 0] - hidden_X[:, 1])
hidden_layer = Conv2D(1, 1, 3, padding=1)
hidden_layer.weights.tensor[:] = 0.0
hidden_layer.weights.tensor[0, 0, 1, 1] = 1.0
assert np.allclose(hidden_layer.forward(hidden_X[:, :1])[0], hidden_X[:, :1]), \
    "centre tap: identity"
### END HIDDEN TESTS
print("Conv2D.forward: tests passed")

# %%
# nbgrader: tests conv2d_backward
for channels, filters, kernel, stride, padding, shape in [(1, 2, 3, 1, 0, (2, 1, 5, 5)),
                                                           (2, 3, 2, 2, 1, (1, 2, 5, 4))]:
    layer = Conv2D(channels, filters, kernel, stride=stride, padding=padding, rng=1)
    layer.bias.tensor[:] = rng.normal(size=filters)
    X = rng.normal(size=shape)
    Y, _ = layer.forward(X)
    for name, error in gradient_errors(layer, X, rng.normal(size=Y.shape)).items():
        assert error < 1e-6, (f"Conv2D({channels}, {filters}, {kernel}, stride={stride}, "
                              f"padding={padding}) on {shape}, gradient of the {name}: "
                              f"relative error {error:.1e}")
### BEGIN HIDDEN TESTS
for hidden_args, hidden_shape in [((3, 1, 3, 2, 1), (2, 3, 6, 5)), ((1, 1, 1, 1, 0), (1, 1, 3, 3)),
                                  ((2, 2, 3, 1, 2), (1, 2, 3, 3))]:
    hidden_layer = Conv2D(*hidden_args[:3], stride=hidden_args[3], padding=hidden_args[4], rng=2)
    hidden_X = rng.normal(size=hidden_shape)
    hidden_Y, _ = hidden_layer.forward(hidden_X)
    for hidden_error in gradient_errors(hidden_layer, hidden_X,
                                        rng.normal(size=hidden_Y.shape)).values():
        assert hidden_error < 1e-6
### END HIDDEN TESTS
print("Conv2D.backward: tests passed")

# %% [markdown]
# ## Task 6: max pooling
#
# `MaxPool2D(kernel_size, stride=None)` keeps the largest value of each `k × k` window
# (the stride defaults to the kernel size: windows side by side). Its output depends on
# one input per window only, so the gradient goes back to that position and nowhere else
# (ties: the first maximum, scanning rows then columns). Overlapping windows may share a
# maximum, which then receives the sum of their gradients.

# %%
# nbgrader: solution maxpool
# include: conv.MaxPool2D

# %%
# nbgrader: tests maxpool_tests
X = np.arange(16.0).reshape(1, 1, 4, 4)
Y, backward = MaxPool2D(2).forward(X)
assert np.shape(Y) == (1, 1, 2, 2), f"expected output of shape (1, 1, 2, 2), got {np.shape(Y)}"
assert np.allclose(Y, [[[[5, 7], [13, 15]]]]), \
    f"each window's maximum: expected [[5, 7], [13, 15]], got {Y}"
dX = backward(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]))
assert np.shape(dX) == X.shape, f"dX must have the shape of X {X.shape}, got {np.shape(dX)}"
assert np.allclose(dX[0, 0], [[0, 0, 0, 0], [0, 1, 0, 2], [0, 0, 0, 0], [0, 3, 0, 4]]), \
    f"each gradient goes to its window's maximum, got\n{dX[0, 0]}"
_, backward = MaxPool2D(2).forward(np.zeros((1, 1, 2, 2)))
assert np.allclose(backward(np.ones((1, 1, 1, 1)))[0, 0], [[1, 0], [0, 0]]), \
    "a tie goes to the first maximum in row-major order"
### BEGIN HIDDEN TESTS
hidden_X = np.random.default_rng(505).permutation(2 * 3 * 5 * 5).reshape(2, 3, 5, 5).astype(float)
hidden_layer = MaxPool2D(3, stride=2)
hidden_Y, _ = hidden_layer.forward(hidden_X)
assert hidden_Y.shape == (2, 3, 2, 2)
for hidden_error in gradient_errors(hidden_layer, hidden_X,
                                    rng.normal(size=hidden_Y.shape)).values():
    assert hidden_error < 1e-6
### END HIDDEN TESTS
print("MaxPool2D: tests passed")

# %% [markdown]
# ## Task 7: Flatten
#
# `Flatten()` turns `(N, C, H, W)` (or any `(N, ...)`) into `(N, C·H·W)`, one row per
# sample, so that a `Linear` layer can follow the convolutions. It only reshapes, so its
# backward reshapes back.

# %%
# nbgrader: solution flatten
# include: conv.Flatten

# %%
# nbgrader: tests flatten_tests
X = rng.normal(size=(2, 3, 4, 5))
Y, backward = Flatten().forward(X)
assert np.shape(Y) == (2, 60), f"expected output of shape (2, 60), got {np.shape(Y)}"
assert np.array_equal(Y[1], X[1].ravel()), "row n is sample n, flattened in row-major order"
assert np.array_equal(backward(Y), X), "backward puts every value back where it came from"
### BEGIN HIDDEN TESTS
hidden_X = np.random.default_rng(506).normal(size=(3, 2, 1))
hidden_Y, hidden_backward = Flatten().forward(hidden_X)
assert hidden_Y.shape == (3, 2) and np.array_equal(hidden_backward(hidden_Y), hidden_X)
### END HIDDEN TESTS
print("Flatten: tests passed")

# %% [markdown]
# ## Task 8: skip connections
#
# `Residual(layer)` computes `Y = X + layer(X)` (the inner layer must keep the shape),
# and its `parameters` are the inner layer's. The input reaches the output along two
# paths, straight through and through the layer, and the chain rule adds the gradients
# of the paths. `train()` and `eval()` must reach the inner layer too.

# %%
# nbgrader: solution residual
# include: conv.Residual

# %%
# nbgrader: tests residual_tests
inner = Linear(3, 3, rng=2)
inner.bias.tensor[:] = [1.0, 2.0, 3.0]
block = Residual(inner)
X = rng.normal(size=(4, 3))
Y, _ = block.forward(X)
assert np.allclose(Y, X + inner.forward(X)[0]), "Y = X + layer(X)"
assert block.parameters == inner.parameters, "the block's parameters are the inner layer's"
for name, error in gradient_errors(Residual(Linear(3, 3, rng=3)), X,
                                   rng.normal(size=(4, 3))).items():
    assert error < 1e-6, f"gradient of the {name}: relative error {error:.1e}"
### BEGIN HIDDEN TESTS
hidden_block = Residual(Sequential(Linear(2, 4, rng=4), Tanh(), Linear(4, 2, rng=5)))
hidden_X = np.random.default_rng(507).normal(size=(5, 2))
for hidden_error in gradient_errors(hidden_block, hidden_X, rng.normal(size=(5, 2))).values():
    assert hidden_error < 1e-6
hidden_block.eval()
assert not hidden_block.layer.training, "eval() must reach the inner layer"
### END HIDDEN TESTS
print("Residual: tests passed")

# %% [markdown]
# Why skip connections matter: push a gradient back through 30 `Tanh` layers and see how
# much of it arrives at the input, then the same with each layer inside a `Residual`,
# whose straight path carries the gradient back whatever the layers do to it.

# %%
depth_rng = np.random.default_rng(1)
X = depth_rng.normal(size=(16, 8))
print(f"size of the gradient at the output: {np.linalg.norm(np.ones_like(X)):.2e}")
for name, wrap in [("plain", lambda layer: layer), ("residual", Residual)]:
    layers = [wrap(Sequential(Linear(8, 8, rng=depth_rng), Tanh())) for _ in range(30)]
    Y, backward = Sequential(*layers).forward(X)
    print(f"{name:>8}: at the input, 30 layers back: "
          f"{np.linalg.norm(backward(np.ones_like(Y))):.2e}")

# %% [markdown]
# ## A ConvNet on the digits
#
# The digits again, now as `(N, 1, 8, 8)` images with pixels in `[0, 1]`. One layer of 8
# filters, batch normalisation, ReLU, 2×2 pooling down to 4×4, and a linear layer to the
# ten classes, trained with Adam for a few epochs. (`make demo` in the package edition
# trains a larger one, two convolutions of 16 and 32 filters, to about 99 % in 30
# epochs.) The figure shows the filters the first layer learnt.

# %%
# nbgrader: given convnet_setup
def digit_images():
    """The digits as (N, 1, 8, 8) images in [0, 1], and their labels: train, then test."""
    with np.load("digits.npz") as data:
        return ((data["X_train"] / 16.0).reshape(-1, 1, 8, 8), data["y_train"].astype(np.int64),
                (data["X_test"] / 16.0).reshape(-1, 1, 8, 8), data["y_test"].astype(np.int64))


def small_convnet(seed):
    """8 filters of 3x3, BatchNorm, ReLU, 2x2 pooling, and a Linear layer to 10 classes."""
    return Sequential(Conv2D(1, 8, 3, padding=1, rng=seed), BatchNorm(8), ReLU(), MaxPool2D(2),
                      Flatten(), Linear(128, 10, rng=seed + 1))


# %%
X_train, y_train, X_test, y_test = digit_images()
model = small_convnet(0)
learner = Learner(model, softmax_cross_entropy_loss, AdamOptimizer(lr=0.01))
start = time.perf_counter()
losses = learner.fit(X_train, y_train, epochs=10, bs=32, rng=0)
predicted = learner.predict(X_test).argmax(axis=1)
print(f"test accuracy {np.mean(predicted == y_test):.3f} after 10 epochs "
      f"({time.perf_counter() - start:.1f} s)")

fig, axes = plt.subplots(1, 9, figsize=(11, 1.6))
axes[0].plot(range(1, 11), losses)
axes[0].set(xlabel="epoch", title="training loss")
for ax, kernel in zip(axes[1:], model.layers[0].weights.tensor[:, 0], strict=True):
    limit = np.abs(kernel).max()
    ax.imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
    ax.axis("off")
fig.suptitle("the loss, and the 8 first-layer filters (red +, blue -)", fontsize=9)
plt.tight_layout()
plt.show()

# %%
# nbgrader: given convnet_check
# A self-check of the whole chapter, not graded: the grader grades each unit.
X_train, y_train, X_test, y_test = digit_images()
model = small_convnet(10)
learner = Learner(model, softmax_cross_entropy_loss, AdamOptimizer(lr=0.01))
losses = learner.fit(X_train, y_train, epochs=3, bs=32, rng=12)
accuracy = np.mean(learner.predict(X_test).argmax(axis=1) == y_test)
assert losses[-1] < losses[0], \
    f"the training loss should fall; it went {losses[0]:.3f} -> {losses[-1]:.3f}"
assert accuracy > 0.9, f"test accuracy {accuracy:.3f}: more than 0.9 is expected after 3 epochs"
print(f"ConvNet: test accuracy {accuracy:.3f}")
