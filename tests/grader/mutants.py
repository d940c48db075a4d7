"""Realistic student mistakes, as data: each a small textual change to a copy of the reference.

MUTANTS: (name, unit it breaks, file in nn100/, old text, new text).  ``old`` must occur
exactly once in the reference file.  The grader must take points off in ``unit`` and
leave every other unit (except the end-to-end convergence problems) at full marks.
"""
import shutil
from collections import Counter
from pathlib import Path

SOLUTIONS = Path(__file__).resolve().parents[2] / "solutions" / "nn100"

MUTANTS = [
    # Linear
    ("linear_missing_transpose", "Linear", "layers.py",
     "return D @ self.weights.tensor.T", "return D @ self.weights.tensor"),
    ("linear_weight_grad_overwritten", "Linear", "layers.py",
     "self.weights.gradient += X.T @ D", "self.weights.gradient = X.T @ D"),
    ("linear_bias_grad_not_summed", "Linear", "layers.py",
     "self.bias.gradient += D.sum(axis=0)", "self.bias.gradient += D.mean(axis=0)"),
    ("linear_forward_without_bias", "Linear", "layers.py",
     "Y = X @ self.weights.tensor + self.bias.tensor", "Y = X @ self.weights.tensor"),
    ("linear_weight_grad_divided_by_batch", "Linear", "layers.py",
     "self.weights.gradient += X.T @ D", "self.weights.gradient += X.T @ D / len(X)"),
    # ReLU
    ("relu_mask_from_gradient", "ReLU", "layers.py",
     "return D * mask", "return D * (D > 0)"),
    ("relu_modifies_its_input", "ReLU", "layers.py",
     "Y = X * mask", "X[~mask] = 0\n        Y = X"),
    # Sigmoid
    ("sigmoid_derivative_of_input", "Sigmoid", "layers.py",
     "return D * Y * (1 - Y)", "return D * X * (1 - X)"),
    ("sigmoid_forgets_upstream_gradient", "Sigmoid", "layers.py",
     "return D * Y * (1 - Y)", "return Y * (1 - Y)"),
    # Tanh
    ("tanh_derivative_not_squared", "Tanh", "layers.py",
     "return D * (1 - Y * Y)", "return D * (1 - Y)"),
    ("tanh_upcasts_float32", "Tanh", "layers.py",
     "Y = np.tanh(X)", "Y = np.tanh(X.astype(np.float64))"),
    # LeakyReLU
    ("leaky_relu_ignores_slope", "LeakyReLU", "layers.py",
     "factor = np.where(X > 0, 1.0, self.slope).astype(X.dtype)",
     "factor = np.where(X > 0, 1.0, 0.01).astype(X.dtype)"),
    ("leaky_relu_backward_like_relu", "LeakyReLU", "layers.py",
     "return D * factor", "return D * (X > 0)"),
    # Softmax
    ("softmax_diagonal_jacobian", "Softmax", "layers.py",
     "return Y * (D - (D * Y).sum(axis=1, keepdims=True))", "return D * Y * (1 - Y)"),
    ("softmax_without_max_shift", "Softmax", "layers.py",
     "E = np.exp(X - X.max(axis=1, keepdims=True))", "E = np.exp(X)"),
    ("softmax_normalised_over_columns", "Softmax", "layers.py",
     "Y = E / E.sum(axis=1, keepdims=True)", "Y = E / E.sum(axis=0, keepdims=True)"),
    # Dropout
    ("dropout_not_inverted", "Dropout", "layers.py",
     "keep = (self.rng.random(X.shape) >= self.p).astype(X.dtype) / (1 - self.p)",
     "keep = (self.rng.random(X.shape) >= self.p).astype(X.dtype)"),
    ("dropout_active_in_eval", "Dropout", "layers.py",
     "if not self.training or self.p == 0:", "if self.p == 0:"),
    ("dropout_keeps_p_instead_of_dropping", "Dropout", "layers.py",
     "keep = (self.rng.random(X.shape) >= self.p)", "keep = (self.rng.random(X.shape) < self.p)"),
    # Sequential
    ("sequential_backward_in_forward_order", "Sequential", "layers.py",
     "for layer_backward in reversed(backwards):", "for layer_backward in backwards:"),
    ("sequential_duplicate_parameters", "Sequential", "layers.py",
     "self.parameters = distinct(p for layer in layers for p in layer.parameters)",
     "self.parameters = [p for layer in layers for p in layer.parameters]"),
    ("sequential_gradient_not_chained", "Sequential", "layers.py",
     "                D = layer_backward(D)", "                layer_backward(D)"),
    ("sequential_eval_skips_its_layers", "Sequential", "layers.py",
     "    def eval(self):\n        for layer in self.layers:\n            layer.eval()\n"
     "        return super().eval()",
     "    def eval(self):\n        return super().eval()"),
    # mse_loss
    ("mse_gradient_without_mean", "mse_loss", "losses.py",
     "return float(np.mean(diff * diff)), 2 * diff / diff.size",
     "return float(np.mean(diff * diff)), 2 * diff"),
    ("mse_gradient_wrong_sign", "mse_loss", "losses.py",
     "return float(np.mean(diff * diff)), 2 * diff / diff.size",
     "return float(np.mean(diff * diff)), -2 * diff / diff.size"),
    ("mse_shape_check_removed", "mse_loss", "losses.py",
     '    check_same_shape("mse_loss", Yp, Yt)\n', ""),
    # bce_loss
    ("bce_gradient_without_mean", "bce_loss", "losses.py",
     "return float(loss), (P - Yt) / (P * (1 - P)) / P.size",
     "return float(loss), (P - Yt) / (P * (1 - P))"),
    ("bce_without_clipping", "bce_loss", "losses.py",
     "P = np.clip(P, eps, 1 - eps)", "P = P"),
    # bce_with_logits_loss
    ("bce_logits_naive_overflow", "bce_with_logits_loss", "losses.py",
     "loss = np.mean(np.maximum(Z, 0) - Yt * Z + np.log1p(np.exp(-np.abs(Z))))",
     "loss = np.mean(np.log(1 + np.exp(Z)) - Yt * Z)"),
    ("bce_logits_gradient_without_mean", "bce_with_logits_loss", "losses.py",
     "return float(loss), (sigmoid - Yt) / Z.size", "return float(loss), sigmoid - Yt"),
    # softmax_cross_entropy_loss
    ("softmax_ce_without_max_shift", "softmax_cross_entropy_loss", "losses.py",
     "shifted = Z - Z.max(axis=1, keepdims=True)", "shifted = Z"),
    ("softmax_ce_gradient_without_mean", "softmax_cross_entropy_loss", "losses.py",
     "return float(loss), dZ / len(labels)", "return float(loss), dZ"),
    ("softmax_ce_onehot_wrong_index", "softmax_cross_entropy_loss", "losses.py",
     "dZ[rows, labels] -= 1", "dZ[:, labels] -= 1"),
    # SGDOptimizer
    ("sgd_gradient_not_zeroed", "SGDOptimizer", "optimizers.py",
     "param.tensor -= self.lr * param.gradient\n        param.gradient.fill(0)",
     "param.tensor -= self.lr * param.gradient"),
    ("sgd_steps_uphill", "SGDOptimizer", "optimizers.py",
     "param.tensor -= self.lr * param.gradient", "param.tensor += self.lr * param.gradient"),
    ("sgd_ignores_weight_decay", "SGDOptimizer", "optimizers.py",
     "            param.gradient += self.weight_decay * param.tensor\n"
     "        param.tensor -= self.lr * param.gradient",
     "            pass\n        param.tensor -= self.lr * param.gradient"),
    # MomentumOptimizer
    ("momentum_state_shared_between_parameters", "MomentumOptimizer", "optimizers.py",
     "v = self.velocity[param]",
     "v = self.velocity.setdefault('shared', np.zeros_like(param.tensor))"),
    ("momentum_gradient_not_zeroed", "MomentumOptimizer", "optimizers.py",
     "param.tensor -= self.lr * step\n        param.gradient.fill(0)",
     "param.tensor -= self.lr * step"),
    ("momentum_ignores_nesterov", "MomentumOptimizer", "optimizers.py",
     "step = g + self.momentum * v if self.nesterov else v", "step = v"),
    # AdamOptimizer
    ("adam_without_bias_correction", "AdamOptimizer", "optimizers.py",
     "m_hat = m / (1 - self.beta1 ** t)\n        v_hat = v / (1 - self.beta2 ** t)",
     "m_hat = m\n        v_hat = v"),
    ("adam_eps_inside_sqrt", "AdamOptimizer", "optimizers.py",
     "(np.sqrt(v_hat) + self.eps)", "np.sqrt(v_hat + self.eps)"),
    ("adam_ignores_weight_decay", "AdamOptimizer", "optimizers.py",
     "            g += self.weight_decay * param.tensor\n        if param not in self.state:",
     "            pass\n        if param not in self.state:"),
    ("adam_state_shared_between_parameters", "AdamOptimizer", "optimizers.py",
     "state = self.state[param]",
     "state = self.state.setdefault('shared', self.state[param])"),
    # Learner
    ("learner_shuffles_x_not_y", "Learner", "learner.py",
     "total += self.fit_batch(X[batch], Y[batch]) * len(batch)",
     "total += self.fit_batch(X[batch], Y[start:start + bs]) * len(batch)"),
    ("learner_drops_last_partial_batch", "Learner", "learner.py",
     "for start in range(0, len(X), bs):", "for start in range(0, len(X) - bs + 1, bs):"),
    ("learner_loss_weighted_by_bs", "Learner", "learner.py",
     "total += self.fit_batch(X[batch], Y[batch]) * len(batch)",
     "total += self.fit_batch(X[batch], Y[batch]) * bs"),
    ("learner_update_before_backward", "Learner", "learner.py",
     "backward(D)\n        self.step()",
     "self.step()\n        backward(D)"),
    ("learner_never_shuffles", "Learner", "learner.py",
     "order = rng.permutation(len(X))", "order = np.arange(len(X))"),
    ("learner_ignores_rng_argument", "Learner", "learner.py",
     "order = rng.permutation(len(X))", "order = np.random.permutation(len(X))"),
    ("learner_predicts_in_training_mode", "Learner", "learner.py",
     "self.model.eval()\n        prediction, _ = self.model.forward(X)",
     "prediction, _ = self.model.forward(X)"),
]


def apply_mutant(mutant, dest_root) -> Path:
    """Copy the reference to dest_root/nn100 and apply the mutant; returns dest_root."""
    return apply_mutants([mutant], dest_root)


def apply_mutants(mutants, dest_root) -> Path:
    """Copy the reference to dest_root/nn100 and apply several mutants (of different units)."""
    dest_root = Path(dest_root)
    package = dest_root / "nn100"
    shutil.copytree(SOLUTIONS, package, ignore=shutil.ignore_patterns("__pycache__"))
    for name, _unit, filename, old, new in mutants:
        path = package / filename
        text = path.read_text()
        count = text.count(old)
        if count != 1:
            raise ValueError(f"apply_mutant: {name}: expected the text to change exactly once "
                             f"in {filename}, found it {count} times")
        path.write_text(text.replace(old, new))
    return dest_root


def combined(mutants: list) -> list[list]:
    """``mutants`` packed into as few submissions as the unit with the most mutants allows,
    every one in a submission from a different unit: since units are graded in isolation,
    each mutant must still cost points in its own unit, and every unit without a mutant
    must keep full marks."""
    groups: list[list] = [[] for _ in range(max(Counter(m[1] for m in mutants).values()))]
    for mutant in mutants:
        free = [g for g in groups if mutant[1] not in {m[1] for m in g}]
        min(free, key=len).append(mutant)
    return groups
