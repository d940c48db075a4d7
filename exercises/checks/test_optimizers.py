"""Visible checks for the optimizers (exercises 2.2, 5.1, 5.2). Not the graded tests."""
import numpy as np
import pytest

import nn100
from check_helpers import assert_close


def param(values, gradient):
    p = nn100.Parameter(np.array(values, dtype=np.float64))
    p.gradient[...] = gradient
    return p


@pytest.mark.exercise("2.2")
def test_sgd_step_by_hand():
    p = param([1.0, 2.0], [0.5, -1.0])
    tensor, gradient = p.tensor, p.gradient
    nn100.SGDOptimizer(lr=0.1).update(p)
    assert_close(p.tensor, [0.95, 2.1], "SGDOptimizer(lr=0.1): tensor after one step")
    assert_close(p.gradient, [0.0, 0.0],
                 "SGDOptimizer: the gradient should be zeroed after the step")
    assert p.tensor is tensor and p.gradient is gradient, \
        "SGDOptimizer: change tensor and gradient in place, do not assign new arrays"


@pytest.mark.exercise("2.2")
def test_sgd_weight_decay_by_hand():
    p = param([1.0, 2.0], [0.5, -1.0])
    nn100.SGDOptimizer(lr=0.1, weight_decay=0.5).update(p)
    assert_close(p.tensor, [0.9, 2.0], "SGDOptimizer(lr=0.1, weight_decay=0.5): tensor")


@pytest.mark.exercise("5.1")
def test_momentum_two_steps_by_hand():
    p = param([1.0], [1.0])
    optimizer = nn100.MomentumOptimizer(lr=0.1, momentum=0.9)
    optimizer.update(p)
    assert_close(p.tensor, [0.9], "MomentumOptimizer: tensor after step 1")
    assert_close(p.gradient, [0.0], "MomentumOptimizer: the gradient should be zeroed")
    p.gradient[...] = 1.0
    optimizer.update(p)
    assert_close(p.tensor, [0.71],
                 "MomentumOptimizer: tensor after step 2, the same gradient again")


@pytest.mark.exercise("5.1")
def test_momentum_keeps_one_velocity_per_parameter():
    a, b = param([0.0], [1.0]), param([0.0], [1.0])
    optimizer = nn100.MomentumOptimizer(lr=1.0, momentum=0.5)
    optimizer.update(a)
    optimizer.update(b)
    assert_close(b.tensor, [-1.0], "MomentumOptimizer: a second parameter's first step")


@pytest.mark.exercise("5.1")
def test_nesterov_step_by_hand():
    p = param([1.0], [1.0])
    nn100.MomentumOptimizer(lr=0.1, momentum=0.9, nesterov=True).update(p)
    assert_close(p.tensor, [0.81], "MomentumOptimizer(lr=0.1, momentum=0.9, nesterov=True): "
                 "tensor after one step from a gradient of 1")


@pytest.mark.exercise("5.2")
def test_adam_first_steps_move_by_about_lr():
    p = param([1.0, -1.0], [3.0, -0.5])
    optimizer = nn100.AdamOptimizer(lr=0.01)
    optimizer.update(p)
    assert_close(p.tensor, [0.99, -0.99], "AdamOptimizer: the first step is about lr * sign(g)",
                 atol=1e-6)
    assert_close(p.gradient, [0.0, 0.0], "AdamOptimizer: the gradient should be zeroed")
    p.gradient[...] = [3.0, -0.5]
    optimizer.update(p)
    assert_close(p.tensor, [0.98, -0.98], "AdamOptimizer: the same gradient again, after step 2",
                 atol=1e-6)


@pytest.mark.exercise("5.2")
def test_adam_first_step_is_about_lr_even_for_a_tiny_gradient():
    p = param([1.0], [1e-4])
    nn100.AdamOptimizer(lr=0.01).update(p)
    assert_close(p.tensor, [0.99], "AdamOptimizer(lr=0.01): the first step for a gradient of "
                 "1e-4 (still about lr: the step does not scale with the gradient)", atol=1e-5)


@pytest.mark.exercise("5.2")
def test_adam_weight_decay_by_hand():
    p = param([1.0, -2.0], [0.0, 0.0])
    nn100.AdamOptimizer(lr=0.01, weight_decay=0.1).update(p)
    assert_close(p.tensor, [0.99, -1.99], "AdamOptimizer(lr=0.01, weight_decay=0.1) with a zero "
                 "gradient: the decay alone moves the tensor about lr toward 0", atol=1e-6)


@pytest.mark.exercise("5.2")
def test_adam_keeps_each_parameters_own_state():
    a, b = param([0.0], [2.0]), param([0.0], [-1.0])
    optimizer = nn100.AdamOptimizer(lr=0.1)
    optimizer.update(a)
    optimizer.update(b)
    assert_close(b.tensor, [0.1], "AdamOptimizer(lr=0.1): the first step of a second parameter, "
                 "after one step of another (about lr, against its own gradient)", atol=1e-6)
