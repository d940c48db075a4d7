"""Sequences and attention: the pieces of a tiny GPT, in the closure style of layers.py.

A sequence model reads integer token ids (N, T) and works on vectors (N, T, dim): one per
position of each sequence. Embeddings turn ids into vectors and tell positions apart; causal
self-attention lets each position gather information from itself and the positions before
it (never after: the model must not see the token it is asked to predict); a transformer
block alternates that with a per-position MLP, each around a residual stream.
"""
import numpy as np

from .conv import Residual
from .layers import Layer, Linear, Sequential
from .norm import LayerNorm


def check_sequence(where: str, X, dim: int) -> None:
    """Raise a clear error unless X is an array of shape (N, T, dim)."""
    shape = getattr(X, "shape", None)
    if shape is None or len(shape) != 3 or shape[-1] != dim:
        raise ValueError(f"{where}: expected input of shape (N, T, {dim}), got {shape}")


class Embedding(Layer):
    """A learned vector per token id: Y[n, t] = weights[ids[n, t]].
    ids: (N, T) integers in [0, num_embeddings) -> Y: (N, T, dim).

    ``weights`` (num_embeddings, dim) is drawn from N(0, 1), as torch.nn.Embedding's. The ids
    are indices, not numbers: they have no gradient, and backward returns None.
    """

    def __init__(self, num_embeddings: int, dim: int, rng=None, dtype=np.float64):
        super().__init__()
        rng = np.random.default_rng(rng)
        self.weights = self.build_param(rng.standard_normal((num_embeddings, dim)).astype(dtype))

    def forward(self, ids):
        """Y[n, t] = the row of ``weights`` for id ids[n, t].  ids: (N, T) -> Y: (N, T, dim).

        Hint: indexing an array with an integer array gathers whole rows at once.
        """
        count = len(self.weights.tensor)
        ids = np.asarray(ids)
        if not np.issubdtype(ids.dtype, np.integer):
            raise TypeError(f"Embedding.forward: ids must be integers, got dtype {ids.dtype}")
        if ids.ndim != 2:
            raise ValueError(f"Embedding.forward: expected ids of shape (N, T), got {ids.shape}")
        if ids.size and (ids.min() < 0 or ids.max() >= count):
            bad = ids.min() if ids.min() < 0 else ids.max()
            raise ValueError(f"Embedding.forward: ids must lie in [0, {count}), got {bad}")
        raise NotImplementedError("Exercise 8.1: Embedding.forward")

        def backward(D):
            """D: (N, T, dim).  Adds dL/dweights (num_embeddings, dim) to ``weights.gradient``
            and returns None (ids have no gradient).

            Hint: an id used at several positions received the gradient of each of them, so
            they must all add up; plain fancy-index assignment keeps only one.
            """
            raise NotImplementedError("Exercise 8.2: Embedding.backward")
            # nothing returned: the caller receives None

        return Y, backward


class PositionalEmbedding(Layer):
    """A learned vector per position, added: Y[n, t] = X[n, t] + weights[t].
    X: (N, T, dim) with T <= max_len -> Y: same shape.

    Attention treats its inputs as a set: without this, "a b" and "b a" would look alike.
    ``weights`` (max_len, dim) is drawn from N(0, 1), as Embedding's.
    """

    def __init__(self, max_len: int, dim: int, rng=None, dtype=np.float64):
        super().__init__()
        rng = np.random.default_rng(rng)
        self.max_len, self.dim = max_len, dim
        self.weights = self.build_param(rng.standard_normal((max_len, dim)).astype(dtype))

    def forward(self, X):
        """Y = X plus the first T rows of ``weights``, one per position.  X: (N, T, dim) -> Y.

        Hint: broadcasting adds a (T, dim) array to every sequence of the batch.
        """
        check_sequence("PositionalEmbedding.forward", X, self.dim)
        if X.shape[1] > self.max_len:
            raise ValueError(f"PositionalEmbedding.forward: sequences of length {X.shape[1]} "
                             f"exceed max_len={self.max_len}")
        raise NotImplementedError("Exercise 8.3: PositionalEmbedding.forward")

        def backward(D):
            """D: (N, T, dim) -> dX: same shape.  Adds into the first T rows of
            ``weights.gradient``.

            Hint: each position's row was added to every sequence of the batch.
            """
            raise NotImplementedError("Exercise 8.4: PositionalEmbedding.backward")

        return Y, backward


GELU_SCALE = float(np.sqrt(2 / np.pi))  # Python floats keep float32 inputs float32
GELU_CUBIC = 0.044715


class GELU(Layer):
    """The Gaussian error linear unit in its tanh approximation, elementwise:
    Y = 0.5 * X * (1 + tanh(sqrt(2 / pi) * (X + 0.044715 * X**3))).

    This is torch.nn.functional.gelu(X, approximate="tanh"), GPT-2's; the exact form
    X * Phi(X) (Phi the normal distribution function) differs by up to 4.7e-4, and numpy
    has no vectorised erf.  Any shape in, same shape out.
    """

    def forward(self, X):
        """Y as above.  X: any shape -> Y: same shape and dtype.

        Hint: keep the tanh you compute: its derivative is written with it.
        """
        raise NotImplementedError("Exercise 8.5: GELU.forward")

        def backward(D):
            """D: shape of Y -> dX: shape of X.

            Hint: the product rule, then the chain rule through tanh and its cubic argument.
            """
            raise NotImplementedError("Exercise 8.6: GELU.backward")

        return Y, backward


class CausalSelfAttention(Layer):
    """Multi-head causal self-attention.  X: (N, T, dim) -> Y: (N, T, dim).

    Each position makes a query, a key and a value (q, k, v = the three dim-wide column
    blocks of X @ qkv_weights + qkv_bias). Head h works on columns h*hs .. (h+1)*hs of q, k
    and v (hs = dim // heads): position t's output is the average of the values of
    positions s <= t, weighted by softmax over s of q_t . k_s / sqrt(hs). The heads'
    outputs are put side by side again (head h in columns h*hs .. (h+1)*hs) and projected:
    Y = O @ proj_weights + proj_bias.  As torch's, with no dropout.

    ``qkv_weights`` (dim, 3*dim) and ``proj_weights`` (dim, dim) are drawn from
    N(0, 1/dim), as Linear's; ``qkv_bias`` (3*dim,) and ``proj_bias`` (dim,) start at zeros.
    """

    def __init__(self, dim: int, heads: int, rng=None, dtype=np.float64):
        super().__init__()
        if heads < 1 or dim % heads:
            raise ValueError(f"CausalSelfAttention: dim={dim} must be a multiple of "
                             f"heads={heads}")
        rng = np.random.default_rng(rng)
        self.dim, self.heads = dim, heads
        scale = np.sqrt(1.0 / dim)
        self.qkv_weights = self.build_param(
            (rng.standard_normal((dim, 3 * dim)) * scale).astype(dtype))
        self.qkv_bias = self.build_param(np.zeros(3 * dim, dtype=dtype))
        self.proj_weights = self.build_param(
            (rng.standard_normal((dim, dim)) * scale).astype(dtype))
        self.proj_bias = self.build_param(np.zeros(dim, dtype=dtype))

    def forward(self, X):
        """Y as above.  X: (N, T, dim) -> Y: (N, T, dim).

        Hint: give the heads an axis of their own, (N, heads, T, hs), and one batched
        matmul gives every head's (T, T) scores at once. Position t may attend to s <= t
        only: rule the others out before the softmax, so that they get exactly zero weight.
        """
        check_sequence("CausalSelfAttention.forward", X, self.dim)
        N, T, dim = X.shape
        heads, hs = self.heads, self.dim // self.heads
        scale = hs ** -0.5
        raise NotImplementedError("Exercise 8.7: CausalSelfAttention.forward")

        def backward(D):
            """D: (N, T, dim) -> dX: (N, T, dim).  Adds the gradients of qkv_weights,
            qkv_bias, proj_weights and proj_bias into theirs.

            Hint: retrace forward in reverse, each step one you have met: a Linear, a
            batched matmul, a softmax per row, the heads' reshapes undone.
            """
            raise NotImplementedError("Exercise 8.8: CausalSelfAttention.backward")

        return Y, backward


class TransformerBlock(Layer):
    """A pre-norm transformer block.  X: (N, T, dim) -> Y: (N, T, dim):
    H = X + attn(ln1(X)), then Y = H + mlp(ln2(H)).

    ``ln1``, ``ln2``: LayerNorm(dim); ``attn``: CausalSelfAttention(dim, heads);
    ``mlp``: Sequential(Linear(dim, 4*dim), GELU(), Linear(4*dim, dim)), applied to each
    position alike. Its parameters are theirs, in that order.
    """

    def __init__(self, dim: int, heads: int, rng=None, dtype=np.float64):
        super().__init__()
        rng = np.random.default_rng(rng)
        self.ln1 = LayerNorm(dim, dtype=dtype)
        self.attn = CausalSelfAttention(dim, heads, rng=rng, dtype=dtype)
        self.ln2 = LayerNorm(dim, dtype=dtype)
        self.mlp = Sequential(Linear(dim, 4 * dim, rng=rng, dtype=dtype), GELU(),
                              Linear(4 * dim, dim, rng=rng, dtype=dtype))
        # The residual stream: each sub-layer reads a normalised copy and adds to it.
        self.body = Sequential(Residual(Sequential(self.ln1, self.attn)),
                               Residual(Sequential(self.ln2, self.mlp)))
        self.parameters = self.body.parameters

    def forward(self, X):
        """Y as above.  X: (N, T, dim) -> Y: (N, T, dim)."""
        check_sequence("TransformerBlock.forward", X, self.attn.dim)
        return self.body.forward(X)

    def train(self):
        self.body.train()
        return super().train()

    def eval(self):
        self.body.eval()
        return super().eval()


def context_length(model):
    """The longest sequence ``model`` accepts: the max_len of its PositionalEmbedding
    (searched through Sequential and Residual), or None if it has none."""
    if isinstance(model, PositionalEmbedding):
        return model.max_len
    for inner in list(getattr(model, "layers", ())) + [getattr(model, "layer", None)]:
        if inner is not None and (found := context_length(inner)) is not None:
            return found
    return None


def generate(model, prompt_ids, steps: int, temperature: float = 1.0, rng=None):
    """Extend each prompt by ``steps`` tokens, one at a time, each drawn from the model's
    next-token distribution softmax(logits / temperature) at the last position (temperature
    0: the most likely token).  ``model`` maps ids (N, T) to logits (N, T, vocabulary);
    it sees at most its context length of latest tokens.  prompt_ids: (N, T0) integers ->
    (N, T0 + steps) int64, the prompts followed by what was generated.  Runs in evaluation
    mode.
    """
    ids = np.asarray(prompt_ids)
    if not np.issubdtype(ids.dtype, np.integer) or ids.ndim != 2 or ids.shape[1] < 1:
        raise ValueError(f"generate: expected integer prompt ids of shape (N, T0) with T0 >= 1, "
                         f"got {ids.dtype} {ids.shape}")
    if temperature < 0:
        raise ValueError(f"generate: temperature must be >= 0, got {temperature}")
    rng = np.random.default_rng(rng)
    window = context_length(model) or ids.shape[1] + steps
    model.eval()
    ids = ids.astype(np.int64)
    for _ in range(steps):  # each token depends on the ones drawn before it
        logits, _ = model.forward(ids[:, -window:])
        last = logits[:, -1].astype(np.float64)
        if temperature == 0:
            chosen = last.argmax(axis=1)
        else:
            p = np.exp((last - last.max(axis=1, keepdims=True)) / temperature)
            p /= p.sum(axis=1, keepdims=True)
            chosen = (p.cumsum(axis=1) < rng.random((len(p), 1))).sum(axis=1)
            chosen = np.minimum(chosen, p.shape[1] - 1)  # rounding at the top end
        ids = np.concatenate([ids, chosen[:, None]], axis=1)
    return ids
