"""Conv2D's forward and backward against raw numpy doing the same im2col work, and PyTorch.

Each contender runs the two convolutions of examples/convnet.py, forward then backward
(the input gradient included), on a batch of 64 digit images: the first layer on the images
(64, 1, 8, 8), the second on 16 feature maps (64, 16, 8, 8). The raw-numpy floor is the
same unfolding written as plain functions: pad, sliding windows, one matmul each way, the
k x k strided adds of col2im. Outputs (samples of Y, dX, dW, db) are compared so every
contender is known to compute the same thing.
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

import nn100
from nn100.data import load_digits
from timing import Contender

BATCH, KERNEL, PADDING = 64, 3, 1
LAYERS = ((1, 16), (16, 32))  # (in_channels, out_channels), as in examples/convnet.py
NN100 = "nn100 Conv2D (forward + backward)"
SAME = "raw numpy, same im2col work"
TORCH = "PyTorch CPU conv2d (forward + backward)"
TOLERANCE = 1e-4  # on values scaled to at most 1: float32 sums in another order differ by ~1e-6


def problems(seed: int = 0):
    """Per layer: input X, upstream gradient D, weights W, bias b (float32)."""
    rng = np.random.default_rng(seed)
    images = load_digits(dtype=np.float32)[0][:BATCH].reshape(BATCH, 1, 8, 8)
    cases = []
    for index, (C, F) in enumerate(LAYERS):
        X = images if index == 0 else rng.random((BATCH, C, 8, 8), dtype=np.float32)
        layer = nn100.Conv2D(C, F, KERNEL, padding=PADDING, rng=seed + index, dtype=np.float32)
        b = rng.standard_normal(F).astype(np.float32)
        D = rng.standard_normal((BATCH, F, 8, 8)).astype(np.float32)
        cases.append((X, D, layer.weights.tensor.copy(), b))
    return cases


def fingerprint(Y, dX, dW, db):
    """A few hundred values of every result, each array scaled by its largest magnitude
    (dW sums 4096 products and reaches ~100): enough to tell different work apart."""
    return np.concatenate([a.ravel()[::max(1, a.size // 200)] / max(float(np.abs(a).max()), 1.0)
                           for a in (Y, dX, dW, db)])


def nn100_contender(cases, steps):
    layers = []
    for _X, _, W, b in cases:
        layer = nn100.Conv2D(W.shape[1], W.shape[0], KERNEL, padding=PADDING, dtype=np.float32)
        layer.weights.tensor[...], layer.bias.tensor[...] = W, b
        layers.append(layer)

    def run():
        for _ in range(steps):
            out = []
            for layer, (X, D, _, _) in zip(layers, cases, strict=False):
                for param in layer.parameters:
                    param.gradient[...] = 0
                Y, backward = layer.forward(X)
                out.append(fingerprint(Y, backward(D), layer.weights.gradient, layer.bias.gradient))
        return np.concatenate(out)

    return Contender(NN100, run)


def raw_conv(X, D, W, b):
    """Forward and backward of a padded, stride-1 cross-correlation by im2col, plain numpy."""
    N, C, H, Wd = X.shape
    F, k = W.shape[0], W.shape[2]
    p = PADDING
    Xp = np.pad(X, ((0, 0), (0, 0), (p, p), (p, p)))
    rows, cols_out = Xp.shape[2] - k + 1, Xp.shape[3] - k + 1
    cols = (sliding_window_view(Xp, (k, k), axis=(2, 3)).transpose(0, 2, 3, 1, 4, 5)
            .reshape(-1, C * k * k))
    W2 = W.reshape(F, -1)
    Y = (cols @ W2.T + b).reshape(N, rows, cols_out, F).transpose(0, 3, 1, 2)
    D2 = D.transpose(0, 2, 3, 1).reshape(-1, F)
    dW = (D2.T @ cols).reshape(W.shape)
    db = D2.sum(axis=0)
    dcols = (D2 @ W2).reshape(N, rows, cols_out, C, k, k)
    dXp = np.zeros_like(Xp)
    for a in range(k):
        for c in range(k):
            dXp[:, :, a:a + rows, c:c + cols_out] += dcols[:, :, :, :, a, c].transpose(0, 3, 1, 2)
    return Y, dXp[:, :, p:p + H, p:p + Wd], dW, db


def raw_contender(cases, steps):
    def run():
        for _ in range(steps):
            out = [fingerprint(*raw_conv(*case)) for case in cases]
        return np.concatenate(out)

    return Contender(SAME, run)


def torch_contender(cases, steps):
    import torch

    tensors = [(torch.from_numpy(X), torch.from_numpy(D), torch.from_numpy(W), torch.from_numpy(b))
               for X, D, W, b in cases]

    def run():
        for _ in range(steps):
            out = []
            for X, D, W, b in tensors:
                X, W, b = (t.detach().requires_grad_() for t in (X, W, b))
                Y = torch.nn.functional.conv2d(X, W, b, padding=PADDING)
                Y.backward(D)
                out.append(fingerprint(*(t.detach().numpy() for t in (Y, X.grad, W.grad, b.grad))))
        return np.concatenate(out)

    return Contender(TORCH, run)


def conv_speed(rounds: int, steps: int, torch: bool, compare):
    """The comparison dict for the report (``compare`` is training.compare)."""
    cases = problems()
    contenders = [nn100_contender(cases, steps), raw_contender(cases, steps)]
    if torch:
        contenders.append(torch_contender(cases, steps))
    return compare("conv-b64", "Conv2D 3x3 padding 1, forward + backward, batch of 64 digit images "
                   "(1->16 channels on the images, 16->32 on feature maps), float32",
                   contenders, rounds, steps, reference=NN100, tolerance=TOLERANCE)
