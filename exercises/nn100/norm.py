"""Normalisation layers: each feature (BatchNorm) or each sample (LayerNorm) is shifted and
scaled to mean 0 and variance 1, then given a learned scale ``gamma`` and shift ``beta``.

Both backward passes have three terms: the upstream gradient itself, and one for each of
the two statistics (mean and variance) that every output shares with the others.
"""
import numpy as np

from .layers import Layer


class BatchNorm(Layer):
    """Y = gamma * (X - mean) / sqrt(var + eps) + beta, per feature (axis 1).
    X: (N, F) or (N, F, H, W) -> Y: same shape. The statistics are taken over every axis
    but 1 (the batch, and the pixels of 4-D inputs).

    In training mode, mean and var are the batch's (var biased, dividing by the count m),
    and ``running_mean`` and ``running_var`` move towards them as in PyTorch:
    running = (1 - momentum) * running + momentum * batch value, the variance entering
    unbiased (times m / (m - 1)). In evaluation mode, the running statistics are used
    instead, so Y is an affine map of X. ``gamma`` (F,) starts at ones, ``beta`` (F,) at zeros.
    """

    def __init__(self, features: int, momentum: float = 0.1, eps: float = 1e-5, dtype=np.float64):
        super().__init__()
        self.features, self.momentum, self.eps = features, momentum, eps
        self.gamma = self.build_param(np.ones(features, dtype=dtype))
        self.beta = self.build_param(np.zeros(features, dtype=dtype))
        self.running_mean = np.zeros(features, dtype=dtype)
        self.running_var = np.ones(features, dtype=dtype)

    def forward(self, X):
        """Y as above.  X: (N, F) or (N, F, H, W) -> Y: same shape.

        Hint: ``axes`` and ``shape`` below let one code path serve both ranks: reduce with
        keepdims=True over ``axes``, reshape (F,) arrays to ``shape`` to broadcast them.
        Update the running statistics in place (``self.running_mean[...] = ...``).
        """
        shape = getattr(X, "shape", None)
        if shape is None or len(shape) not in (2, 4) or shape[1] != self.features:
            raise ValueError(f"BatchNorm.forward: expected input of shape (N, {self.features}) or "
                             f"(N, {self.features}, H, W), got {shape}")
        axes = (0,) if X.ndim == 2 else (0, 2, 3)
        shape = (1, self.features) + (1,) * (X.ndim - 2)
        count = X.size // self.features
        training = self.training  # backward follows the mode forward ran in
        if training and count < 2:
            raise ValueError(f"BatchNorm.forward: training needs more than one value per feature "
                             f"to estimate a variance, got input {X.shape}")
        raise NotImplementedError("Exercise 6.1: BatchNorm.forward")

        def backward(D):
            """D: shape of Y -> dX: shape of X.  Adds dL/dgamma (F,) to ``gamma.gradient``
            and dL/dbeta (F,) to ``beta.gradient``.

            Hint: in evaluation mode mean and var were constants; in training mode they
            depend on every X of the feature, so dX has two more terms.
            """
            raise NotImplementedError("Exercise 6.2: BatchNorm.backward")

        return Y, backward


class LayerNorm(Layer):
    """Y = gamma * (X - mean) / sqrt(var + eps) + beta, mean and (biased) var taken over the
    last axis of each sample.  X: (..., features) -> Y: same shape.
    ``gamma`` (features,) starts at ones, ``beta`` (features,) at zeros. No running
    statistics: training and evaluation compute the same thing.
    """

    def __init__(self, features: int, eps: float = 1e-5, dtype=np.float64):
        super().__init__()
        self.features, self.eps = features, eps
        self.gamma = self.build_param(np.ones(features, dtype=dtype))
        self.beta = self.build_param(np.zeros(features, dtype=dtype))

    def forward(self, X):
        """Y as above.  X: (..., features) -> Y: same shape.

        Hint: the statistics are each sample's own: reduce over the last axis with
        keepdims=True so they broadcast against X; gamma and beta (features,) broadcast
        along the last axis as they are.
        """
        shape = getattr(X, "shape", None)
        if shape is None or len(shape) < 2 or shape[-1] != self.features:
            raise ValueError(f"LayerNorm.forward: expected input of shape "
                             f"(N, ..., {self.features}), got {shape}")
        raise NotImplementedError("Exercise 6.3: LayerNorm.forward")

        def backward(D):
            """D: shape of Y -> dX: shape of X.  Adds dL/dgamma and dL/dbeta (features,).

            Hint: BatchNorm's backward with the roles of the axes exchanged: the statistics
            are now per sample, and the parameter gradients sum over every other axis.
            """
            raise NotImplementedError("Exercise 6.4: LayerNorm.backward")

        return Y, backward
