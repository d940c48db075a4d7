"""BatchNorm and LayerNorm (nn100/norm.py) against statistics computed feature by feature
here, central differences, PyTorch's running-statistics rule, and (when installed) PyTorch."""
import numpy as np
import pytest

import nn100 as nn
from numeric import GRAD_TOLERANCE, assert_accumulates_and_mutates_nothing, layer_gradient_errors

EPS = 1e-5
# 2-D and 4-D, odd sizes
SHAPES = [(2, 3), (7, 1), (5, 4), (1, 2, 3, 3), (3, 4, 2, 5), (2, 1, 1, 3)]


def feature_values(X, f):
    """Every value of feature f (axis 1) in the batch, as one flat list."""
    return np.moveaxis(X, 1, 0)[f].ravel()


def naive_batch_norm(X, gamma, beta, mean=None, var=None):
    """Y per feature; with mean, var None, the batch's own (biased) statistics."""
    Y = np.empty_like(X)
    for f in range(X.shape[1]):
        values = feature_values(X, f)
        m = sum(values) / len(values) if mean is None else mean[f]
        v = sum((x - m) ** 2 for x in values) / len(values) if var is None else var[f]
        index = (slice(None), f)
        Y[index] = gamma[f] * (X[index] - m) / np.sqrt(v + EPS) + beta[f]
    return Y


def make_batch_norm(features, seed, **options):
    layer = nn.BatchNorm(features, **options)
    rng = np.random.default_rng(seed)
    layer.gamma.tensor[...] = rng.uniform(0.5, 2, features)  # not the identity start
    layer.beta.tensor[...] = rng.standard_normal(features)
    return layer


def make_layer_norm(features, seed):
    layer = nn.LayerNorm(features)
    rng = np.random.default_rng(seed)
    layer.gamma.tensor[...] = rng.uniform(0.5, 2, features)
    layer.beta.tensor[...] = rng.standard_normal(features)
    return layer


def in_eval_mode(layer, seed):
    """The layer in evaluation mode with running statistics far from 0 and 1."""
    rng = np.random.default_rng(seed)
    layer.running_mean[...] = rng.standard_normal(layer.features)
    layer.running_var[...] = rng.uniform(0.2, 3, layer.features)
    return layer.eval()


@pytest.mark.parametrize("shape", SHAPES)
def test_batch_norm_forward_in_training_uses_the_batch_statistics(shape):
    layer = make_batch_norm(shape[1], 0)
    X = 3 + 2 * np.random.default_rng(1).standard_normal(shape)
    expected = naive_batch_norm(X, layer.gamma.tensor, layer.beta.tensor)
    np.testing.assert_allclose(layer.forward(X)[0], expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("shape", SHAPES)
def test_batch_norm_forward_in_evaluation_uses_the_running_statistics(shape):
    layer = in_eval_mode(make_batch_norm(shape[1], 0), 2)
    mean, var = layer.running_mean.copy(), layer.running_var.copy()
    X = np.random.default_rng(3).standard_normal(shape)
    expected = naive_batch_norm(X, layer.gamma.tensor, layer.beta.tensor, mean, var)
    np.testing.assert_allclose(layer.forward(X)[0], expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(layer.running_mean, mean)  # evaluation leaves them alone
    np.testing.assert_array_equal(layer.running_var, var)


@pytest.mark.parametrize("shape", SHAPES)
def test_batch_norm_gradients_in_training_match_finite_differences(shape):
    rng = np.random.default_rng(sum(shape))
    errors = layer_gradient_errors(make_batch_norm(shape[1], 4), rng.standard_normal(shape), rng)
    assert set(errors) == {"input", "parameter 0", "parameter 1"}
    assert max(errors.values()) < GRAD_TOLERANCE, errors


@pytest.mark.parametrize("shape", SHAPES)
def test_batch_norm_gradients_in_evaluation_match_finite_differences(shape):
    rng = np.random.default_rng(sum(shape) + 1)
    errors = layer_gradient_errors(in_eval_mode(make_batch_norm(shape[1], 5), 6),
                                   rng.standard_normal(shape), rng)
    assert max(errors.values()) < GRAD_TOLERANCE, errors


def test_running_statistics_after_several_batches_follow_pytorchs_rule():
    layer = nn.BatchNorm(3, momentum=0.2)
    mean, var = np.zeros(3), np.ones(3)
    rng = np.random.default_rng(7)
    for batch in range(5):
        X = rng.uniform(-1, 4, (4 + batch, 3, 2, 3))
        layer.forward(X)
        for f in range(3):
            values = feature_values(X, f)
            m = sum(values) / len(values)
            unbiased = sum((x - m) ** 2 for x in values) / (len(values) - 1)
            mean[f] = 0.8 * mean[f] + 0.2 * m    # momentum is the weight of the new batch
            var[f] = 0.8 * var[f] + 0.2 * unbiased
    np.testing.assert_allclose(layer.running_mean, mean, rtol=1e-12)
    np.testing.assert_allclose(layer.running_var, var, rtol=1e-12)
    fresh = nn.BatchNorm(2)
    np.testing.assert_array_equal(fresh.running_mean, [0, 0])
    np.testing.assert_array_equal(fresh.running_var, [1, 1])


def test_backward_follows_the_mode_its_forward_ran_in():
    rng = np.random.default_rng(8)
    X, D = rng.standard_normal((6, 3)), rng.standard_normal((6, 3))
    layer = make_batch_norm(3, 0)
    _, training_backward = layer.forward(X)
    layer.eval()
    _, eval_backward = layer.forward(X)
    fresh = make_batch_norm(3, 0)
    np.testing.assert_allclose(training_backward(D), fresh.forward(X)[1](D))
    fresh.running_mean[...], fresh.running_var[...] = layer.running_mean, layer.running_var
    np.testing.assert_allclose(eval_backward(D), fresh.eval().forward(X)[1](D))
    # evaluation mode is an affine map: its input gradient scales D feature by feature
    np.testing.assert_allclose(eval_backward(D),
                               D * layer.gamma.tensor / np.sqrt(layer.running_var + EPS))


def test_training_output_has_mean_beta_and_std_gamma_per_feature():
    layer = make_batch_norm(4, 9)
    X = 5 + 3 * np.random.default_rng(9).standard_normal((8, 4, 3, 3))
    Y = layer.forward(X)[0]
    np.testing.assert_allclose(Y.mean(axis=(0, 2, 3)), layer.beta.tensor, atol=1e-12)
    np.testing.assert_allclose(Y.std(axis=(0, 2, 3)), layer.gamma.tensor, rtol=1e-5)


def naive_layer_norm(X, gamma, beta):
    Y = np.empty_like(X)
    for index in np.ndindex(X.shape[:-1]):
        row = X[index]
        m = sum(row) / len(row)
        v = sum((x - m) ** 2 for x in row) / len(row)
        Y[index] = gamma * (row - m) / np.sqrt(v + EPS) + beta
    return Y


@pytest.mark.parametrize("shape", [(1, 4), (5, 3), (2, 3, 6), (4, 7)])
def test_layer_norm_normalises_each_sample_and_its_gradients_match(shape):
    layer = make_layer_norm(shape[-1], 0)
    rng = np.random.default_rng(sum(shape))
    X = 2 + 3 * rng.standard_normal(shape)
    np.testing.assert_allclose(layer.forward(X)[0],
                               naive_layer_norm(X, layer.gamma.tensor, layer.beta.tensor),
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(layer.eval().forward(X)[0], layer.train().forward(X)[0])
    errors = layer_gradient_errors(layer, X, rng)
    assert len(errors) == 3 and max(errors.values()) < GRAD_TOLERANCE, errors


LAYERS = [lambda: make_batch_norm(3, 0), lambda: in_eval_mode(make_batch_norm(3, 0), 1),
          lambda: make_layer_norm(5, 0)]
# shapes each layer accepts: 4-D and 2-D BatchNorm, 3-D LayerNorm
INPUTS = [(4, 3, 2, 5), (6, 3), (6, 3, 5)]


@pytest.mark.parametrize("make_layer, shape", [(LAYERS[0], INPUTS[0]), (LAYERS[0], INPUTS[1]),
                                               (LAYERS[1], INPUTS[0]), (LAYERS[1], INPUTS[1]),
                                               (LAYERS[2], INPUTS[2]), (LAYERS[2], (4, 5))])
def test_backward_accumulates_and_mutates_nothing(make_layer, shape):
    layer = make_layer()
    rng = np.random.default_rng(2)
    X = rng.standard_normal(shape)
    assert_accumulates_and_mutates_nothing(layer, X, rng)


@pytest.mark.parametrize("make_layer", LAYERS)
def test_each_closure_uses_its_own_forwards_values(make_layer):
    rng = np.random.default_rng(6)
    X1, X2, D = rng.standard_normal((3, 4, 3, 2, 5))
    alone = make_layer()
    expected = alone.forward(X1)[1](D).copy()
    expected_grads = [p.gradient.copy() for p in alone.parameters]
    layer = make_layer()
    _, first = layer.forward(X1)
    layer.forward(X2)
    if isinstance(layer, nn.BatchNorm):
        layer.eval() if layer.training else layer.train()  # nor may a change of mode
    np.testing.assert_allclose(first(D), expected)
    for param, grad in zip(layer.parameters, expected_grads, strict=False):
        np.testing.assert_allclose(param.gradient, grad)


@pytest.mark.parametrize("make_layer", [lambda: nn.BatchNorm(3, dtype=np.float32),
                                        lambda: nn.BatchNorm(3, dtype=np.float32).eval(),
                                        lambda: nn.LayerNorm(3, dtype=np.float32)])
@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 2, 3)])
def test_float32_in_float32_out(make_layer, shape):
    layer = make_layer()
    X = np.random.default_rng(0).standard_normal(
        shape[:-1] + (3,) if isinstance(layer, nn.LayerNorm) else shape)
    X = X.astype(np.float32)
    Y, backward = layer.forward(X)
    dX = backward(np.ones_like(Y))
    assert Y.dtype == np.float32 and dX.dtype == np.float32
    assert all(p.gradient.dtype == np.float32 for p in layer.parameters)
    if isinstance(layer, nn.BatchNorm):
        assert layer.running_mean.dtype == layer.running_var.dtype == np.float32


@pytest.mark.parametrize("layer, X, message", [
    (nn.BatchNorm(3), np.ones((4, 2)),
     r"BatchNorm.forward: expected input of shape \(N, 3\) or \(N, 3, H, W\), got \(4, 2\)"),
    (nn.BatchNorm(3), np.ones((4, 3, 2)),
     r"BatchNorm.forward: expected input of shape .* got \(4, 3, 2\)"),
    (nn.BatchNorm(3), np.ones((1, 3)),
     r"BatchNorm.forward: training needs more than one value per feature"),
    (nn.LayerNorm(4), np.ones((2, 3)),
     r"LayerNorm.forward: expected input of shape \(N, ..., 4\), got \(2, 3\)"),
    (nn.LayerNorm(4), np.ones(4),
     r"LayerNorm.forward: expected input of shape \(N, ..., 4\), got \(4,\)"),
])
def test_bad_input_gets_an_error_naming_the_layer_and_the_shapes(layer, X, message):
    with pytest.raises(ValueError, match=message):
        layer.forward(X)


def test_a_single_sample_is_fine_in_evaluation():
    layer = in_eval_mode(make_batch_norm(3, 0), 1)
    assert layer.forward(np.ones((1, 3)))[0].shape == (1, 3)


def test_norms_match_torch_when_it_is_installed():
    torch = pytest.importorskip("torch")  # an optional oracle; `make test` never installs torch
    F = torch.nn.functional
    rng = np.random.default_rng(0)
    for shape in [(5, 3), (4, 3, 2, 5)]:
        layer = make_batch_norm(3, 1, momentum=0.3)
        running_mean, running_var = (torch.zeros(3, dtype=torch.float64),
                                     torch.ones(3, dtype=torch.float64))
        for training in (True, True, True, False):
            layer.train() if training else layer.eval()
            X, D = rng.standard_normal((2,) + shape) * 2 + 1
            Y, backward = layer.forward(X)
            layer.gamma.gradient[...], layer.beta.gradient[...] = 0, 0
            dX = backward(D)
            tX, tg, tb = (torch.tensor(a, requires_grad=True)
                          for a in (X, layer.gamma.tensor, layer.beta.tensor))
            tY = F.batch_norm(tX, running_mean, running_var, tg, tb, training=training,
                              momentum=0.3, eps=EPS)
            tY.backward(torch.tensor(D))
            for ours, theirs in [(Y, tY), (dX, tX.grad), (layer.gamma.gradient, tg.grad),
                                 (layer.beta.gradient, tb.grad),
                                 (layer.running_mean, running_mean),
                                 (layer.running_var, running_var)]:
                np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-9, atol=1e-12)
    for shape in [(5, 4), (2, 3, 6)]:
        layer = make_layer_norm(shape[-1], 2)
        X, D = rng.standard_normal((2,) + shape)
        Y, backward = layer.forward(X)
        dX = backward(D)
        tX, tg, tb = (torch.tensor(a, requires_grad=True)
                      for a in (X, layer.gamma.tensor, layer.beta.tensor))
        tY = F.layer_norm(tX, (shape[-1],), tg, tb, eps=EPS)
        tY.backward(torch.tensor(D))
        for ours, theirs in [(Y, tY), (dX, tX.grad), (layer.gamma.gradient, tg.grad),
                             (layer.beta.gradient, tb.grad)]:
            np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-9, atol=1e-12)
