"""Chapters 8 and 9 (nn100/attention.py, AdamW, clipping, sequence losses, the data and
sampling): every gradient against central differences in float64 on several shapes,
causality, float32 end to end, the errors, and PyTorch as an optional oracle.
"""
import numpy as np
import pytest

import nn100 as nn
import nn100.data
from numeric import (GRAD_TOLERANCE, assert_accumulates_and_mutates_nothing,
                     layer_gradient_errors, numeric_gradient)
from nn100.gradcheck import relative_error

# (N, T, dim, heads): T = 1, one head, odd sizes, a batch of 1, as many heads as features.
ATTENTION_CASES = [(1, 1, 4, 1), (2, 5, 6, 3), (3, 4, 5, 1), (1, 3, 8, 4), (2, 6, 3, 3)]
BLOCK_CASES = [(1, 1, 4, 2), (2, 3, 6, 3), (1, 4, 5, 1)]


def attention_input(rng, N, T, dim):
    return rng.standard_normal((N, T, dim))


def randomise_biases(layer, rng):
    """Zero biases and unit gains hide mistakes in their gradients: give them values."""
    for param in layer.parameters:
        if param.tensor.ndim == 1:
            param.tensor[...] = rng.standard_normal(param.tensor.shape)
    return layer


@pytest.mark.parametrize("N, T, dim, heads", ATTENTION_CASES)
def test_attention_gradients_match_finite_differences(N, T, dim, heads):
    rng = np.random.default_rng(N * 100 + T * 10 + dim)
    layer = randomise_biases(nn.CausalSelfAttention(dim, heads, rng=1), rng)
    errors = layer_gradient_errors(layer, attention_input(rng, N, T, dim), rng)
    assert max(errors.values()) < GRAD_TOLERANCE, errors


@pytest.mark.parametrize("N, T, dim, heads", BLOCK_CASES)
def test_transformer_block_gradients_match_finite_differences(N, T, dim, heads):
    rng = np.random.default_rng(T * 10 + dim)
    block = randomise_biases(nn.TransformerBlock(dim, heads, rng=2), rng)
    errors = layer_gradient_errors(block, attention_input(rng, N, T, dim), rng)
    assert len(errors) == 1 + 12  # the input, and every parameter of ln1, attn, ln2, mlp
    assert max(errors.values()) < GRAD_TOLERANCE, errors


def test_the_block_is_pre_norm_around_its_own_parts():
    """Y = H + mlp(ln2(H)), H = X + attn(ln1(X)), from the block's own (tested) parts."""
    rng = np.random.default_rng(12)
    block = randomise_biases(nn.TransformerBlock(6, 2, rng=0), rng)
    X = rng.standard_normal((2, 4, 6))
    H = X + block.attn.forward(block.ln1.forward(X)[0])[0]
    expected = H + block.mlp.forward(block.ln2.forward(H)[0])[0]
    np.testing.assert_allclose(block.forward(X)[0], expected, rtol=1e-12, atol=1e-13)
    assert isinstance(block.mlp.layers[1], nn.GELU)
    assert [p.tensor.shape for p in block.mlp.parameters] == [(6, 24), (24,), (24, 6), (6,)]
    own = [*block.ln1.parameters, *block.attn.parameters,
           *block.ln2.parameters, *block.mlp.parameters]
    assert block.parameters == own


@pytest.mark.parametrize("layer, shape", [
    (nn.GELU(), (2, 3, 5)), (nn.GELU(), (1, 1, 1)), (nn.GELU(), (4, 7)),
    (nn.PositionalEmbedding(6, 3, rng=1), (2, 4, 3)),
    (nn.PositionalEmbedding(1, 5, rng=1), (1, 1, 5)),
    (nn.Linear(3, 2, rng=1), (2, 4, 3)), (nn.Linear(5, 4, rng=1), (1, 2, 3, 5)),
    (nn.LayerNorm(3), (2, 4, 3)), (nn.LayerNorm(4), (1, 1, 4)),
])
def test_sequence_layer_gradients_match_finite_differences(layer, shape):
    rng = np.random.default_rng(len(shape) + shape[-1])
    randomise_biases(layer, rng)
    errors = layer_gradient_errors(layer, rng.standard_normal(shape), rng)
    assert max(errors.values()) < GRAD_TOLERANCE, errors


def test_gelu_is_the_tanh_approximation_at_known_points():
    # 0 -> 0; large inputs -> X or 0; 1 -> 0.841192 (the tanh form; the erf form gives 0.841345).
    Y, backward = nn.GELU().forward(np.array([0.0, 1.0, -1.0, 10.0, -10.0]))
    np.testing.assert_allclose(Y, [0.0, 0.8411920, -0.1588080, 10.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(backward(np.ones(5))[[0, 3, 4]], [0.5, 1.0, 0.0], atol=1e-12)


@pytest.mark.parametrize("ids", [np.array([[1, 1, 2], [1, 0, 1]]), np.array([[3]]),
                                 np.array([[0, 4, 4, 4, 2]], dtype=np.int8)])
def test_embedding_gathers_rows_and_accumulates_repeated_ids(ids):
    rng = np.random.default_rng(0)
    layer = nn.Embedding(5, 3, rng=1)
    Y, backward = layer.forward(ids)
    np.testing.assert_array_equal(Y, layer.weights.tensor[ids.astype(np.int64)])
    R = rng.standard_normal(Y.shape)
    assert backward(R) is None  # ids have no gradient

    def f():
        return float(np.sum(layer.forward(ids)[0] * R))

    expected = numeric_gradient(f, layer.weights.tensor)
    assert relative_error(layer.weights.gradient, expected) < GRAD_TOLERANCE
    counts = np.bincount(ids.ravel(), minlength=5)
    assert np.all(layer.weights.gradient[counts == 0] == 0)  # rows not used get nothing


def test_embedding_accumulates_over_calls_and_leaves_ids_and_d_alone():
    rng = np.random.default_rng(1)
    layer = nn.Embedding(4, 2, rng=0)
    ids = np.array([[0, 3, 3], [2, 0, 0]])
    ids_before = ids.copy()
    Y, backward = layer.forward(ids)
    D = rng.standard_normal(Y.shape)
    D_before = D.copy()
    backward(D)
    once = layer.weights.gradient.copy()
    backward(D)
    np.testing.assert_allclose(layer.weights.gradient, 2 * once)
    np.testing.assert_array_equal(ids, ids_before)
    np.testing.assert_array_equal(D, D_before)


@pytest.mark.parametrize("make, shape", [
    (lambda: nn.CausalSelfAttention(6, 2, rng=0), (2, 4, 6)),
    (lambda: nn.TransformerBlock(4, 2, rng=0), (2, 3, 4)),
    (lambda: nn.PositionalEmbedding(5, 3, rng=0), (2, 5, 3)),
    (lambda: nn.GELU(), (2, 3, 4)),
    (lambda: nn.Linear(3, 4, rng=0), (2, 5, 3)),
])
def test_sequence_layers_accumulate_and_mutate_nothing(make, shape):
    rng = np.random.default_rng(2)
    layer = randomise_biases(make(), rng)
    assert_accumulates_and_mutates_nothing(layer, rng.standard_normal(shape), rng)


def test_each_attention_closure_keeps_its_own_forward():
    rng = np.random.default_rng(3)
    layer = nn.CausalSelfAttention(4, 2, rng=0)
    X1, X2 = rng.standard_normal((2, 3, 4)), rng.standard_normal((1, 5, 4))
    D1, D2 = rng.standard_normal((2, 3, 4)), rng.standard_normal((1, 5, 4))
    dX1_alone = layer.forward(X1)[1](D1)
    _, backward1 = layer.forward(X1)
    _, backward2 = layer.forward(X2)  # a second forward before the first backward
    np.testing.assert_allclose(backward1(D1), dX1_alone)
    assert backward2(D2).shape == X2.shape


@pytest.mark.parametrize("make", [lambda: nn.CausalSelfAttention(6, 3, rng=0),
                                  lambda: nn.TransformerBlock(6, 2, rng=0)])
@pytest.mark.parametrize("t", [0, 2, 4])
def test_no_position_sees_or_sends_gradient_to_the_future(make, t):
    """Changing the tokens from t on never changes an earlier output; a gradient given to the
    outputs before t never reaches an input from t on."""
    rng = np.random.default_rng(t)
    layer = make()
    X = rng.standard_normal((2, 5, 6))
    Y, backward = layer.forward(X)
    changed = X.copy()
    changed[:, t:] = 100 * rng.standard_normal(changed[:, t:].shape)
    Y_changed, _ = layer.forward(changed)
    np.testing.assert_array_equal(Y_changed[:, :t], Y[:, :t])
    assert not np.allclose(Y_changed[:, t:], Y[:, t:])
    D = rng.standard_normal(Y.shape)
    D[:, t:] = 0
    dX = backward(D)
    assert np.all(dX[:, t:] == 0)
    if t > 0:
        assert np.all(np.abs(dX[:, :t]).sum(axis=-1) > 0)


def test_attention_stays_finite_for_large_scores():
    layer = nn.CausalSelfAttention(4, 2, rng=0)
    layer.qkv_weights.tensor *= 300  # scores of order 1e5: exp overflows unless shifted
    X = np.random.default_rng(0).standard_normal((2, 6, 4))
    Y, backward = layer.forward(X)
    assert np.all(np.isfinite(Y)) and np.all(np.isfinite(backward(np.ones_like(Y))))


def test_attention_of_one_position_is_its_own_value():
    """With T = 1 the only weight is 1: Y is the value of that position, projected."""
    rng = np.random.default_rng(4)
    layer = randomise_biases(nn.CausalSelfAttention(4, 2, rng=0), rng)
    X = rng.standard_normal((3, 1, 4))
    v = X @ layer.qkv_weights.tensor[:, 8:] + layer.qkv_bias.tensor[8:]
    expected = v @ layer.proj_weights.tensor + layer.proj_bias.tensor
    np.testing.assert_allclose(layer.forward(X)[0], expected, rtol=1e-12)


def gpt(vocabulary, dim, heads, blocks, max_len, dtype=np.float64, rng=0):
    rng = np.random.default_rng(rng)
    return nn.Sequential(nn.Embedding(vocabulary, dim, rng=rng, dtype=dtype),
                         nn.PositionalEmbedding(max_len, dim, rng=rng, dtype=dtype),
                         *[nn.TransformerBlock(dim, heads, rng=rng, dtype=dtype)
                           for _ in range(blocks)],
                         nn.LayerNorm(dim, dtype=dtype),
                         nn.Linear(dim, vocabulary, rng=rng, dtype=dtype))


def test_float32_end_to_end():
    rng = np.random.default_rng(5)
    model = gpt(11, 8, 2, 2, 12, dtype=np.float32)
    X, Y = nn100.data.sort_digits(4, 6, rng=0)
    logits, backward = model.forward(X)
    loss, D = nn.softmax_cross_entropy_loss(logits, Y, ignore_index=-100)
    assert logits.dtype == np.float32 and D.dtype == np.float32
    assert backward(D) is None  # the ids' gradient
    assert all(p.gradient.dtype == np.float32 for p in model.parameters)
    optimizer = nn.AdamWOptimizer(1e-3)
    nn.clip_grad_norm(model.parameters, 0.1)
    model.update(optimizer)
    assert all(p.tensor.dtype == np.float32 and p.gradient.dtype == np.float32
               for p in model.parameters)
    for layer in [nn.GELU(), nn.CausalSelfAttention(8, 2, rng=0, dtype=np.float32)]:
        X = rng.standard_normal((2, 3, 8)).astype(np.float32)
        Y, backward = layer.forward(X)
        assert Y.dtype == np.float32 and backward(Y).dtype == np.float32


def test_cross_entropy_over_positions_is_the_mean_over_the_kept_ones():
    rng = np.random.default_rng(6)
    Z = rng.standard_normal((2, 4, 5))
    labels = np.array([[0, -1, 4, 2], [-1, -1, 3, 1]])
    loss, dZ = nn.softmax_cross_entropy_loss(Z, labels, ignore_index=-1)
    kept = labels != -1
    rows = [-np.log(np.exp(z[c]) / np.exp(z).sum())
            for z, c in zip(Z[kept], labels[kept], strict=True)]
    assert np.isclose(loss, np.mean(rows))  # the mean over 5 kept positions, not over 8 or 2
    assert np.all(dZ[~kept] == 0)

    def f():
        return nn.softmax_cross_entropy_loss(Z, labels, ignore_index=-1)[0]

    assert relative_error(dZ, numeric_gradient(f, Z)) < GRAD_TOLERANCE
    loss_3d, dZ_3d = nn.softmax_cross_entropy_loss(Z[:, :1], np.array([[2], [3]]))
    loss_2d, dZ_2d = nn.softmax_cross_entropy_loss(Z[:, 0], np.array([2, 3]))
    assert loss_3d == loss_2d and np.array_equal(dZ_3d[:, 0], dZ_2d)


@pytest.mark.parametrize("call, error, message", [
    (lambda: nn.Embedding(5, 2).forward(np.array([[0.0, 1.0]])), TypeError,
     "ids must be integers, got dtype float64"),
    (lambda: nn.Embedding(5, 2).forward(np.array([[0, -1]])), ValueError,
     r"ids must lie in \[0, 5\), got -1"),
    (lambda: nn.Embedding(5, 2).forward(np.array([[0, 7, 5]])), ValueError,
     r"ids must lie in \[0, 5\), got 7"),
    (lambda: nn.Embedding(5, 2).forward(np.array([1, 2])), ValueError,
     r"expected ids of shape \(N, T\), got \(2,\)"),
    (lambda: nn.PositionalEmbedding(4, 3).forward(np.ones((1, 5, 3))), ValueError,
     "length 5 exceed max_len=4"),
    (lambda: nn.PositionalEmbedding(4, 3).forward(np.ones((2, 3))), ValueError,
     r"\(N, T, 3\), got \(2, 3\)"),
    (lambda: nn.CausalSelfAttention(6, 4), ValueError, "dim=6 must be a multiple of heads=4"),
    (lambda: nn.CausalSelfAttention(6, 2).forward(np.ones((2, 3, 5))), ValueError,
     r"\(N, T, 6\), got \(2, 3, 5\)"),
    (lambda: nn.CausalSelfAttention(6, 2).forward(np.ones((3, 6))), ValueError,
     r"\(N, T, 6\), got \(3, 6\)"),
    (lambda: nn.TransformerBlock(4, 2).forward(np.ones((1, 2, 3))), ValueError,
     r"\(N, T, 4\), got \(1, 2, 3\)"),
    (lambda: nn.Linear(3, 2).forward(np.ones((2, 4, 5))), ValueError,
     r"\(N, \.\.\., 3\), got \(2, 4, 5\)"),
    (lambda: nn.softmax_cross_entropy_loss(np.ones((2, 3, 4)), np.zeros((2, 4), int)), ValueError,
     r"labels \(N, \.\.\.\) of their leading shape, got \(2, 3, 4\) and \(2, 4\)"),
    (lambda: nn.softmax_cross_entropy_loss(np.ones((2, 4)), np.full(2, -100),
                                           ignore_index=-100), ValueError,
     "every label is ignore_index"),
    (lambda: nn.generate(nn.Embedding(3, 2), np.array([[0.5]]), 2), ValueError,
     "integer prompt ids"),
])
def test_bad_input_gets_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_adamw_decays_the_weights_apart_from_the_moments():
    """Adam's first step moves each element by lr against the sign of its gradient (m_hat =
    g, v_hat = g^2); AdamW first shrinks the tensor by lr * weight_decay. With no decay it is
    Adam, step after step."""
    rng = np.random.default_rng(7)
    start, g = rng.standard_normal(6), rng.standard_normal(6)
    p = nn.Parameter(start.copy())
    p.gradient[...] = g
    nn.AdamWOptimizer(lr=0.1, weight_decay=0.5, eps=0.0).update(p)
    np.testing.assert_allclose(p.tensor, start * (1 - 0.05) - 0.1 * np.sign(g), rtol=1e-13)
    assert np.all(p.gradient == 0)
    ours, adam = nn.AdamWOptimizer(lr=0.01, weight_decay=0.0), nn.AdamOptimizer(lr=0.01)
    p, q = nn.Parameter(start.copy()), nn.Parameter(start.copy())
    for g in rng.standard_normal((5, 6)):
        p.gradient[...] = g
        q.gradient[...] = g
        ours.update(p)
        adam.update(q)
    np.testing.assert_array_equal(p.tensor, q.tensor)


def test_clip_grad_norm_scales_every_gradient_by_one_global_factor():
    rng = np.random.default_rng(8)
    params = [nn.Parameter(np.zeros(s)) for s in [(3, 4), (4,), (2, 2, 2)]]
    for p in params:
        p.gradient[...] = rng.standard_normal(p.gradient.shape)
    before = [p.gradient.copy() for p in params]
    norm = np.sqrt(sum(np.sum(g ** 2) for g in before))
    assert nn.clip_grad_norm(params + params[:1], 2 * norm) == pytest.approx(norm, rel=1e-14)
    for p, g in zip(params, before, strict=True):
        np.testing.assert_array_equal(p.gradient, g)  # below the bound: untouched
    returned = nn.clip_grad_norm(params, 0.5)
    assert isinstance(returned, float) and returned == pytest.approx(norm, rel=1e-14)
    clipped = np.sqrt(sum(np.sum(p.gradient ** 2) for p in params))
    assert clipped == pytest.approx(0.5, rel=1e-5)
    for p, g in zip(params, before, strict=True):  # the same factor for every parameter
        np.testing.assert_allclose(p.gradient, g * clipped / norm, rtol=1e-12)


def test_the_learner_clips_between_backward_and_update():
    rng = np.random.default_rng(9)
    model = nn.Linear(4, 3, rng=0)
    start = [p.tensor.copy() for p in model.parameters]
    X, Y = 100 * rng.standard_normal((8, 4)), rng.standard_normal((8, 3))
    learner = nn.Learner(model, nn.mse_loss, nn.SGDOptimizer(lr=1.0), clip_norm=0.25)
    learner.fit_batch(X, Y)
    moved = np.sqrt(sum(np.sum((p.tensor - s) ** 2)
                        for p, s in zip(model.parameters, start, strict=True)))
    assert moved == pytest.approx(0.25, rel=1e-5)  # lr 1: the step is the clipped gradient


def test_recall_pairs_keys_with_values_and_asks_for_one():
    X, Y = nn100.data.recall(200, pairs=4, keys=8, values=10, rng=0)
    assert X.shape == Y.shape == (200, 9) and X.dtype == np.int64
    keys, values = X[:, 0:-1:2], X[:, 1:-1:2]
    assert keys.max() < 8 and values.min() >= 8 and values.max() < 18
    assert all(len(set(row)) == 4 for row in keys)  # distinct keys within a sequence
    asked = np.argmax(keys == X[:, -1:], axis=1)
    assert np.all(keys[np.arange(200), asked] == X[:, -1])
    np.testing.assert_array_equal(Y[:, -1], values[np.arange(200), asked])
    assert np.all(Y[:, :-1] == -100)
    np.testing.assert_array_equal(nn100.data.recall(5, rng=3)[0], nn100.data.recall(5, rng=3)[0])
    with pytest.raises(ValueError, match="pairs must lie in"):
        nn100.data.recall(3, pairs=9, keys=8)


def test_sort_digits_asks_for_the_sorted_digits_after_the_separator():
    X, Y = nn100.data.sort_digits(50, length=5, rng=1)
    assert X.shape == Y.shape == (50, 10)
    np.testing.assert_array_equal(X[:, 5], 10)
    np.testing.assert_array_equal(Y[:, 5:], np.sort(X[:, :5], axis=1))
    np.testing.assert_array_equal(X[:, 6:], Y[:, 5:-1])  # the input is the target shifted
    assert np.all(Y[:, :4] == -100) and np.all(Y[:, 4] == 10)


def test_generate_extends_prompts_reproducibly_within_the_context():
    model = gpt(7, 8, 2, 1, max_len=4)
    prompt = np.array([[1, 2], [3, 3]])
    out = nn.generate(model, prompt, 6, rng=0)  # longer than max_len: the context slides
    assert out.shape == (2, 8) and out.dtype == np.int64 and out.max() < 7
    np.testing.assert_array_equal(out[:, :2], prompt)
    np.testing.assert_array_equal(out, nn.generate(model, prompt, 6, rng=0))
    greedy = nn.generate(model, prompt, 1, temperature=0)
    logits, _ = model.forward(prompt)
    np.testing.assert_array_equal(greedy[:, -1], logits[:, -1].argmax(axis=1))
    cold = nn.generate(model, np.repeat(prompt[:1], 200, axis=0), 1, temperature=1e-3, rng=1)
    assert np.all(cold[:, -1] == greedy[0, -1])
    hot = nn.generate(model, np.repeat(prompt[:1], 2000, axis=0), 1, rng=2)[:, -1]
    z = logits[0, -1]
    p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    np.testing.assert_allclose(np.bincount(hot, minlength=7) / 2000, p, atol=0.04)


def torch_attention(torch, layer, X, heads):
    """The layer's maths written with torch's own causal attention."""
    F = torch.nn.functional
    N, T, dim = X.shape
    qkv = X @ layer["qkv_weights"] + layer["qkv_bias"]
    q, k, v = (z.reshape(N, T, heads, dim // heads).transpose(1, 2) for z in qkv.split(dim, dim=-1))
    out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    return out.transpose(1, 2).reshape(N, T, dim) @ layer["proj_weights"] + layer["proj_bias"]


def torch_tensors(torch, layer, names):
    return {name: torch.tensor(getattr(layer, name).tensor, requires_grad=True) for name in names}


ATTENTION_PARAMS = ["qkv_weights", "qkv_bias", "proj_weights", "proj_bias"]


def test_the_new_units_match_torch_when_it_is_installed():
    torch = pytest.importorskip("torch")  # an optional oracle; `make test` never installs torch
    F = torch.nn.functional
    rng = np.random.default_rng(10)

    def agree(ours, theirs):
        np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-10, atol=1e-12)

    X = rng.standard_normal((3, 4, 5))
    D = rng.standard_normal(X.shape)
    Y, backward = nn.GELU().forward(X)
    tX = torch.tensor(X, requires_grad=True)
    tY = F.gelu(tX, approximate="tanh")
    tY.backward(torch.tensor(D))
    agree(Y, tY)
    agree(backward(D), tX.grad)

    ids = np.array([[1, 4, 1], [0, 1, 2]])
    emb = nn.Embedding(5, 3, rng=0)
    Y, backward = emb.forward(ids)
    D = rng.standard_normal(Y.shape)
    backward(D)
    tW = torch.tensor(emb.weights.tensor, requires_grad=True)
    tY = F.embedding(torch.tensor(ids), tW)
    tY.backward(torch.tensor(D))
    agree(Y, tY)
    agree(emb.weights.gradient, tW.grad)

    for N, T, dim, heads in ATTENTION_CASES:
        layer = randomise_biases(nn.CausalSelfAttention(dim, heads, rng=1), rng)
        X = rng.standard_normal((N, T, dim))
        Y, backward = layer.forward(X)
        D = rng.standard_normal(Y.shape)
        dX = backward(D)
        tX, tp = torch.tensor(X, requires_grad=True), torch_tensors(torch, layer, ATTENTION_PARAMS)
        tY = torch_attention(torch, tp, tX, heads)
        tY.backward(torch.tensor(D))
        agree(Y, tY)
        agree(dX, tX.grad)
        for name in ATTENTION_PARAMS:
            agree(getattr(layer, name).gradient, tp[name].grad)

    for N, T, dim, heads in BLOCK_CASES:
        block = randomise_biases(nn.TransformerBlock(dim, heads, rng=3), rng)
        X = rng.standard_normal((N, T, dim))
        Y, backward = block.forward(X)
        D = rng.standard_normal(Y.shape)
        dX = backward(D)
        tX = torch.tensor(X, requires_grad=True)
        t = [torch.tensor(p.tensor, requires_grad=True) for p in block.parameters]
        g1, b1, qw, qb, pw, pb, g2, b2, w1, c1, w2, c2 = t
        tp = dict(zip(ATTENTION_PARAMS, (qw, qb, pw, pb), strict=True))
        H = tX + torch_attention(torch, tp, F.layer_norm(tX, (dim,), g1, b1, 1e-5), heads)
        tY = H + F.gelu(F.layer_norm(H, (dim,), g2, b2, 1e-5) @ w1 + c1,
                        approximate="tanh") @ w2 + c2
        tY.backward(torch.tensor(D))
        agree(Y, tY)
        agree(dX, tX.grad)
        for param, theirs in zip(block.parameters, t, strict=True):
            agree(param.gradient, theirs.grad)

    Z, labels = rng.standard_normal((3, 5, 4)), rng.integers(0, 4, (3, 5))
    labels[0, 1] = labels[2, 4] = -100
    loss, dZ = nn.softmax_cross_entropy_loss(Z, labels, ignore_index=-100)
    tZ = torch.tensor(Z, requires_grad=True)
    tloss = F.cross_entropy(tZ.transpose(1, 2), torch.tensor(labels), ignore_index=-100)
    tloss.backward()
    assert loss == pytest.approx(tloss.item(), rel=1e-12)
    agree(dZ, tZ.grad)


def test_adamw_and_clipping_match_torch_when_it_is_installed():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    starts = [rng.standard_normal((3, 4)), rng.standard_normal(4)]
    ours = nn.AdamWOptimizer(lr=0.01, beta1=0.8, beta2=0.99, eps=1e-6, weight_decay=0.1)
    params = [nn.Parameter(s.copy()) for s in starts]
    weights = [torch.tensor(s.copy(), requires_grad=True) for s in starts]
    theirs = torch.optim.AdamW(weights, lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)
    for step in range(6):
        for p, w in zip(params, weights, strict=True):
            g = 5 * rng.standard_normal(p.tensor.shape)
            p.gradient[...] = g
            w.grad = torch.tensor(g)
        norm = nn.clip_grad_norm(params, 1.0 if step % 2 else 100.0)
        tnorm = torch.nn.utils.clip_grad_norm_(weights, 1.0 if step % 2 else 100.0)
        assert norm == pytest.approx(tnorm.item(), rel=1e-12)
        for p in params:
            ours.update(p)
        theirs.step()
        for p, w in zip(params, weights, strict=True):
            np.testing.assert_allclose(p.tensor, w.detach().numpy(), rtol=1e-12, atol=1e-14)
