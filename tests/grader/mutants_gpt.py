"""Realistic mistakes in chapters 8 and 9 (attention.py, and AdamW and clipping in
optimizers.py), as data, in the format of mutants.py: (name, unit it breaks, file in nn100/,
old text, new text), ``old`` occurring exactly once in the reference file. Applied with
mutants.apply_mutant.
"""
from mutants import apply_mutant, apply_mutants  # noqa: F401  (one way to apply them)

MUTANTS = [
    # Embedding
    ("embedding_gradient_by_assignment", "Embedding", "attention.py",
     "np.add.at(self.weights.gradient, ids.reshape(-1), D.reshape(-1, D.shape[-1]))",
     "self.weights.gradient[ids.reshape(-1)] += D.reshape(-1, D.shape[-1])"),
    ("embedding_gradient_replaced", "Embedding", "attention.py",
     "np.add.at(self.weights.gradient, ids.reshape(-1), D.reshape(-1, D.shape[-1]))",
     "self.weights.gradient[...] = 0\n"
     "            np.add.at(self.weights.gradient, ids.reshape(-1), D.reshape(-1, D.shape[-1]))"),
    ("embedding_first_sequence_ids_for_all", "Embedding", "attention.py",
     "np.add.at(self.weights.gradient, ids.reshape(-1), D.reshape(-1, D.shape[-1]))",
     "np.add.at(self.weights.gradient, ids[0], D.sum(axis=0))"),
    # PositionalEmbedding
    ("positional_gradient_of_the_first_sequence", "PositionalEmbedding", "attention.py",
     "self.weights.gradient[:T] += D.sum(axis=0)", "self.weights.gradient[:T] += D[0]"),
    ("positional_gradient_into_the_last_rows", "PositionalEmbedding", "attention.py",
     "self.weights.gradient[:T] += D.sum(axis=0)", "self.weights.gradient[-T:] += D.sum(axis=0)"),
    ("positional_last_rows_added", "PositionalEmbedding", "attention.py",
     "Y = X + self.weights.tensor[:T]", "Y = X + self.weights.tensor[-T:]"),
    # GELU
    ("gelu_derivative_without_the_product_rule", "GELU", "attention.py",
     "return D * (0.5 * (1 + tanh) + 0.5 * X * (1 - tanh * tanh) * d_inner)",
     "return D * 0.5 * (1 + tanh)"),
    ("gelu_cubic_derivative_without_its_3", "GELU", "attention.py",
     "d_inner = GELU_SCALE * (1 + 3 * GELU_CUBIC * X ** 2)",
     "d_inner = GELU_SCALE * (1 + GELU_CUBIC * X ** 2)"),
    ("gelu_sigmoid_form", "GELU", "attention.py",
     "Y = 0.5 * X * (1 + tanh)", "Y = X / (1 + np.exp(-1.702 * X))"),
    # CausalSelfAttention
    ("attention_without_scale", "CausalSelfAttention", "attention.py",
     "scores = q @ k.transpose(0, 1, 3, 2) * scale", "scores = q @ k.transpose(0, 1, 3, 2)"),
    ("attention_mask_after_softmax", "CausalSelfAttention", "attention.py",
     "        scores[..., np.triu(np.ones((T, T), dtype=bool), k=1)] = -np.inf"
     "        # the future\n"
     "        weights = np.exp(scores - scores.max(axis=-1, keepdims=True))\n"
     "        weights /= weights.sum(axis=-1, keepdims=True)\n",
     "        weights = np.exp(scores - scores.max(axis=-1, keepdims=True))\n"
     "        weights /= weights.sum(axis=-1, keepdims=True)\n"
     "        weights[..., np.triu(np.ones((T, T), dtype=bool), k=1)] = 0\n"),
    ("attention_wrong_triangle", "CausalSelfAttention", "attention.py",
     "np.triu(np.ones((T, T), dtype=bool), k=1)", "np.tril(np.ones((T, T), dtype=bool), k=-1)"),
    ("attention_heads_split_without_transpose", "CausalSelfAttention", "attention.py",
     "q, k, v = qkv.reshape(N, T, 3, heads, hs).transpose(2, 0, 3, 1, 4)",
     "q, k, v = (z.reshape(N, heads, T, hs) for z in np.split(qkv, 3, axis=-1))"),
    ("attention_heads_merged_without_transpose", "CausalSelfAttention", "attention.py",
     "context = (weights @ v).transpose(0, 2, 1, 3).reshape(N, T, dim)",
     "context = (weights @ v).reshape(N, T, dim)"),
    ("attention_softmax_backward_diagonal_only", "CausalSelfAttention", "attention.py",
     "dscores = weights * (dweights - (dweights * weights).sum(axis=-1, keepdims=True))",
     "dscores = weights * dweights"),
    ("attention_backward_without_scale", "CausalSelfAttention", "attention.py",
     "            dscores *= scale\n", ""),
    # TransformerBlock
    ("block_post_norm", "TransformerBlock", "attention.py",
     "Residual(Sequential(self.ln1, self.attn))", "Sequential(Residual(self.attn), self.ln1)"),
    ("block_mlp_without_residual", "TransformerBlock", "attention.py",
     "Residual(Sequential(self.ln2, self.mlp))", "Sequential(self.ln2, self.mlp)"),
    ("block_one_layer_norm_for_both", "TransformerBlock", "attention.py",
     "Residual(Sequential(self.ln2, self.mlp))", "Residual(Sequential(self.ln1, self.mlp))"),
    # AdamWOptimizer
    ("adamw_coupled_decay", "AdamWOptimizer", "optimizers.py",
     "param.tensor *= 1 - self.lr * self.weight_decay",
     "param.gradient += self.weight_decay * param.tensor"),
    ("adamw_decay_without_lr", "AdamWOptimizer", "optimizers.py",
     "param.tensor *= 1 - self.lr * self.weight_decay", "param.tensor *= 1 - self.weight_decay"),
    ("adamw_second_moment_uncorrected", "AdamWOptimizer", "optimizers.py",
     "np.sqrt(v / (1 - self.beta2 ** t))", "np.sqrt(v)"),
    # clip_grad_norm
    ("clip_per_parameter", "clip_grad_norm", "optimizers.py",
     "    factor = max_norm / (norm + 1e-6)\n    if factor < 1:\n        for g in gradients:\n"
     "            g *= factor\n",
     "    for g in gradients:\n        own = float(np.sqrt(np.sum(g * g)))\n"
     "        if own > max_norm:\n            g *= max_norm / own\n"),
    ("clip_returns_the_clipped_norm", "clip_grad_norm", "optimizers.py",
     "    return norm\n", "    return min(norm, max_norm)\n"),
    ("clip_scales_small_gradients_up", "clip_grad_norm", "optimizers.py",
     "    if factor < 1:\n", "    if True:\n"),
    ("clip_norm_without_square_root", "clip_grad_norm", "optimizers.py",
     "norm = float(np.sqrt(sum(", "norm = float((sum("),
]
