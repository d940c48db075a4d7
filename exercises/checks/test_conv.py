"""Visible checks for convolution, pooling, flattening and skip connections (chapter 7).

A first safety net, not the graded tests: the grader checks more shapes, strides and
paddings, ties, float32 and more. Passing here is necessary, not sufficient.
"""
import numpy as np
import pytest

import nn100
from check_helpers import Scale, assert_close, assert_gradients_match, random


def grid(*shape):
    return np.arange(np.prod(shape), dtype=np.float64).reshape(shape)


# ---- 7.1 to 7.4: Conv2D ------------------------------------------------------------

@pytest.mark.exercise("7.1")
def test_im2col_by_hand():
    from nn100.conv import im2col
    cols = im2col(grid(1, 1, 4, 4), 2, 2)
    assert_close(cols, [[0, 1, 4, 5], [2, 3, 6, 7], [8, 9, 12, 13], [10, 11, 14, 15]],
                 "im2col of a 4x4 image, 2x2 patches, stride 2")


@pytest.mark.exercise("7.1")
def test_im2col_with_two_channels_by_hand():
    from nn100.conv import im2col
    cols = im2col(grid(1, 2, 3, 3), 2, 1)  # channel 0 holds 0..8, channel 1 holds 9..17
    assert_close(cols, [[0, 1, 3, 4, 9, 10, 12, 13], [1, 2, 4, 5, 10, 11, 13, 14],
                        [3, 4, 6, 7, 12, 13, 15, 16], [4, 5, 7, 8, 13, 14, 16, 17]],
                 "im2col of a 2-channel 3x3 image, 2x2 patches, stride 1 (each row: the "
                 "patch of channel 0, then that of channel 1)")


@pytest.mark.exercise("7.1")
def test_im2col_rows_go_image_by_image():
    from nn100.conv import im2col
    X = random(2, 3, 5, 5)
    cols = im2col(X, 3, 2)
    assert cols.shape == (8, 27), f"im2col of (2, 3, 5, 5), 3x3 patches, stride 2: {cols.shape}"
    assert_close(cols[:4], im2col(X[:1], 3, 2), "im2col: the first rows are the first image's")


@pytest.mark.exercise("7.2")
def test_conv_forward_is_a_cross_correlation_by_hand():
    layer = nn100.Conv2D(1, 1, 2)
    layer.weights.tensor[...] = [[[[1.0, 2.0], [3.0, 4.0]]]]
    layer.bias.tensor[...] = 1.0
    Y, backward = layer.forward(grid(1, 1, 3, 3))
    # the same kernel turned by 180 degrees (a convolution in the textbook sense) would give:
    flipped = [[[[14.0, 24.0], [44.0, 54.0]]]]
    assert not (np.shape(Y) == (1, 1, 2, 2) and np.allclose(Y, flipped)), (
        "Conv2D.forward: these are the outputs of the kernel turned by 180 degrees; "
        "Conv2D does not turn it")
    assert_close(Y, [[[[28.0, 38.0], [58.0, 68.0]]]], "Conv2D(1, 1, 2).forward of a 3x3 image, "
                 "by hand")
    assert callable(backward), "Conv2D.forward must return (Y, backward)"


@pytest.mark.exercise("7.2")
def test_conv_forward_with_two_channels_and_two_filters_by_hand():
    layer = nn100.Conv2D(2, 2, 2)
    layer.weights.tensor[...] = 0.0
    layer.weights.tensor[0, 0, 0, 0] = 1.0  # filter 0: top-left of channel 0
    layer.weights.tensor[0, 1, 1, 1] = 1.0  #   plus bottom-right of channel 1
    layer.weights.tensor[1, 1, 0, 0] = 1.0  # filter 1: top-left of channel 1
    layer.bias.tensor[...] = 0.0
    Y, _ = layer.forward(grid(1, 2, 3, 3))  # channel 0 holds 0..8, channel 1 holds 9..17
    assert_close(Y, [[[[13.0, 15.0], [19.0, 21.0]], [[9.0, 10.0], [12.0, 13.0]]]],
                 "Conv2D(2, 2, 2).forward on a 2-channel image")


@pytest.mark.exercise("7.2")
def test_conv_forward_with_padding_by_hand():
    layer = nn100.Conv2D(1, 1, 2, padding=1)
    layer.weights.tensor[...] = 1.0  # each output: the sum of a 2x2 window
    layer.bias.tensor[...] = 0.0
    Y, _ = layer.forward(grid(1, 1, 2, 2))  # [[0, 1], [2, 3]], framed by a border of zeros
    assert_close(Y, [[[[0.0, 1.0, 1.0], [2.0, 6.0, 4.0], [2.0, 5.0, 3.0]]]],
                 "Conv2D(1, 1, 2, padding=1).forward of [[0, 1], [2, 3]], a 2x2 kernel of ones")


@pytest.mark.exercise("7.2")
def test_conv_forward_shapes_with_stride_and_padding():
    Y, _ = nn100.Conv2D(2, 3, 3, stride=2, padding=1).forward(random(2, 2, 7, 6))
    assert Y.shape == (2, 3, 4, 3), f"Conv2D(2, 3, 3, stride=2, padding=1): output {Y.shape}"


@pytest.mark.exercise("7.3")
def test_col2im_adds_overlapping_patches():
    from nn100.conv import col2im
    image = col2im(np.ones((4, 4)), (1, 1, 3, 3), 2, 1)
    assert_close(image, [[[[1, 2, 1], [2, 4, 2], [1, 2, 1]]]],
                 "col2im of ones: how many 2x2 patches cover each pixel of a 3x3 image")


@pytest.mark.exercise("7.3")
def test_col2im_with_stride_two():
    from nn100.conv import col2im
    image = col2im(np.ones((4, 9)), (1, 1, 5, 5), 3, 2)
    edge = np.array([1.0, 1.0, 2.0, 1.0, 1.0])  # the middle row and column are shared
    assert_close(image, np.outer(edge, edge).reshape(1, 1, 5, 5),
                 "col2im of ones: 3x3 patches at stride 2 over a 5x5 image")


@pytest.mark.exercise("7.3")
def test_col2im_with_two_channels():
    from nn100.conv import col2im
    cols = np.tile([1.0, 1.0, 1.0, 1.0, 10.0, 10.0, 10.0, 10.0], (4, 1))  # channel 0: 1s, 1: 10s
    image = col2im(cols, (1, 2, 3, 3), 2, 1)
    assert_close(image, [[[[1, 2, 1], [2, 4, 2], [1, 2, 1]], [[10, 20, 10], [20, 40, 20],
                                                               [10, 20, 10]]]],
                 "col2im of a 2-channel 3x3 image, 2x2 patches, stride 1 (each row: "
                 "channel 0's patch of 1s, then channel 1's of 10s)")


@pytest.mark.exercise("7.4")
def test_conv_backward_matches_finite_differences():
    layer = nn100.Conv2D(2, 3, 3, stride=2, padding=1, rng=0)
    layer.bias.tensor[...] = random(3, seed=1)
    assert_gradients_match(layer, random(2, 2, 5, 5))
    assert_gradients_match(nn100.Conv2D(1, 2, 2, rng=1), random(1, 1, 4, 4))


@pytest.mark.exercise("7.4")
def test_conv_backward_accumulates():
    layer = nn100.Conv2D(2, 3, 3, rng=0)
    _, backward = layer.forward(random(2, 2, 4, 4))
    backward(random(2, 3, 2, 2, seed=8))
    once = layer.weights.gradient.copy()
    backward(random(2, 3, 2, 2, seed=8))
    assert_close(layer.weights.gradient, 2 * once,
                 "Conv2D backward called twice: weights.gradient should double "
                 "(each call adds its share)")


# ---- 7.5 and 7.6: MaxPool2D --------------------------------------------------------

@pytest.mark.exercise("7.5")
def test_max_pool_forward_by_hand():
    Y, backward = nn100.MaxPool2D(2).forward(grid(1, 1, 4, 4))
    assert_close(Y, [[[[5.0, 7.0], [13.0, 15.0]]]], "MaxPool2D(2).forward")
    assert callable(backward), "MaxPool2D.forward must return (Y, backward)"
    Y, _ = nn100.MaxPool2D(2, stride=1).forward(grid(1, 1, 3, 3))
    assert_close(Y, [[[[4.0, 5.0], [7.0, 8.0]]]], "MaxPool2D(2, stride=1).forward")


@pytest.mark.exercise("7.6")
def test_max_pool_backward_by_hand():
    _, backward = nn100.MaxPool2D(2).forward(np.array([[[[1.0, 5.0], [3.0, 2.0]]]]))
    assert_close(backward(np.array([[[[3.0]]]])), [[[[0.0, 3.0], [0.0, 0.0]]]],
                 "MaxPool2D backward of a window whose maximum is 5 (no tie)")


@pytest.mark.exercise("7.6")
def test_max_pool_backward_routes_to_the_first_maximum():
    _, backward = nn100.MaxPool2D(2).forward(np.array([[[[1.0, 1.0], [0.0, 1.0]]]]))
    assert_close(backward(np.array([[[[3.0]]]])), [[[[3.0, 0.0], [0.0, 0.0]]]],
                 "MaxPool2D backward with a tie (the first maximum, row by row, gets it)")


@pytest.mark.exercise("7.6")
def test_max_pool_backward_matches_finite_differences():
    assert_gradients_match(nn100.MaxPool2D(2), random(2, 3, 4, 4))
    assert_gradients_match(nn100.MaxPool2D(3, stride=2), random(1, 2, 7, 5))


# ---- 7.7: Flatten ------------------------------------------------------------------

@pytest.mark.exercise("7.7")
def test_flatten_forward_and_backward():
    X = grid(2, 3, 2, 2)
    Y, backward = nn100.Flatten().forward(X)
    assert_close(Y, X.reshape(2, 12), "Flatten.forward")
    assert_close(backward(Y), X, "Flatten backward (the input's shape back)")


# ---- 7.8 and 7.9: Residual ---------------------------------------------------------

@pytest.mark.exercise("7.8")
def test_residual_forward_adds_the_skip():
    layer = nn100.Residual(Scale([2.0, -1.0]))
    Y, backward = layer.forward(np.array([[1.0, 1.0], [2.0, 3.0]]))
    assert_close(Y, [[3.0, 0.0], [6.0, 0.0]], "Residual.forward")
    assert callable(backward), "Residual.forward must return (Y, backward)"
    assert layer.parameters == layer.layer.parameters, "Residual.parameters: the inner layer's"


@pytest.mark.exercise("7.8")
def test_residual_train_and_eval_reach_the_inner_layer():
    layer = nn100.Residual(Scale([1.0]))
    layer.eval()
    assert not layer.layer.training, "Residual.eval(): the inner layer should be evaluating too"
    layer.train()
    assert layer.layer.training, "Residual.train(): the inner layer should be training too"


@pytest.mark.exercise("7.9")
def test_residual_backward_matches_finite_differences():
    assert_gradients_match(nn100.Residual(Scale([2.0, -1.0, 0.5])), random(4, 3))


@pytest.mark.exercise("C.3")
def test_checkpoint_convnet_on_digit_images():
    """The digits as 8x8 images: a small ConvNet reaches 95% in 3 epochs."""
    from nn100.data import load_digits
    X_train, y_train, X_test, y_test = load_digits()
    X_train, X_test = X_train.reshape(-1, 1, 8, 8), X_test.reshape(-1, 1, 8, 8)
    model = nn100.Sequential(nn100.Conv2D(1, 8, 3, padding=1, rng=0), nn100.BatchNorm(8),
                             nn100.ReLU(), nn100.MaxPool2D(2), nn100.Flatten(),
                             nn100.Linear(128, 10, rng=1))
    learner = nn100.Learner(model, nn100.softmax_cross_entropy_loss, nn100.AdamOptimizer(lr=0.01))
    learner.fit(X_train, y_train, epochs=3, bs=32, rng=0)
    accuracy = np.mean(learner.predict(X_test).argmax(axis=1) == y_test)
    assert accuracy > 0.95, \
        f"ConvNet on digit images: test accuracy {accuracy:.1%}, expected above 95%"
