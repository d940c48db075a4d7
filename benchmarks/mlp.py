"""One multilayer perceptron (Linear, ReLU, ..., Linear; softmax cross-entropy) trained
four ways from the same initial weights on the same batches:

- the reference nn100, through its Learner;
- the same mathematics written out in raw numpy, with no classes, in two variants:
  "same work" also computes the gradient with respect to the data (which nn100's
  contract, ``backward(D) -> dX`` for every layer, makes it compute), "minimal" skips it;
- PyTorch CPU eager, when torch is importable (the data never requires a gradient).

Parameters travel as one flat list [W1, b1, W2, b2, ...] with W of shape
(inputs, outputs), as in nn100.
"""
import itertools

import numpy as np

import nn100


# ---------------------------------------------------------------- initial weights

def initial_parameters(sizes, dtype, seed: int = 0) -> list:
    """The parameters of ``nn100_model(sizes, dtype, seed)``, copied: everyone starts here."""
    return [p.tensor.copy() for p in nn100_model(sizes, dtype, seed).parameters]


def nn100_model(sizes, dtype, seed: int = 0, first_layer=nn100.Linear):
    layers = []
    for index, (inputs, outputs) in enumerate(itertools.pairwise(sizes)):
        linear = first_layer if index == 0 else nn100.Linear
        layers.append(linear(inputs, outputs, rng=seed + index, dtype=dtype))
        layers.append(nn100.ReLU())
    return nn100.Sequential(*layers[:-1])  # no ReLU after the last Linear


# ---------------------------------------------------------------- nn100

def nn100_learner(parameters, make_optimizer, first_layer=nn100.Linear):
    """A fresh Learner whose model starts from ``parameters``."""
    sizes = [parameters[0].shape[0]] + [W.shape[1] for W in parameters[::2]]
    model = nn100_model(sizes, parameters[0].dtype, first_layer=first_layer)
    for param, start in zip(model.parameters, parameters, strict=True):
        param.tensor[...] = start
    return nn100.Learner(model, nn100.softmax_cross_entropy_loss, make_optimizer())


def data_linear(inputs, outputs, **options):
    """A first layer fed with data: no one needs its input gradient, so it skips it."""
    return nn100.Linear(inputs, outputs, input_gradient=False, **options)


# ---------------------------------------------------------------- raw numpy

def softmax_cross_entropy(Z, labels):
    """Mean cross-entropy of softmax(Z) against integer labels, and its gradient."""
    rows = np.arange(len(labels))
    shifted = Z - Z.max(axis=1, keepdims=True)
    E = np.exp(shifted)
    total = E.sum(axis=1, keepdims=True)
    loss = np.mean(np.log(total[:, 0]) - shifted[rows, labels])
    dZ = E / total
    dZ[rows, labels] -= 1
    dZ /= len(labels)
    return float(loss), dZ


def raw_gradients(params, X, labels, input_gradient: bool):
    """Forward and backward by hand.  Returns (loss, [dW1, db1, dW2, db2, ...])."""
    layer_inputs, masks = [], []
    A = X
    last = len(params) // 2 - 1
    for layer in range(last + 1):
        W, b = params[2 * layer], params[2 * layer + 1]
        layer_inputs.append(A)
        Z = A @ W + b
        if layer < last:
            mask = Z > 0
            masks.append(mask)
            A = Z * mask
    loss, D = softmax_cross_entropy(Z, labels)
    grads = [None] * len(params)
    for layer in range(last, -1, -1):
        grads[2 * layer] = layer_inputs[layer].T @ D
        grads[2 * layer + 1] = D.sum(axis=0)
        if layer > 0:
            D = (D @ params[2 * layer].T) * masks[layer - 1]
        elif input_gradient:
            D @ params[0].T  # what nn100's first Linear returns and nobody uses
    return loss, grads


def raw_sgd_step(params, X, labels, lr: float, input_gradient: bool) -> float:
    loss, grads = raw_gradients(params, X, labels, input_gradient)
    for param, grad in zip(params, grads, strict=True):
        param -= lr * grad
    return loss


def raw_adam_step(params, state, X, labels, lr, beta1=0.9, beta2=0.999, eps=1e-8) -> float:
    """One Adam step; ``state`` is {"t": 0, "m": [zeros...], "v": [zeros...]} at the start."""
    loss, grads = raw_gradients(params, X, labels, input_gradient=True)
    state["t"] += 1
    t = state["t"]
    for param, grad, m, v in zip(params, grads, state["m"], state["v"], strict=True):
        m *= beta1
        m += (1 - beta1) * grad
        v *= beta2
        v += (1 - beta2) * grad * grad
        param -= lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps)
    return loss


def adam_state(params) -> dict:
    return {"t": 0, "m": [np.zeros_like(p) for p in params],
            "v": [np.zeros_like(p) for p in params]}


# ---------------------------------------------------------------- PyTorch

def torch_model(parameters):
    """The same MLP as a torch.nn.Sequential, starting from ``parameters``."""
    import torch

    layers = []
    for W, b in zip(parameters[::2], parameters[1::2], strict=True):
        linear = torch.nn.Linear(*W.shape, dtype=getattr(torch, W.dtype.name))
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W.T.copy()))  # torch keeps (outputs, inputs)
            linear.bias.copy_(torch.from_numpy(b))
        layers += [linear, torch.nn.ReLU()]
    return torch.nn.Sequential(*layers[:-1])


def torch_step(model, optimizer, X, labels) -> float:
    import torch

    optimizer.zero_grad()
    loss = torch.nn.functional.cross_entropy(model(X), labels)
    loss.backward()
    optimizer.step()
    return loss.item()
