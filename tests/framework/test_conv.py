"""Conv2D, MaxPool2D, Flatten and Residual (nn100/conv.py) against loops written out here,
central differences, and (when it is installed) PyTorch."""
import numpy as np
import pytest

import nn100 as nn
from numeric import GRAD_TOLERANCE, assert_accumulates_and_mutates_nothing, layer_gradient_errors

# (N, C, H, W, F, kernel, stride, padding): batch of 1, odd sizes, stride 2, padding 1,
# one channel and several, a kernel as large as the padded input.
CONV_CASES = [(1, 1, 5, 5, 1, 3, 1, 0), (2, 3, 7, 6, 4, 3, 2, 1), (3, 2, 5, 4, 3, 2, 1, 1),
              (1, 2, 4, 4, 2, 4, 1, 0), (2, 1, 6, 7, 2, 3, 2, 0), (1, 3, 3, 5, 2, 1, 1, 1)]
POOL_CASES = [(1, 1, 4, 4, 2, None), (2, 3, 5, 7, 2, None), (2, 2, 5, 5, 3, 1), (1, 2, 7, 6, 3, 2)]


def naive_conv(X, W, b, stride, padding):
    """Cross-correlation by its definition, one output element at a time."""
    N, C, H, Wd = X.shape
    F, _, k, _ = W.shape
    Xp = np.zeros((N, C, H + 2 * padding, Wd + 2 * padding))
    Xp[:, :, padding:padding + H, padding:padding + Wd] = X
    rows, cols = (Xp.shape[2] - k) // stride + 1, (Xp.shape[3] - k) // stride + 1
    Y = np.zeros((N, F, rows, cols))
    for n in range(N):
        for f in range(F):
            for i in range(rows):
                for j in range(cols):
                    total = b[f]
                    for c in range(C):
                        for a in range(k):
                            for d in range(k):
                                total += W[f, c, a, d] * Xp[n, c, i * stride + a, j * stride + d]
                    Y[n, f, i, j] = total
    return Y


def naive_pool(X, k, stride):
    """Each window's maximum and where it is (the first one met scanning rows then columns)."""
    N, C, H, W = X.shape
    rows, cols = (H - k) // stride + 1, (W - k) // stride + 1
    Y, where = np.zeros((N, C, rows, cols)), {}
    for n, c, i, j in np.ndindex(N, C, rows, cols):
        best = None
        for a in range(k):
            for d in range(k):
                value = X[n, c, i * stride + a, j * stride + d]
                if best is None or value > best:
                    best, where[n, c, i, j] = value, (i * stride + a, j * stride + d)
        Y[n, c, i, j] = best
    return Y, where


def make_conv(C, F, k, stride, padding, seed, dtype=np.float64):
    layer = nn.Conv2D(C, F, k, stride=stride, padding=padding, rng=seed, dtype=dtype)
    layer.bias.tensor[...] = np.random.default_rng(seed + 1).standard_normal(F)  # not all zeros
    return layer


@pytest.mark.parametrize("N, C, H, W, F, k, stride, padding", CONV_CASES)
def test_conv_forward_is_the_cross_correlation(N, C, H, W, F, k, stride, padding):
    layer = make_conv(C, F, k, stride, padding, 0)
    X = np.random.default_rng(N + C + H).standard_normal((N, C, H, W))
    Y = layer.forward(X)[0]
    expected = naive_conv(X, layer.weights.tensor, layer.bias.tensor, stride, padding)
    assert Y.shape == expected.shape == (N, F, (H + 2 * padding - k) // stride + 1,
                                         (W + 2 * padding - k) // stride + 1)
    np.testing.assert_allclose(Y, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("N, C, H, W, F, k, stride, padding", CONV_CASES)
def test_conv_gradients_match_finite_differences(N, C, H, W, F, k, stride, padding):
    rng = np.random.default_rng(10 * N + H)
    errors = layer_gradient_errors(make_conv(C, F, k, stride, padding, 1),
                                   rng.standard_normal((N, C, H, W)), rng)
    assert set(errors) == {"input", "parameter 0", "parameter 1"}
    assert max(errors.values()) < GRAD_TOLERANCE, errors


def test_conv_initialisation_is_reproducible_and_scaled():
    a, b = nn.Conv2D(8, 300, 5, rng=3), nn.Conv2D(8, 300, 5, rng=3)
    np.testing.assert_array_equal(a.weights.tensor, b.weights.tensor)
    assert a.weights.tensor.shape == (300, 8, 5, 5) and a.bias.tensor.shape == (300,)
    assert abs(a.weights.tensor.std() - np.sqrt(1 / (8 * 25))) < 0.002
    assert not a.bias.tensor.any()
    assert a.parameters == [a.weights, a.bias]


@pytest.mark.parametrize("N, C, H, W, k, stride", POOL_CASES)
def test_maxpool_takes_each_windows_maximum_and_routes_the_gradient_to_it(N, C, H, W, k, stride):
    rng = np.random.default_rng(H * W)
    X = rng.standard_normal((N, C, H, W))
    Y, backward = nn.MaxPool2D(k, stride).forward(X)
    expected, where = naive_pool(X, k, stride if stride else k)
    np.testing.assert_array_equal(Y, expected)
    D = rng.standard_normal(Y.shape)
    dX = np.zeros_like(X)
    for (n, c, i, j), (r, s) in where.items():
        dX[n, c, r, s] += D[n, c, i, j]
    np.testing.assert_allclose(backward(D), dX, rtol=1e-15, atol=0)
    errors = layer_gradient_errors(nn.MaxPool2D(k, stride), X, rng)  # no ties: differentiable
    assert errors["input"] < GRAD_TOLERANCE, errors


def test_maxpool_ties_go_to_the_first_maximum_and_shared_maxima_add_up():
    X = np.array([[[[1.0, 3.0, 3.0, 0.0],
                    [3.0, 3.0, 2.0, 3.0]]]])
    Y, backward = nn.MaxPool2D(2).forward(X)
    np.testing.assert_array_equal(Y, [[[[3.0, 3.0]]]])
    np.testing.assert_array_equal(backward(np.array([[[[1.0, 2.0]]]])),
                                  [[[[0, 1, 2, 0], [0, 0, 0, 0]]]])
    # stride 1: the maximum 5 lies in all four 2x2 windows; its gradient is their sum
    X = np.array([[[[0.0, 1.0, 0.0], [2.0, 5.0, 3.0], [0.0, 4.0, 0.0]]]])
    Y, backward = nn.MaxPool2D(2, stride=1).forward(X)
    np.testing.assert_array_equal(Y, np.full((1, 1, 2, 2), 5.0))
    dX = backward(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]))
    np.testing.assert_array_equal(dX, [[[[0, 0, 0], [0, 10, 0], [0, 0, 0]]]])


def test_flatten_keeps_the_batch_axis_and_backward_restores_the_shape():
    X = np.arange(24.0).reshape(2, 3, 2, 2)
    Y, backward = nn.Flatten().forward(X)
    np.testing.assert_array_equal(Y, [np.arange(12.0), np.arange(12.0, 24.0)])
    D = np.random.default_rng(0).standard_normal((2, 12))
    np.testing.assert_array_equal(backward(D), D.reshape(2, 3, 2, 2))
    assert nn.Flatten().forward(np.ones((3, 5)))[0].shape == (3, 5)


def test_residual_adds_the_skip_path_in_forward_and_backward():
    inner = nn.Linear(4, 4, rng=0)
    inner.bias.tensor[...] = [0.5, -1.0, 2.0, 0.0]
    layer = nn.Residual(inner)
    assert layer.parameters == [inner.weights, inner.bias]
    rng = np.random.default_rng(5)
    X, D = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    Y, backward = layer.forward(X)
    np.testing.assert_allclose(Y, X + X @ inner.weights.tensor + inner.bias.tensor)
    np.testing.assert_allclose(backward(D), D + D @ inner.weights.tensor.T)
    np.testing.assert_allclose(inner.weights.gradient, X.T @ D)
    model = nn.Residual(nn.Sequential(make_conv(2, 2, 3, 1, 1, 2), nn.Tanh()))
    errors = layer_gradient_errors(model, rng.standard_normal((2, 2, 4, 5)), rng)
    assert len(errors) == 3 and max(errors.values()) < GRAD_TOLERANCE, errors


def test_residual_passes_train_and_eval_to_its_layer():
    dropout = nn.Dropout(0.5, rng=0)
    layer = nn.Residual(dropout)
    layer.eval()
    assert not layer.training and not dropout.training
    np.testing.assert_array_equal(layer.forward(np.ones((2, 3)))[0], 2 * np.ones((2, 3)))
    nn.Sequential(layer).train()
    assert dropout.training


LAYERS = [lambda: make_conv(2, 3, 3, 2, 1, 0), lambda: make_conv(2, 2, 2, 1, 0, 4),
          lambda: nn.MaxPool2D(2), lambda: nn.MaxPool2D(3, 1), nn.Flatten,
          lambda: nn.Residual(make_conv(2, 2, 3, 1, 1, 3))]


@pytest.mark.parametrize("make_layer", LAYERS)
def test_backward_accumulates_and_mutates_nothing(make_layer):
    layer = make_layer()
    rng = np.random.default_rng(2)
    X = rng.standard_normal((3, 2, 5, 5))
    assert_accumulates_and_mutates_nothing(layer, X, rng)


@pytest.mark.parametrize("make_layer", LAYERS)
def test_each_closure_uses_its_own_forwards_values(make_layer):
    rng = np.random.default_rng(6)
    X1, X2 = rng.standard_normal((2, 2, 5, 5)), rng.standard_normal((2, 2, 5, 5))
    alone = make_layer()
    Y1, backward1 = alone.forward(X1)
    D = rng.standard_normal(Y1.shape)
    expected = backward1(D).copy()
    expected_grads = [p.gradient.copy() for p in alone.parameters]
    layer = make_layer()
    _, first = layer.forward(X1)
    layer.forward(X2)  # a later forward must not change what the first closure computes
    np.testing.assert_allclose(first(D), expected)
    for param, grad in zip(layer.parameters, expected_grads, strict=False):
        np.testing.assert_allclose(param.gradient, grad)


@pytest.mark.parametrize("make_layer", [
    lambda: make_conv(2, 3, 3, 1, 1, 0, np.float32), lambda: nn.MaxPool2D(2), nn.Flatten,
    lambda: nn.Residual(make_conv(2, 2, 3, 1, 1, 0, np.float32)),
])
def test_float32_in_float32_out(make_layer):
    layer = make_layer()
    X = np.random.default_rng(0).standard_normal((2, 2, 4, 4)).astype(np.float32)
    Y, backward = layer.forward(X)
    dX = backward(np.ones_like(Y))
    assert Y.dtype == np.float32 and dX.dtype == np.float32
    assert all(p.gradient.dtype == np.float32 for p in layer.parameters)


@pytest.mark.parametrize("layer, X, message", [
    (nn.Conv2D(3, 2, 3), np.ones((2, 3, 5)),
     r"Conv2D.forward: expected input of shape \(N, 3, H, W\), got \(2, 3, 5\)"),
    (nn.Conv2D(3, 2, 3), np.ones((2, 4, 5, 5)),
     r"Conv2D.forward: expected input of shape \(N, 3, H, W\), got \(2, 4, 5, 5\)"),
    (nn.Conv2D(1, 2, 5, padding=1), np.ones((1, 1, 2, 6)),
     r"Conv2D.forward: kernel 5x5 is larger than the padded input 4x8"),
    (nn.MaxPool2D(3), np.ones((4, 9)),
     r"MaxPool2D.forward: expected input of shape \(N, C, H, W\), got \(4, 9\)"),
    (nn.MaxPool2D(3), np.ones((1, 1, 2, 6)),
     r"MaxPool2D.forward: kernel 3x3 is larger than the input 2x6"),
    (nn.Flatten(), np.ones(4),
     r"Flatten.forward: expected input of shape \(N, ...\) with at least 2 axes, got \(4,\)"),
    (nn.Residual(nn.Linear(3, 2)), np.ones((4, 3)),
     r"Residual.forward: the inner layer's output must have"),
])
def test_bad_input_gets_an_error_naming_the_layer_and_the_shapes(layer, X, message):
    with pytest.raises(ValueError, match=message):
        layer.forward(X)


def test_bad_hyper_parameters_are_refused():
    with pytest.raises(ValueError, match="Conv2D: stride must be an integer >= 1, got 0"):
        nn.Conv2D(1, 1, 3, stride=0)
    with pytest.raises(ValueError,
                       match=r"Conv2D: kernel_size must be an integer >= 1, got \(3, 3\)"):
        nn.Conv2D(1, 1, (3, 3))
    with pytest.raises(ValueError, match="MaxPool2D: kernel_size must be an integer >= 1, got 0"):
        nn.MaxPool2D(0)


def test_conv_and_pool_match_torch_when_it_is_installed():
    torch = pytest.importorskip("torch")  # an optional oracle; `make test` never installs torch
    F = torch.nn.functional
    rng = np.random.default_rng(0)
    for N, C, H, W, Fo, k, stride, padding in CONV_CASES:
        layer = make_conv(C, Fo, k, stride, padding, 7)
        X = rng.standard_normal((N, C, H, W))
        Y, backward = layer.forward(X)
        D = rng.standard_normal(Y.shape)
        dX = backward(D)
        tX, tW, tb = (torch.tensor(a, requires_grad=True)
                      for a in (X, layer.weights.tensor, layer.bias.tensor))
        tY = F.conv2d(tX, tW, tb, stride=stride, padding=padding)
        tY.backward(torch.tensor(D))
        for ours, theirs in [(Y, tY), (dX, tX.grad), (layer.weights.gradient, tW.grad),
                             (layer.bias.gradient, tb.grad)]:
            np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    for N, C, H, W, k, stride in POOL_CASES:
        X = rng.standard_normal((N, C, H, W))
        Y, backward = nn.MaxPool2D(k, stride).forward(X)
        D = rng.standard_normal(Y.shape)
        tX = torch.tensor(X, requires_grad=True)
        tY = F.max_pool2d(tX, k, stride)
        tY.backward(torch.tensor(D))
        np.testing.assert_array_equal(Y, tY.detach().numpy())
        np.testing.assert_allclose(backward(D), tX.grad.numpy(), rtol=1e-12, atol=1e-15)
