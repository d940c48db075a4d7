"""Realistic mistakes in chapters 6 and 7 (norm.py, conv.py), as data, in the format of
mutants.py: (name, unit it breaks, file in nn100/, old text, new text), ``old`` occurring
exactly once in the reference file. Applied with mutants.apply_mutant.
"""
from mutants import apply_mutant, apply_mutants  # noqa: F401  (one way to apply them)

MUTANTS = [
    # BatchNorm
    ("batch_norm_biased_running_var", "BatchNorm", "norm.py",
     "m * var.reshape(-1) * count / (count - 1)", "m * var.reshape(-1)"),
    ("batch_norm_momentum_weights_the_old_value", "BatchNorm", "norm.py",
     "(1 - m) * self.running_mean + m * mean.reshape(-1)",
     "m * self.running_mean + (1 - m) * mean.reshape(-1)"),
    ("batch_norm_batch_statistics_in_eval", "BatchNorm", "norm.py",
     "if training:", "if True:"),
    ("batch_norm_mean_term_dropped", "BatchNorm", "norm.py",
     "D_hat - D_hat.mean(axis=axes, keepdims=True)", "D_hat"),
    ("batch_norm_variance_term_dropped", "BatchNorm", "norm.py",
     "- X_hat * (D_hat * X_hat).mean(axis=axes, keepdims=True)", ""),
    ("batch_norm_eval_backward_as_in_training", "BatchNorm", "norm.py",
     "if not training:\n                return D_hat * inv_std\n            ", ""),
    ("batch_norm_unbiased_batch_variance", "BatchNorm", "norm.py",
     "var = X.var(axis=axes, keepdims=True)", "var = X.var(axis=axes, keepdims=True, ddof=1)"),
    # LayerNorm
    ("layer_norm_mean_over_the_batch", "LayerNorm", "norm.py",
     "mean = X.mean(axis=-1, keepdims=True)", "mean = X.mean(axis=0, keepdims=True)"),
    ("layer_norm_mean_term_dropped", "LayerNorm", "norm.py",
     "D_hat - D_hat.mean(axis=-1, keepdims=True)", "D_hat"),
    ("layer_norm_gamma_gradient_without_x_hat", "LayerNorm", "norm.py",
     "self.gamma.gradient += (D * X_hat).sum(axis=batch_axes)",
     "self.gamma.gradient += D.sum(axis=batch_axes)"),
    ("layer_norm_without_eps", "LayerNorm", "norm.py",
     "X.var(axis=-1, keepdims=True) + self.eps", "X.var(axis=-1, keepdims=True)"),
    # Conv2D
    ("conv_is_a_convolution_not_a_cross_correlation", "Conv2D", "conv.py",
     "filters = self.weights.tensor.reshape(F, -1)",
     "filters = self.weights.tensor[:, :, ::-1, ::-1].reshape(F, -1)"),
    ("conv_padding_ignored_in_backward", "Conv2D", "conv.py",
     "return dXpad[:, :, p:p + X.shape[2], p:p + X.shape[3]]",
     "return dXpad[:, :, :X.shape[2], :X.shape[3]]"),
    ("conv_patches_flattened_kernel_first", "Conv2D", "conv.py",
     ".transpose(0, 2, 3, 1, 4, 5)", ".transpose(0, 2, 3, 4, 5, 1)"),
    ("conv_col2im_overwrites_overlaps", "Conv2D", "conv.py",
     "b:b + stride * columns:stride] += patches", "b:b + stride * columns:stride] = patches"),
    ("conv_bias_gradient_averaged", "Conv2D", "conv.py",
     "self.bias.gradient += D_rows.sum(axis=0)", "self.bias.gradient += D_rows.mean(axis=0)"),
    ("conv_weight_gradient_overwritten", "Conv2D", "conv.py",
     "self.weights.gradient += (D_rows.T @ cols)", "self.weights.gradient = (D_rows.T @ cols)"),
    # MaxPool2D
    ("maxpool_routes_to_every_maximum", "MaxPool2D", "conv.py",
     "np.add.at(dX, (n, c, i * s + best // k, j * s + best % k), D)",
     "for a in range(k * k):\n"
     "                np.add.at(dX, (n, c, i * s + a // k, j * s + a % k), "
     "D * (windows[..., a] == Y))"),
    ("maxpool_assigns_instead_of_adding", "MaxPool2D", "conv.py",
     "np.add.at(dX, (n, c, i * s + best // k, j * s + best % k), D)",
     "dX[n, c, i * s + best // k, j * s + best % k] = D"),
    ("maxpool_row_and_column_swapped", "MaxPool2D", "conv.py",
     "i * s + best // k, j * s + best % k", "i * s + best % k, j * s + best // k"),
    ("maxpool_backward_steps_by_the_kernel", "MaxPool2D", "conv.py",
     "i * s + best // k, j * s + best % k", "i * k + best // k, j * k + best % k"),
    ("maxpool_ties_go_to_the_last_maximum", "MaxPool2D", "conv.py",
     "best = windows.argmax(axis=-1)", "best = k * k - 1 - windows[..., ::-1].argmax(axis=-1)"),
    # Flatten
    ("flatten_backward_keeps_the_flat_shape", "Flatten", "conv.py",
     "return D.reshape(X.shape)", "return D"),
    ("flatten_keeps_the_last_axis", "Flatten", "conv.py",
     "Y = X.reshape(len(X), -1)", "Y = X.reshape(-1, X.shape[-1])"),
    ("flatten_backward_in_column_major_order", "Flatten", "conv.py",
     "return D.reshape(X.shape)", "return D.reshape(X.shape, order='F')"),
    # Residual
    ("residual_returns_only_the_inner_gradient", "Residual", "conv.py",
     "return D + inner_backward(D)", "return inner_backward(D)"),
    ("residual_skips_the_inner_backward", "Residual", "conv.py",
     "return D + inner_backward(D)", "return D"),
    ("residual_forward_without_the_skip", "Residual", "conv.py",
     "Y = X + inner", "Y = inner"),
    ("residual_without_the_inner_parameters", "Residual", "conv.py",
     "self.parameters = layer.parameters\n", ""),
    ("residual_does_not_pass_eval_on", "Residual", "conv.py",
     "self.layer.eval()\n", ""),
]
