# %% [markdown]
# # Assignment 6 — Sequences, attention and a tiny GPT
#
# Every network so far read one input and gave one answer. Text, code and music come as
# *sequences* of tokens, and what a token means depends on the ones before it. This
# assignment builds the pieces of a small GPT: **Embedding** turns token ids into
# vectors, **PositionalEmbedding** tells the positions apart, **GELU** is the smooth
# non-linearity of its MLPs, and **CausalSelfAttention** lets each position gather what it
# needs from the positions before it. Then what training such a model needs:
# **AdamWOptimizer** and **clip_grad_norm**. At the end a tiny GPT learns associative
# recall, a task only attention solves.
#
# A sequence model works on arrays of shape `(N, T, dim)`: a batch of `N` sequences of
# `T` positions, one `dim`-wide vector per position. Your `Linear` and `LayerNorm` take
# such arrays already (they work on the last axis, the given code of `Linear` hands your
# 2-D forward the rows of any `(N, ..., features)` input), and so does your
# `softmax_cross_entropy_loss` for `(N, T, classes)` logits.
#
# **Grading**, as before. The units of assignments 1–5 come from `toolbox.py`, which
# takes them from your own notebooks of those assignments (the course's copy when graded).

# %%
# nbgrader: given setup
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np

from gradcheck import layer_loss, numerical_gradient, relative_error
from toolbox import (Layer, LayerNorm, Learner, Linear, Residual, Sequential, distinct,
                     softmax_cross_entropy_loss)


def print_warning(message, category, filename, lineno, file=None, line=None):
    # Printed, not written to stderr: the grader reads stderr as a failed test.
    print(f"{category.__name__}: {message}")


warnings.showwarning = print_warning
rng = np.random.default_rng(0)
try:  # small matrices: one BLAS thread is faster than several that wait for each other
    from threadpoolctl import threadpool_limits
except ImportError:  # not installed: numpy keeps its threads
    from contextlib import nullcontext as threadpool_limits


def gradient_errors(layer, X, D, input_gradient=True):
    """{name: relative error} of backward(D) against finite differences, for the input
    (unless ``input_gradient`` is False) and every parameter of ``layer`` (call it on a
    fresh layer: gradients accumulate)."""
    _, backward = layer.forward(X)
    dX = backward(D)
    loss = layer_loss(layer, X, D)
    errors = {"input": relative_error(dX, numerical_gradient(loss, X))} if input_gradient else {}
    for index, param in enumerate(layer.parameters):
        errors[f"parameter {index}"] = relative_error(param.gradient,
                                                      numerical_gradient(loss, param.tensor))
    return errors


# include: attention.check_sequence


# %% [markdown]
# ## Part 1: sequences and attention
#
# ### Task 1: token embeddings
#
# A token id is a name, not a quantity: token 7 is not "more" than token 3. So a model
# does not compute with the id itself; it keeps a learned vector per id, a row of a table
# `weights` of shape `(num_embeddings, dim)`, and looks it up. `Embedding(num_embeddings,
# dim)` maps integer ids `(N, T)` to `(N, T, dim)`.
#
# **Backward.** Only the rows that were looked up receive a gradient, and a row used at
# several positions (the same token twice) receives the sum of what each of those
# positions sends back: each use is a separate path to the loss. Plain assignment into an
# array indexed with repeated ids keeps only one of them; numpy has a function that adds
# at repeated indices. The ids themselves have no gradient (no loss can move a name), so
# backward returns `None`.

# %%
# nbgrader: solution embedding
# include: attention.Embedding

# %%
# nbgrader: tests embedding_tests
layer = Embedding(5, 3, rng=1)
ids = np.array([[0, 4, 4], [2, 0, 1]])
Y, backward = layer.forward(ids)
assert np.shape(Y) == (2, 3, 3), f"expected output of shape (2, 3, 3), got {np.shape(Y)}"
assert np.array_equal(Y[0, 1], layer.weights.tensor[4]), "position (0, 1) holds the row of id 4"
D = rng.normal(size=(2, 3, 3))
assert backward(D) is None, "ids have no gradient: backward returns None"
assert np.allclose(layer.weights.gradient[4], D[0, 1] + D[0, 2]), \
    "id 4 is used twice: its row receives the sum of both positions' gradients"
assert np.allclose(layer.weights.gradient[3], 0), "id 3 is never used: its row gets nothing"
### BEGIN HIDDEN TESTS
hidden_layer = Embedding(4, 2, rng=2)
hidden_ids = np.array([[3, 3, 3, 3]])
_, hidden_backward = hidden_layer.forward(hidden_ids)
hidden_backward(np.ones((1, 4, 2)))
assert np.allclose(hidden_layer.weights.gradient[3], 4.0)
assert np.allclose(hidden_layer.weights.gradient[:3], 0.0)
### END HIDDEN TESTS
print("Embedding: tests passed")

# %% [markdown]
# ### Task 2: positions
#
# Attention, which you will write next, compares every position with every other and
# averages what it finds: nothing in it knows *where* a token stands. Shuffle the tokens
# before it and each output is the same, only shuffled. Yet "the dog bit the man" and
# "the man bit the dog" must differ. The cure is to make the position part of the vector:
# `PositionalEmbedding(max_len, dim)` keeps one learned vector per position and adds it to
# whatever vector stands there. A sequence of `T` positions uses the first `T` rows; a
# longer one than `max_len` is an error.
#
# Each row was added to that position of every sequence in the batch: what does that
# say about its gradient?

# %%
# nbgrader: solution positional
# include: attention.PositionalEmbedding

# %%
# nbgrader: tests positional_tests
layer = PositionalEmbedding(6, 4, rng=1)
X = rng.normal(size=(3, 5, 4))
Y, _ = layer.forward(X)
assert np.shape(Y) == X.shape, f"expected output of shape {X.shape}, got {np.shape(Y)}"
assert np.allclose(Y[2, 3] - X[2, 3], layer.weights.tensor[3]), "position 3 gets row 3 added"
for name, error in gradient_errors(layer, X, rng.normal(size=X.shape)).items():
    assert error < 1e-6, f"gradient of the {name}: relative error {error:.1e}"
assert np.allclose(layer.weights.gradient[5], 0), "row 5 is beyond T = 5: no gradient"
### BEGIN HIDDEN TESTS
hidden_layer = PositionalEmbedding(3, 2, rng=2)
hidden_X = np.random.default_rng(601).normal(size=(1, 1, 2))
for hidden_error in gradient_errors(hidden_layer, hidden_X, np.ones((1, 1, 2))).values():
    assert hidden_error < 1e-6
### END HIDDEN TESTS
print("PositionalEmbedding: tests passed")

# %% [markdown]
# ### Task 3: GELU
#
# The MLPs of a transformer use GELU rather than ReLU: a smooth curve that is the input
# itself for large positive values and near zero for large negative ones, with a soft
# bend in between (it even dips slightly below zero). GPT-2 and PyTorch's
# `approximate="tanh"` compute it through `tanh`: the constants are in the docstring.
# It is elementwise, so its backward is the upstream gradient times its slope at each
# input; find the slope with the product rule and the chain rule, and let finite
# differences tell you whether you did.

# %%
# nbgrader: given gelu_constants
# include: attention.GELU_SCALE
# include: attention.GELU_CUBIC

# %%
# nbgrader: solution gelu
# include: attention.GELU

# %%
# nbgrader: tests gelu_tests
X = np.array([[-3.0, -0.5, 0.0, 0.5, 3.0]])
Y, _ = GELU().forward(X)
assert np.shape(Y) == X.shape, f"expected output of shape {X.shape}, got {np.shape(Y)}"
assert Y[0, 2] == 0 and abs(Y[0, 4] - 3.0) < 0.01 and abs(Y[0, 0]) < 0.01, \
    f"GELU(0) = 0, GELU(3) is nearly 3 and GELU(-3) nearly 0: got {Y}"
assert -0.16 < Y[0, 1] < -0.15, f"GELU(-0.5) is about -0.154 (tanh form): got {Y[0, 1]}"
for name, error in gradient_errors(GELU(), rng.normal(size=(2, 3, 4)),
                                   rng.normal(size=(2, 3, 4))).items():
    assert error < 1e-6, f"gradient of the {name}: relative error {error:.1e}"
### BEGIN HIDDEN TESTS
hidden_X = np.random.default_rng(602).normal(scale=2.0, size=(7, 3))
for hidden_error in gradient_errors(GELU(), hidden_X, np.ones_like(hidden_X)).values():
    assert hidden_error < 1e-6
### END HIDDEN TESTS
print("GELU: tests passed")

# %% [markdown]
# ## Attention: a soft dictionary look-up
#
# A Python dictionary finds the one key equal to the query and returns its value.
# Attention does the same softly. Every position makes three vectors from its input: a
# **query** (what am I looking for?), a **key** (what do I hold?) and a **value** (what
# do I hand over if chosen?). A position compares its query with the key of every
# position it may see; the closer the match (the larger the dot product), the more weight
# that position gets. The weights are a softmax of the scores (chapter 3), so they are
# positive and add up to one, and the output is the weighted average of the values. A
# query that matches one key much better than the others gets, in effect, that key's
# value: a dictionary look-up, but one that gradients can flow through.
#
# Here is one head of a tiny GPT like the one you will train at the end of this notebook,
# on a task that is a look-up: key–value pairs (`k5 v9 k3 v7 ...`), then one of the keys
# again, whose value is the answer. Each row is a query position, each column a position it
# may attend to, darker for more weight. Look at the last row: the repeated key `k2`
# puts nearly all its weight on `v5`, the value that followed `k2` the first time.
#
# ![attention of one head of a tiny GPT trained on associative recall](recall_attention.png)
#
# **Why the scores are scaled.** The dot product of two vectors of `hs` random entries
# grows with `hs`: the cell below shows by how much. A softmax of large scores
# *saturates*: one weight is almost 1, the others almost 0, and its gradient almost
# vanishes, so at the start of training nothing moves. Dividing the scores by the square
# root of `hs` keeps their spread about 1 whatever the head size.

# %%
spread_rng = np.random.default_rng(3)
for hs in [4, 16, 64, 256]:
    queries, keys = spread_rng.normal(size=(2, 1000, 8, hs))  # 1000 queries, 8 keys each
    scores = np.einsum("nsh,nsh->ns", queries, keys)
    weights = np.exp(scores - scores.max(axis=1, keepdims=True))
    weights /= weights.sum(axis=1, keepdims=True)
    print(f"head size {hs:>3}: scores spread {scores.std():5.1f}, "
          f"largest of 8 softmax weights on average {weights.max(axis=1).mean():.2f}")

# %% [markdown]
# **Why the mask.** A GPT is trained to predict, at every position, the *next* token, all
# positions at once. If position `t` could look at position `t + 1`, it would simply copy
# the answer: training would look perfect and the model would have learnt nothing it can
# use when it generates text, where the next token does not exist yet. So position `t`
# attends to positions `s ≤ t` only. The later ones must get exactly zero weight, which
# means ruling them out *before* the softmax (after it, they have already taken their
# share of the normalisation). The mask depends only on `T`: build it inside the layer.
#
# **Heads.** One softmax picks one kind of match. Several *heads* look up in parallel,
# each with its own slice of the query, key and value columns (head `h` owns columns
# `h·hs … (h+1)·hs` of each, `hs = dim // heads`); their outputs are put side by side
# again and a final projection mixes them. Give the heads an axis of their own and one
# batched matrix product computes all their scores; no Python loop over heads, positions
# or sequences is needed.
#
# ### Task 4: `CausalSelfAttention`
#
# `CausalSelfAttention(dim, heads)` holds `qkv_weights` `(dim, 3·dim)` and `qkv_bias`
# (queries, keys and values side by side: one `Linear`-like product makes all three) and
# `proj_weights` `(dim, dim)`, `proj_bias`. The docstring is the specification.
#
# **Backward** retraces forward in reverse, and every step is one you have met: the
# projection is a `Linear`; the weighted average and the scores are batched matrix
# products (the gradient of a product, as in `Linear`, for each of its two factors); the
# softmax of each row is chapter 3's; the heads' reshapes and transposes are undone in
# reverse order. The masked entries had zero weight, so no gradient goes through them.
# Work out the shapes of each step first, on paper.

# %%
# nbgrader: solution attention
# include: attention.CausalSelfAttention

# %%
# nbgrader: tests attention_forward
layer = CausalSelfAttention(4, 2, rng=1)
X = rng.normal(size=(2, 5, 4))
Y, _ = layer.forward(X)
assert np.shape(Y) == X.shape, f"expected output of shape {X.shape}, got {np.shape(Y)}"
one, _ = CausalSelfAttention(4, 2, rng=1).forward(X[:, :1])
assert np.allclose(Y[:, 0], one[:, 0]), \
    "position 0 sees only itself: its output is the same for a sequence of length 1"
layer.qkv_weights.tensor[:, :8] = 0.0  # queries and keys 0: every visible position alike
layer.qkv_bias.tensor[:8] = 0.0
Y, _ = layer.forward(X)
values = X @ layer.qkv_weights.tensor[:, 8:] + layer.qkv_bias.tensor[8:]
expected = (np.cumsum(values, axis=1) / np.arange(1, 6)[:, None]) @ layer.proj_weights.tensor
assert np.allclose(Y, expected + layer.proj_bias.tensor), \
    "with equal scores, position t averages the values of positions 0..t, then projects"
### BEGIN HIDDEN TESTS
hidden_layer = CausalSelfAttention(6, 3, rng=3)
hidden_X = np.random.default_rng(603).normal(size=(1, 4, 6))
hidden_Y, _ = hidden_layer.forward(hidden_X)
for hidden_t in range(1, 5):
    assert np.allclose(hidden_layer.forward(hidden_X[:, :hidden_t])[0], hidden_Y[:, :hidden_t])
### END HIDDEN TESTS
print("CausalSelfAttention.forward: tests passed")

# %%
# nbgrader: tests attention_causal
layer = CausalSelfAttention(6, 2, rng=2)
X = rng.normal(size=(2, 6, 6))
Y, backward = layer.forward(X)
changed = X.copy()
changed[:, 4:] = rng.normal(size=(2, 2, 6))
assert np.allclose(layer.forward(changed)[0][:, :4], Y[:, :4]), \
    "changing positions 4 and 5 moved an earlier output: an earlier position sees the future"
D = np.zeros_like(X)
D[:, :4] = rng.normal(size=(2, 4, 6))
assert np.allclose(backward(D)[:, 4:], 0), \
    "gradients of positions 0..3 reached positions 4 and 5, which they may not see"
### BEGIN HIDDEN TESTS
hidden_layer = CausalSelfAttention(4, 4, rng=4)
hidden_X = np.random.default_rng(604).normal(size=(1, 3, 4))
hidden_D = np.zeros_like(hidden_X)
hidden_D[:, 0] = 1.0
assert np.allclose(hidden_layer.forward(hidden_X)[1](hidden_D)[:, 1:], 0)
### END HIDDEN TESTS
print("CausalSelfAttention is causal: tests passed")

# %%
# nbgrader: tests attention_backward
for dim, heads, shape in [(4, 2, (2, 3, 4)), (6, 3, (1, 4, 6))]:
    layer = CausalSelfAttention(dim, heads, rng=5)
    layer.qkv_bias.tensor[:] = rng.normal(size=3 * dim)
    layer.proj_bias.tensor[:] = rng.normal(size=dim)
    for name, error in gradient_errors(layer, rng.normal(size=shape),
                                       rng.normal(size=shape)).items():
        assert error < 1e-6, (f"CausalSelfAttention({dim}, {heads}) on {shape}, gradient of "
                              f"the {name}: relative error {error:.1e}")
Y, _ = CausalSelfAttention(4, 2, rng=6).forward(100 * rng.normal(size=(1, 4, 4)))
assert np.all(np.isfinite(Y)), "large scores must not overflow: take each row's maximum off first"
### BEGIN HIDDEN TESTS
hidden_layer = CausalSelfAttention(3, 1, rng=7)
hidden_X = np.random.default_rng(605).normal(size=(2, 1, 3))
for hidden_error in gradient_errors(hidden_layer, hidden_X, np.ones_like(hidden_X)).values():
    assert hidden_error < 1e-6
### END HIDDEN TESTS
print("CausalSelfAttention.backward: tests passed")

# %% [markdown]
# ## The transformer block (given)
#
# A block alternates the two things a position can do: *talk* (attention, mixing in
# information from earlier positions) and *think* (an MLP, `Linear(dim, 4·dim)`, GELU,
# `Linear(4·dim, dim)`, applied to each position alone). Each sits around a **residual
# stream**: the block's input flows straight through, and each sub-layer reads a
# *normalised* copy of it (`LayerNorm` first: "pre-norm") and *adds* its result back.
# Assignment 5 showed why the straight path matters for gradients; pre-norm keeps it
# really straight (nothing rescales the stream itself), so deep stacks train without a
# warm-up. The block only composes units you have written and tested, so it is given.

# %%
# nbgrader: given block
# include: attention.TransformerBlock

# %% [markdown]
# ## Part 2: training a tiny GPT
#
# ### Task 5: AdamW
#
# Weight decay pulls every weight a little towards zero at each step, so that weights
# the loss does not need fade away. Adam with weight decay used to add the decay to the
# gradient (as `AdamOptimizer(weight_decay=...)` of assignment 4 does, like PyTorch's
# Adam). But Adam divides each gradient by its own running scale: the decay gets divided
# too, so a weight with large, noisy gradients is hardly decayed at all, and the strength
# of the decay depends on the gradients rather than on the weight. AdamW *decouples* the
# two: at each step the tensor itself shrinks by the learning rate times the decay, and
# then Adam's step is taken from the gradient alone; the moments never see the decay.
# `AdamWOptimizer` is PyTorch's `torch.optim.AdamW` step for step; it decays every
# parameter it is given.

# %%
# nbgrader: solution adamw
# include: optimizers.AdamWOptimizer

# %%
# nbgrader: tests adamw_tests
param = Layer().build_param(np.array([1.0, -2.0, 0.0]))
param.gradient[:] = [0.0, 0.0, 0.0]
AdamWOptimizer(lr=0.1, weight_decay=0.5).update(param)
assert np.allclose(param.tensor, [0.95, -1.9, 0.0]), \
    f"a zero gradient leaves only the decay, lr * weight_decay of each weight: got {param.tensor}"
assert np.allclose(param.gradient, 0), "the gradient is zeroed after the step"
param = Layer().build_param(np.array([0.5, 0.5]))
optimizer = AdamWOptimizer(lr=0.01, weight_decay=0.0)
param.gradient[:] = [3.0, -0.001]
optimizer.update(param)
assert np.allclose(param.tensor, [0.49, 0.51], atol=1e-4), \
    f"without decay, the first step is Adam's, about lr * sign(g): got {param.tensor}"
### BEGIN HIDDEN TESTS
hidden_param = Layer().build_param(np.array([10.0, -10.0]))
hidden_optimizer = AdamWOptimizer(lr=0.1, weight_decay=0.1)
for _ in range(3):
    hidden_param.gradient[:] = [1.0, 1.0]
    hidden_optimizer.update(hidden_param)
assert hidden_param.tensor[0] < 10.0 * 0.99 ** 3 - 0.29
### END HIDDEN TESTS
print("AdamWOptimizer: tests passed")

# %% [markdown]
# ### Task 6: gradient clipping
#
# Now and then one batch gives a huge gradient (a rare token, a sharp ridge of the
# loss), and one step then throws the weights far from where training had brought them.
# Clipping caps the *length* of the step: if the gradients of all the parameters
# together, seen as one long vector, are longer than `max_norm`, they are all scaled down
# by one common factor so that their length becomes `max_norm`. One factor for all keeps
# the *direction* of the update; clipping each parameter on its own would change it.
# `clip_grad_norm(parameters, max_norm)` returns the length before clipping (worth
# watching during training) and leaves gradients already within `max_norm` alone, as
# `torch.nn.utils.clip_grad_norm_`; the docstring gives its exact factor.

# %%
# nbgrader: solution clip
# include: optimizers.clip_grad_norm

# %%
# nbgrader: tests clip_tests
a, b = Layer().build_param(np.zeros(2)), Layer().build_param(np.zeros((1, 1)))
a.gradient[:], b.gradient[:] = [3.0, 0.0], [[4.0]]
norm = clip_grad_norm([a, b], 1.0)
assert abs(norm - 5.0) < 1e-12, f"the global norm of (3, 0) and (4) is 5, got {norm}"
assert np.allclose(a.gradient, [0.6, 0.0], atol=1e-5) and np.allclose(b.gradient, 0.8, atol=1e-5), \
    f"every gradient scaled by the same factor: got {a.gradient}, {b.gradient}"
a.gradient[:] = [0.3, 0.4]
b.gradient[:] = 0.0
clip_grad_norm([a, b], 1.0)
assert np.array_equal(a.gradient, [0.3, 0.4]), "within max_norm, gradients are left alone"
### BEGIN HIDDEN TESTS
hidden_a = Layer().build_param(np.zeros(4))
hidden_a.gradient[:] = 1.0
assert abs(clip_grad_norm([hidden_a, hidden_a], 0.5) - 2.0) < 1e-12
assert np.allclose(hidden_a.gradient, 0.25, atol=1e-5)
### END HIDDEN TESTS
print("clip_grad_norm: tests passed")

# %% [markdown]
# ## A tiny GPT learns associative recall
#
# The task: a few key–value pairs, then one of the keys again; the answer is the value
# that key came with. In `4 13 1 10 0 12 1` (keys are ids 0–5, values 6–15) the answer
# to the last `1` is `10`. No fixed position holds the answer: the model must find the
# earlier `1` and hand over what follows it. That is exactly a look-up, and a model
# without attention stays near chance. The training loop is your `Learner`; the step
# between backward and update clips the gradients.
#
# Trained on more data for longer, a model of this size gets every answer right: the
# attention map near the start of this notebook is one of its heads.

# %%
# nbgrader: given recall_data
# include: data.recall


class ClippingLearner(Learner):
    """Your Learner, clipping the gradients to a global norm before each update."""

    def __init__(self, model, loss, optimizer, max_norm=1.0):
        super().__init__(model, loss, optimizer)
        self.max_norm = max_norm

    def step(self):
        clip_grad_norm(self.model.parameters, self.max_norm)
        self.model.update(self.optimizer)


def tiny_gpt(vocabulary, length, dim=32, heads=4, blocks=2, seed=0):
    """Embeddings, transformer blocks, a final LayerNorm and a Linear to the logits."""
    layer_rng = np.random.default_rng(seed)
    return Sequential(Embedding(vocabulary, dim, rng=layer_rng),
                      PositionalEmbedding(length, dim, rng=layer_rng),
                      *[TransformerBlock(dim, heads, rng=layer_rng) for _ in range(blocks)],
                      LayerNorm(dim), Linear(dim, vocabulary, rng=layer_rng))


def recall_loss(Z, labels):
    return softmax_cross_entropy_loss(Z, labels, ignore_index=-100)


# %%
X_train, Y_train = recall(2000, pairs=3, keys=6, rng=0)
X_test, Y_test = recall(500, pairs=3, keys=6, rng=1000)
print("a sequence:", X_train[0], "answer:", Y_train[0, -1])
model = tiny_gpt(6 + 10, X_train.shape[1])
learner = ClippingLearner(model, recall_loss, AdamWOptimizer(lr=3e-3))
start = time.perf_counter()
with threadpool_limits(1):
    losses = learner.fit(X_train, Y_train, epochs=3, bs=32, rng=0)
    accuracy = np.mean(learner.predict(X_test)[:, -1].argmax(axis=1) == Y_test[:, -1])
print(f"recall accuracy {accuracy:.1%} after 3 epochs ({time.perf_counter() - start:.1f} s); "
      f"chance is about {1 / 3:.0%} (guessing among the values shown)")
plt.figure(figsize=(4, 2.5))
plt.plot(range(1, len(losses) + 1), losses)
plt.xlabel("epoch")
plt.ylabel("training loss")
plt.show()
