"""Visible checks for the normalisation layers (chapter 6).

A first safety net, not the graded tests: the grader checks more shapes, evaluation
mode from other statistics, float32 and more. Passing here is necessary, not sufficient.
"""
import numpy as np
import pytest

import nn100
from check_helpers import assert_close, assert_gradients_match, overflow_is_an_error, random


def with_params(layer, gamma, beta):
    layer.gamma.tensor[...] = gamma
    layer.beta.tensor[...] = beta
    return layer


# ---- 6.1 and 6.2: BatchNorm -------------------------------------------------------

@pytest.mark.exercise("6.1")
def test_batch_norm_forward_by_hand():
    layer = with_params(nn100.BatchNorm(2, eps=0.0), [2.0, 1.0], [0.0, 0.5])
    Y, backward = layer.forward(np.array([[1.0, 2.0], [3.0, 6.0]]))
    assert_close(Y, [[-2.0, -0.5], [2.0, 1.5]], "BatchNorm.forward (training mode)")
    assert callable(backward), "BatchNorm.forward must return (Y, backward)"
    # feature means 2 and 4, unbiased variances 2 and 8, momentum 0.1, from 0 and 1
    assert_close(layer.running_mean, [0.2, 0.4], "BatchNorm.running_mean after one batch")
    assert_close(layer.running_var, [1.1, 1.7], "BatchNorm.running_var after one batch")


@pytest.mark.exercise("6.1")
def test_batch_norm_images_use_every_pixel_of_a_channel():
    X = random(4, 3, 2, 5)
    Y, _ = nn100.BatchNorm(3).forward(X)
    assert_close(Y.mean(axis=(0, 2, 3)), np.zeros(3), "BatchNorm on images: channel means")
    assert_close(Y.var(axis=(0, 2, 3)), np.ones(3), "BatchNorm on images: channel variances",
                 atol=1e-4)


@pytest.mark.exercise("6.1")
def test_batch_norm_of_a_constant_feature():
    layer = with_params(nn100.BatchNorm(2), [1.0, 1.0], [0.5, -0.5])
    with overflow_is_an_error():
        Y, _ = layer.forward(np.array([[3.0, 1.0], [3.0, 2.0]]))  # feature 0 never changes
    assert_close(Y[:, 0], [0.5, 0.5], "BatchNorm.forward of a feature equal in every sample "
                 "(variance 0): its beta", atol=1e-6)


@pytest.mark.exercise("6.1")
def test_batch_norm_evaluation_mode_uses_the_running_statistics():
    layer = with_params(nn100.BatchNorm(2, eps=0.0), [1.0, 2.0], [0.0, 1.0])
    layer.running_mean[...] = [1.0, -1.0]
    layer.running_var[...] = [4.0, 1.0]
    layer.eval()
    Y, _ = layer.forward(np.array([[3.0, 0.0]]))  # one sample: fine in evaluation mode
    assert_close(Y, [[1.0, 3.0]], "BatchNorm.forward (evaluation mode)")
    assert_close(layer.running_mean, [1.0, -1.0], "running_mean in evaluation mode (unchanged)")


@pytest.mark.exercise("6.1")
def test_batch_norm_evaluation_mode_with_a_running_variance_of_zero():
    layer = with_params(nn100.BatchNorm(1), [1.0], [0.25])
    layer.running_mean[...] = 2.0
    layer.running_var[...] = 0.0
    with overflow_is_an_error():
        Y, _ = layer.eval().forward(np.array([[2.0]]))
    assert_close(Y, [[0.25]], "BatchNorm.forward in evaluation mode, at the running mean, "
                 "with a running variance of 0: beta", atol=1e-6)


@pytest.mark.exercise("6.2")
def test_batch_norm_backward_matches_finite_differences():
    layer = with_params(nn100.BatchNorm(3), random(3, seed=1), random(3, seed=2))
    assert_gradients_match(layer, random(5, 3))
    assert_gradients_match(nn100.BatchNorm(2), random(4, 2, 3, 3))


@pytest.mark.exercise("6.2")
def test_batch_norm_backward_in_evaluation_mode_matches_finite_differences():
    layer = with_params(nn100.BatchNorm(3), random(3, seed=1), random(3, seed=2))
    layer.running_mean[...] = random(3, seed=3)
    layer.running_var[...] = [0.5, 1.0, 2.0]
    assert_gradients_match(layer.eval(), random(5, 3))


# ---- 6.3 and 6.4: LayerNorm -------------------------------------------------------

@pytest.mark.exercise("6.3")
def test_layer_norm_forward_by_hand():
    layer = with_params(nn100.LayerNorm(2, eps=0.0), [1.0, 3.0], [0.5, 0.0])
    Y, backward = layer.forward(np.array([[1.0, 3.0], [2.0, 6.0]]))
    assert_close(Y, [[-0.5, 3.0], [-0.5, 3.0]], "LayerNorm.forward")
    assert callable(backward), "LayerNorm.forward must return (Y, backward)"


@pytest.mark.exercise("6.3")
def test_layer_norm_of_a_constant_row():
    layer = with_params(nn100.LayerNorm(3), [1.0, 1.0, 1.0], [0.5, 0.0, -0.5])
    with overflow_is_an_error():
        Y, _ = layer.forward(np.array([[2.0, 2.0, 2.0]]))
    assert_close(Y, [[0.5, 0.0, -0.5]], "LayerNorm.forward of a row whose values are all equal "
                 "(variance 0): beta")


@pytest.mark.exercise("6.4")
def test_layer_norm_backward_matches_finite_differences():
    layer = with_params(nn100.LayerNorm(5), random(5, seed=1), random(5, seed=2))
    assert_gradients_match(layer, random(4, 5))
    assert_gradients_match(nn100.LayerNorm(5), random(2, 3, 5))
