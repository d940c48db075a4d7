"""Optimizer steps against values worked out by hand (comments show the arithmetic)."""
import numpy as np
import pytest

import nn100 as nn


def param(value, gradient):
    p = nn.Parameter(np.array([float(value)]))
    p.gradient[...] = gradient
    return p


def run(optimizer, p, gradients):
    values = []
    for g in gradients:
        p.gradient[...] = g
        optimizer.update(p)
        assert p.gradient[0] == 0, "the optimizer zeroes the gradient after its step"
        values.append(float(p.tensor[0]))
    return values


def test_sgd():
    # 1 - 0.1 * 2 = 0.8;  0.8 - 0.1 * (-1) = 0.9
    assert run(nn.SGDOptimizer(lr=0.1), param(1, 0), [2, -1]) == pytest.approx([0.8, 0.9])


def test_sgd_default_learning_rate_is_the_posts():
    assert nn.SGDOptimizer().lr == 0.1


def test_sgd_weight_decay_is_l2_added_to_the_gradient():
    # g = 2 + 0.5 * 1 = 2.5  ->  1 - 0.1 * 2.5 = 0.75
    assert run(nn.SGDOptimizer(lr=0.1, weight_decay=0.5), param(1, 0), [2]) == pytest.approx([0.75])


def test_momentum():
    # v1 = 1 -> 1 - 0.1 = 0.9;  v2 = 0.9 + 1 = 1.9 -> 0.9 - 0.19 = 0.71;
    # v3 = 1.71 + 0 -> 0.71 - 0.171 = 0.539
    assert run(nn.MomentumOptimizer(lr=0.1, momentum=0.9), param(1, 0), [1, 1, 0]) == pytest.approx(
        [0.9, 0.71, 0.539])


def test_nesterov_momentum():
    # v1 = 1, step 1 + 0.9 * 1 = 1.9 -> 0.81;  v2 = 1.9, step 1 + 0.9 * 1.9 = 2.71 -> 0.539
    assert run(nn.MomentumOptimizer(lr=0.1, momentum=0.9, nesterov=True), param(1, 0),
               [1, 1]) == pytest.approx([0.81, 0.539])


def test_momentum_with_weight_decay():
    # g = 1 + 0.1 * 2 = 1.2, v = 1.2 -> 2 - 0.5 * 1.2 = 1.4
    assert run(nn.MomentumOptimizer(lr=0.5, weight_decay=0.1), param(2, 0), [1]) == pytest.approx(
        [1.4])


def test_adam():
    # step 1, g = 2: m = 0.2, v = 0.004; m^ = 0.2 / 0.1 = 2, v^ = 0.004 / 0.001 = 4
    #   -> 1 - 0.1 * 2 / 2 = 0.9
    # step 2, g = 0: m = 0.18, v = 0.003996; m^ = 0.18 / 0.19, v^ = 0.003996 / 0.001999
    first = 1 - 0.1 * 2 / (2 + 1e-8)
    m_hat, v_hat = 0.18 / 0.19, 0.003996 / 0.001999
    expected = [first, first - 0.1 * m_hat / (np.sqrt(v_hat) + 1e-8)]
    assert run(nn.AdamOptimizer(lr=0.1), param(1, 0), [2, 0]) == pytest.approx(expected, rel=1e-12)


def test_adam_defaults_and_weight_decay():
    adam = nn.AdamOptimizer()
    assert (adam.lr, adam.beta1, adam.beta2, adam.eps) == (1e-3, 0.9, 0.999, 1e-8)
    # g = 0 + 1 * 3 = 3; first Adam step moves by lr * sign(g) (to within eps): 3 - 0.01
    assert run(nn.AdamOptimizer(lr=0.01, weight_decay=1.0), param(3, 0), [0]) == pytest.approx(
        [2.99])


@pytest.mark.parametrize("make_optimizer", [lambda: nn.MomentumOptimizer(lr=0.1),
                                            lambda: nn.MomentumOptimizer(lr=0.1, nesterov=True),
                                            lambda: nn.AdamOptimizer(lr=0.1)])
def test_state_is_kept_per_parameter(make_optimizer):
    shared, alone = make_optimizer(), make_optimizer()
    a, b = param(1, 0), param(1, 0)
    for g_a, g_b in [(1, -3), (2, 5), (0.5, 0)]:
        a.gradient[...], b.gradient[...] = g_a, g_b
        shared.update(a)
        shared.update(b)
    reference = param(1, 0)
    assert run(alone, reference, [1, 2, 0.5])[-1] == pytest.approx(a.tensor[0], rel=1e-12)


@pytest.mark.parametrize("optimizer", [nn.SGDOptimizer(0.1, weight_decay=0.1),
                                       nn.MomentumOptimizer(0.1), nn.AdamOptimizer(0.1)])
def test_float32_parameters_stay_float32(optimizer):
    p = nn.Parameter(np.ones(3, dtype=np.float32))
    p.gradient[...] = 0.5
    optimizer.update(p)
    optimizer.update(p)
    assert p.tensor.dtype == np.float32 and p.gradient.dtype == np.float32


def test_steps_match_torch_when_it_is_installed():
    torch = pytest.importorskip("torch")  # an optional oracle; `make test` never installs torch
    rng = np.random.default_rng(0)
    start, grads = rng.standard_normal(5), rng.standard_normal((4, 5))
    pairs = [(nn.SGDOptimizer(0.1, weight_decay=0.01),
              lambda w: torch.optim.SGD(w, lr=0.1, weight_decay=0.01)),
             (nn.MomentumOptimizer(0.1, 0.9, nesterov=True, weight_decay=0.01),
              lambda w: torch.optim.SGD(w, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
             (nn.AdamOptimizer(0.01, weight_decay=0.01),
              lambda w: torch.optim.Adam(w, lr=0.01, weight_decay=0.01))]
    for ours, make_theirs in pairs:
        p, w = nn.Parameter(start.copy()), torch.tensor(start.copy(), requires_grad=True)
        theirs = make_theirs([w])
        for g in grads:
            p.gradient[...] = g
            ours.update(p)
            w.grad = torch.tensor(g)
            theirs.step()
        np.testing.assert_allclose(p.tensor, w.detach().numpy(), rtol=1e-12, atol=1e-14)
