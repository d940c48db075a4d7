"""The tiny GPT's training step: nn100 against PyTorch CPU.

One step is forward, loss, backward and an AdamW update of every parameter, on a batch of
64 sequences of 16 tokens (sorting 8 digits, nn100.data.sort_digits: 11 token ids, the
unpredictable positions ignored by the loss), float32. The model is the demos' tiny GPT:
Embedding -> PositionalEmbedding -> 2 TransformerBlocks (dim 32, 4 heads) -> LayerNorm ->
Linear. PyTorch runs the same model from the same initial weights (nn100 keeps Linear
weights as (in, out), torch as (out, in)), with GELU's tanh form, causal
scaled_dot_product_attention and torch.optim.AdamW; the losses of every step are compared,
so both are known to train the same model the same way.
"""
import numpy as np

import nn100
from nn100.data import sort_digits
from timing import Contender

N, T, DIM, HEADS, BLOCKS, VOCABULARY = 64, 16, 32, 4, 2, 11
LR, WEIGHT_DECAY, IGNORE = 3e-3, 0.01, -100
NN100 = "nn100 tiny GPT (forward + backward + AdamW)"
TORCH = "PyTorch CPU, same model (forward + backward + AdamW)"
TOLERANCE = 1e-4  # float32 losses of ~2.4 (measured: 2e-6 apart after 5 steps)


def batches(steps: int, seed: int = 0):
    """``steps`` batches (ids (N, T), labels (N, T)) of the sorting task."""
    X, Y = sort_digits(N * steps, length=T // 2, ignore_index=IGNORE, rng=seed)
    return [(X[i * N:(i + 1) * N], Y[i * N:(i + 1) * N]) for i in range(steps)]


def nn100_model(seed: int = 0):
    rng, f32 = np.random.default_rng(seed), np.float32
    return nn100.Sequential(nn100.Embedding(VOCABULARY, DIM, rng=rng, dtype=f32),
                            nn100.PositionalEmbedding(T, DIM, rng=rng, dtype=f32),
                            *[nn100.TransformerBlock(DIM, HEADS, rng=rng, dtype=f32)
                              for _ in range(BLOCKS)],
                            nn100.LayerNorm(DIM, dtype=f32),
                            nn100.Linear(DIM, VOCABULARY, rng=rng, dtype=f32))


def loss(Z, labels):
    return nn100.softmax_cross_entropy_loss(Z, labels, ignore_index=IGNORE)


def nn100_contender(data):
    state = {}

    def reset():
        state["model"] = nn100_model()
        state["optimizer"] = nn100.AdamWOptimizer(lr=LR, weight_decay=WEIGHT_DECAY)

    def run():
        model, optimizer, losses = state["model"], state["optimizer"], []
        for ids, labels in data:
            Z, backward = model.forward(ids)
            value, dZ = loss(Z, labels)
            backward(dZ)
            model.update(optimizer)
            losses.append(float(value))
        return losses

    return Contender(NN100, run, reset)


def torch_model(reference):
    """A torch module computing what ``reference`` (an nn100_model) computes, from its
    weights."""
    import torch
    from torch import nn

    F = torch.nn.functional

    def tensor(array, transpose=False):
        return nn.Parameter(torch.from_numpy(np.ascontiguousarray(array.T if transpose else array)))

    def linear(layer):
        module = nn.Linear(*layer.weights.tensor.shape)
        module.weight, module.bias = tensor(layer.weights.tensor, True), tensor(layer.bias.tensor)
        return module

    def layer_norm(layer):
        module = nn.LayerNorm(DIM, eps=layer.eps)
        module.weight, module.bias = tensor(layer.gamma.tensor), tensor(layer.beta.tensor)
        return module

    class Attention(nn.Module):
        def __init__(self, attn):
            super().__init__()
            self.qkv_weights = tensor(attn.qkv_weights.tensor)
            self.qkv_bias = tensor(attn.qkv_bias.tensor)
            self.proj_weights = tensor(attn.proj_weights.tensor)
            self.proj_bias = tensor(attn.proj_bias.tensor)

        def forward(self, x):
            n, t, dim = x.shape
            q, k, v = (x @ self.qkv_weights + self.qkv_bias).split(dim, dim=-1)
            q, k, v = (z.reshape(n, t, HEADS, dim // HEADS).transpose(1, 2) for z in (q, k, v))
            out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            return out.transpose(1, 2).reshape(n, t, dim) @ self.proj_weights + self.proj_bias

    class Block(nn.Module):
        def __init__(self, block):
            super().__init__()
            self.ln1, self.attn = layer_norm(block.ln1), Attention(block.attn)
            self.ln2 = layer_norm(block.ln2)
            first, _, second = block.mlp.layers
            self.mlp = nn.Sequential(linear(first), nn.GELU(approximate="tanh"), linear(second))

        def forward(self, x):
            x = x + self.attn(self.ln1(x))
            return x + self.mlp(self.ln2(x))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            embedding, positions, *blocks, final, head = reference.layers
            self.embedding = nn.Embedding(VOCABULARY, DIM)
            self.embedding.weight = tensor(embedding.weights.tensor)
            self.positions = tensor(positions.weights.tensor)
            self.blocks = nn.Sequential(*[Block(b) for b in blocks])
            self.final, self.head = layer_norm(final), linear(head)

        def forward(self, ids):
            x = self.embedding(ids) + self.positions[:ids.shape[1]]
            return self.head(self.final(self.blocks(x)))

    return GPT()


def torch_contender(data):
    import torch

    F = torch.nn.functional
    torch_data = [(torch.from_numpy(ids), torch.from_numpy(labels)) for ids, labels in data]
    state = {}

    def reset():
        state["model"] = torch_model(nn100_model())
        state["optimizer"] = torch.optim.AdamW(state["model"].parameters(), lr=LR,
                                               weight_decay=WEIGHT_DECAY)

    def run():
        model, optimizer, losses = state["model"], state["optimizer"], []
        for ids, labels in torch_data:
            optimizer.zero_grad()
            value = F.cross_entropy(model(ids).reshape(-1, VOCABULARY), labels.reshape(-1),
                                    ignore_index=IGNORE)
            value.backward()
            optimizer.step()
            losses.append(value.item())
        return losses

    return Contender(TORCH, run, reset)


def gpt_speed(rounds: int, steps: int, torch: bool, compare):
    """The comparison dict for the report (``compare`` is training.compare)."""
    data = batches(steps)
    contenders = [nn100_contender(data)]
    if torch:
        contenders.append(torch_contender(data))
    return compare("gpt-b64", f"tiny GPT training step (dim {DIM}, {HEADS} heads, {BLOCKS} "
                   f"blocks, batch {N} of {T} tokens, AdamW), float32", contenders, rounds,
                   steps, reference=NN100, tolerance=TOLERANCE)
