"""CausalSelfAttention's forward and backward against raw numpy doing the same work, and
PyTorch.

Each contender runs one causal self-attention layer, forward then backward (the input
gradient and the four parameter gradients), on a batch of 64 sequences of 32 positions of
64 features, 4 heads, float32. The raw-numpy floor is the same computation written as one
plain function: the qkv matmul, the heads' reshapes, scaled scores, the mask, a max-shifted
softmax, the weighted values, the projection, then the same steps in reverse. Outputs
(samples of Y, dX and the gradients) are compared so every contender is known to compute
the same thing.
"""
import numpy as np

import nn100
from timing import Contender

N, T, DIM, HEADS = 64, 32, 64, 4
NN100 = "nn100 CausalSelfAttention (forward + backward)"
SAME = "raw numpy, same work"
TORCH = "PyTorch CPU, scaled_dot_product_attention (forward + backward)"
TOLERANCE = 1e-4  # on values scaled to at most 1: float32 sums in another order differ by ~1e-6


def problem(seed: int = 0):
    """X, D, and the parameters qkv_weights, qkv_bias, proj_weights, proj_bias (float32)."""
    rng = np.random.default_rng(seed)
    layer = nn100.CausalSelfAttention(DIM, HEADS, rng=seed, dtype=np.float32)
    X = rng.standard_normal((N, T, DIM)).astype(np.float32)
    D = rng.standard_normal((N, T, DIM)).astype(np.float32)
    biases = [rng.standard_normal(s).astype(np.float32) for s in ((3 * DIM,), (DIM,))]
    return X, D, (layer.qkv_weights.tensor.copy(), biases[0],
                  layer.proj_weights.tensor.copy(), biases[1])


def fingerprint(*arrays):
    """A few hundred values of every result, each scaled by its largest magnitude."""
    return np.concatenate([a.ravel()[::max(1, a.size // 200)] / max(float(np.abs(a).max()), 1.0)
                           for a in arrays])


def nn100_contender(X, D, params, steps):
    layer = nn100.CausalSelfAttention(DIM, HEADS, dtype=np.float32)
    for param, value in zip(layer.parameters, params, strict=True):
        param.tensor[...] = value

    def run():
        for _ in range(steps):
            for param in layer.parameters:
                param.gradient[...] = 0
            Y, backward = layer.forward(X)
            dX = backward(D)
        return fingerprint(Y, dX, *(p.gradient for p in layer.parameters))

    return Contender(NN100, run)


def raw_attention(X, D, Wqkv, bqkv, Wp, bp):
    hs = DIM // HEADS
    qkv = X @ Wqkv + bqkv
    q, k, v = qkv.reshape(N, T, 3, HEADS, hs).transpose(2, 0, 3, 1, 4)
    S = q @ k.transpose(0, 1, 3, 2) * hs ** -0.5
    S[..., np.triu(np.ones((T, T), dtype=bool), 1)] = -np.inf
    A = np.exp(S - S.max(axis=-1, keepdims=True))
    A /= A.sum(axis=-1, keepdims=True)
    O = (A @ v).transpose(0, 2, 1, 3).reshape(N, T, DIM)  # noqa: E741
    Y = O @ Wp + bp
    dWp, dbp = O.reshape(-1, DIM).T @ D.reshape(-1, DIM), D.sum(axis=(0, 1))
    dO = (D @ Wp.T).reshape(N, T, HEADS, hs).transpose(0, 2, 1, 3)
    dA, dv = dO @ v.transpose(0, 1, 3, 2), A.transpose(0, 1, 3, 2) @ dO
    dS = A * (dA - (dA * A).sum(axis=-1, keepdims=True)) * hs ** -0.5
    dq, dk = dS @ k, dS.transpose(0, 1, 3, 2) @ q
    dqkv = np.stack([dq, dk, dv]).transpose(1, 3, 0, 2, 4).reshape(N, T, 3 * DIM)
    dWqkv, dbqkv = X.reshape(-1, DIM).T @ dqkv.reshape(-1, 3 * DIM), dqkv.sum(axis=(0, 1))
    return Y, dqkv @ Wqkv.T, dWqkv, dbqkv, dWp, dbp


def raw_contender(X, D, params, steps):
    def run():
        for _ in range(steps):
            out = raw_attention(X, D, *params)
        return fingerprint(*out)

    return Contender(SAME, run)


def torch_contender(X, D, params, steps):
    import torch

    F = torch.nn.functional
    tX, tD = torch.from_numpy(X), torch.from_numpy(D)
    tparams = [torch.from_numpy(p) for p in params]

    def run():
        for _ in range(steps):
            x = tX.detach().requires_grad_()
            Wqkv, bqkv, Wp, bp = (p.detach().requires_grad_() for p in tparams)
            q, k, v = ((x @ Wqkv + bqkv).split(DIM, dim=-1))
            q, k, v = (z.reshape(N, T, HEADS, DIM // HEADS).transpose(1, 2) for z in (q, k, v))
            O = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # noqa: E741
            Y = O.transpose(1, 2).reshape(N, T, DIM) @ Wp + bp
            Y.backward(tD)
        return fingerprint(*(t.detach().numpy() for t in (Y, x.grad, Wqkv.grad, bqkv.grad,
                                                           Wp.grad, bp.grad)))

    return Contender(TORCH, run)


def attention_speed(rounds: int, steps: int, torch: bool, compare):
    """The comparison dict for the report (``compare`` is training.compare)."""
    X, D, params = problem()
    contenders = [nn100_contender(X, D, params, steps), raw_contender(X, D, params, steps)]
    if torch:
        contenders.append(torch_contender(X, D, params, steps))
    return compare("attention-64x32x64", f"CausalSelfAttention forward + backward, ({N}, {T}, "
                   f"{DIM}), {HEADS} heads, float32", contenders, rounds, steps,
                   reference=NN100, tolerance=TOLERANCE)
