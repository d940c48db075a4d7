"""nn100: a small deep-learning framework in numpy, built from closures.

Every layer's ``forward(X)`` returns ``(Y, backward)``; ``backward(D)`` takes the
gradient of the loss with respect to ``Y``, adds the parameter gradients into
``parameter.gradient`` and returns the gradient with respect to ``X``.
"""
from .layers import (Parameter, Layer, Linear, ReLU, ReLu, Sigmoid, Tanh, LeakyReLU,
                     Softmax, Dropout, Sequential)
from .losses import mse_loss, bce_loss, bce_with_logits_loss, softmax_cross_entropy_loss
from .optimizers import (SGDOptimizer, MomentumOptimizer, AdamOptimizer, AdamWOptimizer,
                         clip_grad_norm)
from .learner import Learner
from .norm import BatchNorm, LayerNorm
from .conv import Conv2D, MaxPool2D, Flatten, Residual
from .attention import (Embedding, PositionalEmbedding, GELU, CausalSelfAttention,
                        TransformerBlock, generate)

__all__ = [
    "Parameter", "Layer", "Linear", "ReLU", "ReLu", "Sigmoid", "Tanh", "LeakyReLU",
    "Softmax", "Dropout", "Sequential",
    "mse_loss", "bce_loss", "bce_with_logits_loss", "softmax_cross_entropy_loss",
    "SGDOptimizer", "MomentumOptimizer", "AdamOptimizer", "AdamWOptimizer", "clip_grad_norm",
    "Learner", "BatchNorm", "LayerNorm", "Conv2D", "MaxPool2D", "Flatten", "Residual",
    "Embedding", "PositionalEmbedding", "GELU", "CausalSelfAttention", "TransformerBlock",
    "generate",
]
