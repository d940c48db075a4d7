"""Visible checks for chapters 8 and 9 (exercises 8.1-8.8, 9.1, 9.2). Not the graded tests."""
import numpy as np
import pytest

import nn100
from check_helpers import assert_close, assert_gradients_match, random
from nn100.gradcheck import numerical_gradient


def with_random_biases(layer, seed=3):
    """Zero biases hide mistakes in their gradients: give every 1-D parameter values."""
    rng = np.random.default_rng(seed)
    for param in layer.parameters:
        if param.tensor.ndim == 1:
            param.tensor[...] = rng.standard_normal(param.tensor.shape)
    return layer


@pytest.mark.exercise("8.1")
def test_embedding_gathers_one_row_per_id():
    layer = nn100.Embedding(4, 2, rng=0)
    layer.weights.tensor[...] = [[0.0, 0.5], [1.0, 1.5], [2.0, 2.5], [3.0, 3.5]]
    Y, _ = layer.forward(np.array([[2, 0, 2]]))
    assert_close(Y, [[[2.0, 2.5], [0.0, 0.5], [2.0, 2.5]]],
                 "Embedding: rows 2, 0, 2 of the weights")


@pytest.mark.exercise("8.2")
def test_embedding_gradient_adds_up_over_repeated_ids():
    layer = nn100.Embedding(4, 2, rng=0)
    ids = np.array([[2, 0, 2], [1, 2, 2]])
    D = random(2, 3, 2)
    Y, backward = layer.forward(ids)
    assert backward(D) is None, "Embedding.backward returns None: ids have no gradient"

    def loss():
        return float(np.sum(layer.forward(ids)[0] * D))

    assert_close(layer.weights.gradient, numerical_gradient(loss, layer.weights.tensor),
                 "Embedding: weights.gradient (id 2 is used four times)", atol=1e-7)


@pytest.mark.exercise("8.2")
def test_embedding_backward_accumulates():
    layer = nn100.Embedding(4, 2, rng=0)
    _, backward = layer.forward(np.array([[2, 0, 2]]))
    D = random(1, 3, 2)
    backward(D)
    once = layer.weights.gradient.copy()
    backward(D)
    assert_close(layer.weights.gradient, 2 * once,
                 "Embedding backward called twice: weights.gradient should double "
                 "(each call adds its share)")


@pytest.mark.exercise("8.3")
def test_positional_embedding_adds_a_row_per_position():
    layer = nn100.PositionalEmbedding(4, 2, rng=0)
    layer.weights.tensor[...] = [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0], [6.0, 7.0]]
    Y, _ = layer.forward(np.ones((2, 3, 2)))
    assert_close(Y, np.ones((2, 3, 2)) + [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]],
                 "PositionalEmbedding: each position gets its own row, for every sequence")


@pytest.mark.exercise("8.4")
def test_positional_embedding_gradients():
    assert_gradients_match(nn100.PositionalEmbedding(5, 3, rng=0), random(2, 4, 3))


@pytest.mark.exercise("8.5")
def test_gelu_at_known_points():
    Y, _ = nn100.GELU().forward(np.array([-3.0, -1.0, 0.0, 1.0, 3.0]))
    assert_close(Y, [-0.0036373, -0.1588080, 0.0, 0.8411920, 2.9963627],
                 "GELU (the tanh form) at -3, -1, 0, 1, 3", atol=1e-6)


@pytest.mark.exercise("8.6")
def test_gelu_gradients():
    assert_gradients_match(nn100.GELU(), random(2, 3, 4))


@pytest.mark.exercise("8.7")
def test_attention_with_one_position_returns_its_projected_value():
    layer = with_random_biases(nn100.CausalSelfAttention(4, 2, rng=0))
    X = random(3, 1, 4)
    v = X @ layer.qkv_weights.tensor[:, 8:] + layer.qkv_bias.tensor[8:]
    Y, _ = layer.forward(X)
    assert_close(Y, v @ layer.proj_weights.tensor + layer.proj_bias.tensor,
                 "CausalSelfAttention with T = 1: its one weight is 1, so Y is the projected value")


@pytest.mark.exercise("8.7")
def test_attention_never_looks_ahead():
    layer = nn100.CausalSelfAttention(6, 3, rng=0)
    X = random(2, 5, 6)
    changed = X.copy()
    changed[:, 3:] += 10
    Y, _ = layer.forward(X)
    Y_changed, _ = layer.forward(changed)
    assert_close(Y_changed[:, :3], Y[:, :3],
                 "CausalSelfAttention: outputs 0-2 changed when only positions 3-4 did")
    assert not np.allclose(Y_changed[:, 3:], Y[:, 3:]), \
        "CausalSelfAttention: outputs 3-4 should depend on positions 3-4"


@pytest.mark.exercise("8.8")
@pytest.mark.parametrize("shape, heads", [((2, 4, 6), 3), ((1, 1, 4), 1), ((3, 3, 5), 1)])
def test_attention_gradients(shape, heads):
    layer = with_random_biases(nn100.CausalSelfAttention(shape[-1], heads, rng=0))
    assert_gradients_match(layer, random(*shape))


@pytest.mark.exercise("9.1")
def test_adamw_first_step_by_hand():
    p = nn100.Parameter(np.array([1.0, -2.0]))
    p.gradient[...] = [3.0, -0.5]
    nn100.AdamWOptimizer(lr=0.1, weight_decay=0.5).update(p)
    # the decay shrinks the tensor by lr * weight_decay = 5%; Adam's first step is about lr
    assert_close(p.tensor, [0.95 - 0.1, -1.9 + 0.1], "AdamWOptimizer: tensor after one step",
                 atol=1e-6)
    assert_close(p.gradient, [0.0, 0.0], "AdamWOptimizer: the gradient should be zeroed")


@pytest.mark.exercise("9.2")
def test_clip_grad_norm_by_hand():
    a, b = nn100.Parameter(np.zeros(2)), nn100.Parameter(np.zeros(1))
    a.gradient[...] = [3.0, 0.0]
    b.gradient[...] = [4.0]
    norm = nn100.clip_grad_norm([a, b], 1.0)
    assert abs(norm - 5.0) < 1e-9, f"clip_grad_norm: returned {norm}, expected 5 (the norm before)"
    assert_close(a.gradient, [0.6, 0.0], "clip_grad_norm: a's gradient, scaled by 1/5", atol=1e-6)
    assert_close(b.gradient, [0.8], "clip_grad_norm: b's gradient, the same factor", atol=1e-6)
    assert nn100.clip_grad_norm([a, b], 10.0) == pytest.approx(1.0, rel=1e-5)
    assert_close(b.gradient, [0.8], "clip_grad_norm: within max_norm nothing changes", atol=1e-6)


@pytest.mark.exercise("C.4")
def test_checkpoint_associative_recall():
    """Three key-value pairs, then a key: the answer is its value. Finding it takes
    attention (a model without it stays near chance, about 40%); a tiny GPT of two blocks
    gets it right in 4 epochs (measured: 100% on three seeds, about 4 CPU seconds with one
    BLAS thread)."""
    from nn100.data import recall
    X, Y = recall(3000, pairs=3, keys=6, rng=0)
    X_test, Y_test = recall(500, pairs=3, keys=6, rng=1000)
    rng = np.random.default_rng(0)
    vocabulary, dim = 6 + 10, 32
    model = nn100.Sequential(nn100.Embedding(vocabulary, dim, rng=rng),
                             nn100.PositionalEmbedding(X.shape[1], dim, rng=rng),
                             nn100.TransformerBlock(dim, 4, rng=rng),
                             nn100.TransformerBlock(dim, 4, rng=rng),
                             nn100.LayerNorm(dim), nn100.Linear(dim, vocabulary, rng=rng))

    def loss(Z, labels):
        return nn100.softmax_cross_entropy_loss(Z, labels, ignore_index=-100)

    learner = nn100.Learner(model, loss, nn100.AdamWOptimizer(lr=3e-3), clip_norm=1.0)
    learner.fit(X, Y, epochs=4, bs=32, rng=0)
    accuracy = np.mean(learner.predict(X_test)[:, -1].argmax(axis=1) == Y_test[:, -1])
    assert accuracy > 0.9, f"associative recall: accuracy {accuracy:.1%}, expected above 90%"
