"""Losses: ``loss_fn(prediction, target) -> (loss, dPrediction)``.

``loss`` is a Python float and ``dPrediction`` is the exact gradient of that
loss with respect to the prediction (same shape and dtype as the prediction).
Shapes are checked, never broadcast: a target (N,) against a prediction (N, 1)
would silently broadcast to (N, N) and train on the wrong problem.
"""
import numpy as np


def check_same_shape(where: str, prediction, target) -> None:
    if np.shape(prediction) != np.shape(target):
        raise ValueError(f"{where}: prediction {np.shape(prediction)} and target "
                         f"{np.shape(target)} differ in shape")


def mse_loss(Yp, Yt):
    """Mean squared error over all elements: mean((Yp - Yt)^2).

    Yp, Yt: same shape, e.g. (N, K).  Returns (loss, dYp), dYp the gradient of that loss
    with respect to Yp (shape and dtype of Yp).

    Hint: the mean is over every element (Yp.size), not over the batch only.
    """
    check_same_shape("mse_loss", Yp, Yt)
    raise NotImplementedError("Exercise 2.1: mse_loss")


def bce_loss(P, Yt):
    """Binary cross-entropy on probabilities: -mean(Yt log P + (1 - Yt) log(1 - P)).

    P, Yt: same shape, P in (0, 1), Yt in [0, 1].  Returns (loss, dP).  P is clipped
    to [eps, 1 - eps] (eps of its dtype) so that log(0) never occurs.

    Hint: differentiate one element's loss with respect to its P, then account for the
    mean; use the clipped P in both the loss and the gradient.
    """
    check_same_shape("bce_loss", P, Yt)
    raise NotImplementedError("Exercise 4.1: bce_loss")


def bce_with_logits_loss(Z, Yt):
    """Binary cross-entropy on logits, i.e. bce_loss(sigmoid(Z), Yt) computed stably.

    Z, Yt: same shape.  Must stay finite for any logit: exp must never see a large
    positive number.  Returns (loss, dZ), dZ the gradient of that loss with respect to Z.

    Hint: np.log1p(np.exp(-np.abs(Z))) stays finite for any Z; reuse Sigmoid's trick for sigmoid(Z).
    """
    check_same_shape("bce_with_logits_loss", Z, Yt)
    raise NotImplementedError("Exercise 4.2: bce_with_logits_loss")


def softmax_cross_entropy_loss(Z, labels, ignore_index=None):
    """Mean cross-entropy of softmax(Z) against integer class labels.

    Z: (N, K) logits; labels: (N,) integers in [0, K).  The loss is the mean over rows of
    -log softmax(Z[n])[labels[n]]; returns (loss, dZ), dZ the gradient with respect to Z.
    It must stay finite for logits of 1e4.

    Also (as torch.nn.functional.cross_entropy): logits (N, ..., K) with labels (N, ...),
    one prediction per position, and ``ignore_index``, a label value whose positions count
    for nothing: the loss is the mean over the other positions, their dZ rows zero.

    Hint: Z[np.arange(N), labels] picks each row's logit for its own label.
    """
    Z, labels = np.asarray(Z), np.asarray(labels)
    if Z.ndim > 2 or ignore_index is not None:  # given: reduced to the (N, K) case
        return cross_entropy_positions(softmax_cross_entropy_loss, Z, labels, ignore_index)
    if Z.ndim != 2 or labels.shape != (Z.shape[0],):
        raise ValueError(f"softmax_cross_entropy_loss: expected logits (N, K) and labels (N,), "
                         f"got {Z.shape} and {labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"softmax_cross_entropy_loss: labels must be integers, got {labels.dtype}")
    if labels.size and (labels.min() < 0 or labels.max() >= Z.shape[1]):
        raise ValueError(f"softmax_cross_entropy_loss: labels must lie in [0, {Z.shape[1]}), "
                         f"got [{labels.min()}, {labels.max()}]")
    raise NotImplementedError("Exercise 4.3: softmax_cross_entropy_loss")


def cross_entropy_positions(loss_2d, Z, labels, ignore_index):
    """``loss_2d`` (the (N, K) cross-entropy) on every position of Z (N, ..., K) whose label
    is not ``ignore_index``; the ignored positions get zero gradient."""
    if Z.ndim < 2 or labels.shape != Z.shape[:-1]:
        raise ValueError(f"softmax_cross_entropy_loss: expected logits (N, ..., K) and labels "
                         f"(N, ...) of their leading shape, got {Z.shape} and {labels.shape}")
    rows, flat = Z.reshape(-1, Z.shape[-1]), labels.reshape(-1)
    kept = flat != ignore_index if ignore_index is not None else np.ones(flat.shape, bool)
    if not kept.any():
        raise ValueError(f"softmax_cross_entropy_loss: every label is ignore_index "
                         f"({ignore_index}), so the mean is over no position")
    loss, dkept = loss_2d(rows[kept], flat[kept])
    dZ = np.zeros_like(rows)
    dZ[kept] = dkept
    return loss, dZ.reshape(Z.shape)
