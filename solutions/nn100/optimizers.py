"""Optimizers: ``optimizer.update(param)`` steps ``param.tensor`` from
``param.gradient`` and then zeroes the gradient, ready for the next batch.

Each step matches torch.optim.SGD / torch.optim.Adam / torch.optim.AdamW for the same
hyper-parameters; weight decay is L2, added to the gradient: g = gradient + wd * tensor,
except in AdamW, which decays the tensor itself. State (velocity, moments, step count) is
kept per parameter.
"""
import numpy as np

from .layers import distinct


class SGDOptimizer:
    """tensor -= lr * (gradient + weight_decay * tensor), then the gradient is zeroed."""

    def __init__(self, lr: float = 0.1, weight_decay: float = 0.0):
        self.lr = lr
        self.weight_decay = weight_decay

    def update(self, param) -> None:
        """One step of ``param.tensor`` (any shape) from ``param.gradient`` (same shape),
        then zero the gradient.

        Hint: change the arrays in place (``-=``, ``fill(0)``): the layer holding the
        Parameter keeps a reference to them, and would never see a new array.
        """
        ### BEGIN SOLUTION
        if self.weight_decay:
            param.gradient += self.weight_decay * param.tensor
        param.tensor -= self.lr * param.gradient
        param.gradient.fill(0)
        ### END SOLUTION


class MomentumOptimizer:
    """SGD with momentum:  v = momentum * v + g;  tensor -= lr * v
    (Nesterov: tensor -= lr * (g + momentum * v)).  v starts at zero for each parameter.
    g = gradient + weight_decay * tensor; the gradient is zeroed after the step.
    """

    def __init__(self, lr: float, momentum: float = 0.9, nesterov: bool = False,
                 weight_decay: float = 0.0):
        self.lr = lr
        self.momentum = momentum
        self.nesterov = nesterov
        self.weight_decay = weight_decay
        self.velocity = {}  # Parameter -> array like its tensor

    def update(self, param) -> None:
        """One momentum step of ``param.tensor`` (any shape), then zero ``param.gradient``.

        Hint: ``self.velocity`` maps each Parameter to its own v; create it at its first update.
        """
        ### BEGIN SOLUTION
        g = param.gradient
        if self.weight_decay:
            g += self.weight_decay * param.tensor
        if param not in self.velocity:  # not setdefault: it would allocate zeros every step
            self.velocity[param] = np.zeros_like(param.tensor)
        v = self.velocity[param]
        v *= self.momentum
        v += g
        step = g + self.momentum * v if self.nesterov else v
        param.tensor -= self.lr * step
        param.gradient.fill(0)
        ### END SOLUTION


class AdamOptimizer:
    """Adam with bias correction, per parameter, at step t = 1, 2, ...:
    m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
    tensor -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps).
    g = gradient + weight_decay * tensor; the gradient is zeroed after the step.
    """

    def __init__(self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, weight_decay: float = 0.0):
        self.lr = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weight_decay = weight_decay
        self.state = {}  # Parameter -> [t, m, v]

    def update(self, param) -> None:
        """One Adam step of ``param.tensor`` (any shape), then zero ``param.gradient``.

        Hint: t counts the updates of *this* parameter (1 at its first), so keep it in
        ``self.state`` beside its m and v.
        """
        ### BEGIN SOLUTION
        g = param.gradient
        if self.weight_decay:
            g += self.weight_decay * param.tensor
        if param not in self.state:  # not setdefault: it would allocate zeros every step
            self.state[param] = [0, np.zeros_like(param.tensor), np.zeros_like(param.tensor)]
        state = self.state[param]
        state[0] += 1
        t, m, v = state
        m *= self.beta1
        m += (1 - self.beta1) * g
        v *= self.beta2
        v += (1 - self.beta2) * g * g
        m_hat = m / (1 - self.beta1 ** t)
        v_hat = v / (1 - self.beta2 ** t)
        param.tensor -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
        param.gradient.fill(0)
        ### END SOLUTION


class AdamWOptimizer:
    """Adam with decoupled weight decay (as torch.optim.AdamW), per parameter, at step t:
    first the tensor itself shrinks, tensor -= lr * weight_decay * tensor; then Adam's step
    from the gradient alone (no weight decay in g), with moments m, v and bias correction.
    The decay applies to every parameter it updates (biases and LayerNorm gains included,
    as torch's does when given them); the gradient is zeroed after the step.
    """

    def __init__(self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, weight_decay: float = 0.01):
        self.lr = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weight_decay = weight_decay
        self.state = {}  # Parameter -> [t, m, v]

    def update(self, param) -> None:
        """One AdamW step of ``param.tensor`` (any shape), then zero ``param.gradient``.

        Hint: the decay is not part of the gradient any more, so the moments never see it:
        it shrinks the tensor directly, by the learning rate times the decay.
        """
        ### BEGIN SOLUTION
        param.tensor *= 1 - self.lr * self.weight_decay
        if param not in self.state:
            self.state[param] = [0, np.zeros_like(param.tensor), np.zeros_like(param.tensor)]
        self.state[param][0] += 1
        t, m, v = self.state[param]
        g = param.gradient
        m[...] = self.beta1 * m + (1 - self.beta1) * g
        v[...] = self.beta2 * v + (1 - self.beta2) * g * g
        param.tensor -= self.lr * (m / (1 - self.beta1 ** t)) / (
            np.sqrt(v / (1 - self.beta2 ** t)) + self.eps)
        param.gradient.fill(0)
        ### END SOLUTION


def clip_grad_norm(parameters, max_norm: float) -> float:
    """Scale the gradients of ``parameters`` (each distinct one once) in place so that their
    global norm, the square root of the sum of every squared gradient element, is at most
    ``max_norm``; returns the norm before clipping, as a float.  As
    torch.nn.utils.clip_grad_norm_: the factor is max_norm / (norm + 1e-6), applied only
    when below 1; gradients keep their dtype.

    Hint: one norm for all the gradients together, not one per parameter: clipping must
    keep the direction of the whole update.
    """
    ### BEGIN SOLUTION
    gradients = [param.gradient for param in distinct(parameters)]
    norm = float(np.sqrt(sum(float(np.sum(g.astype(np.float64) ** 2)) for g in gradients)))
    factor = max_norm / (norm + 1e-6)
    if factor < 1:
        for g in gradients:
            g *= factor
    return norm
    ### END SOLUTION
