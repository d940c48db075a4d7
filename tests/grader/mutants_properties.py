"""Mistakes that break a property rather than a value, as data, in the format of mutants.py:
(name, unit it breaks, file in nn100/, old text, new text). Every value each mutant
computes on a single call is the reference's; what is wrong is what a closure keeps, what
a call changes in place, which state a mode may move, or the dtype a value comes back in.
Applied with mutants.apply_mutant.

PROPERTY names the property each one breaks (the check that must take the points).
"""
from mutants import SOLUTIONS, apply_mutant, apply_mutants  # noqa: F401  (one way to apply them)


def spanning(filename: str, first: str, last: str, *edits) -> tuple[str, str]:
    """(old, new) for a mistake in two places of one function: ``old`` is the reference's
    text from ``first`` to ``last`` (each once in the file), ``new`` the same with each
    (before, after) of ``edits`` applied once."""
    text = (SOLUTIONS / filename).read_text()
    start = text.index(first)
    old = text[start:text.index(last, start) + len(last)]
    new = old
    for before, after in edits:
        assert new.count(before) == 1, before
        new = new.replace(before, after)
    return old, new


BATCH_NORM_UPDATE = (
    "            m = self.momentum\n"
    "            self.running_mean[...] = (1 - m) * self.running_mean + m * mean.reshape(-1)\n"
    "            self.running_var[...] = ((1 - m) * self.running_var\n"
    "                                     + m * var.reshape(-1) * count / (count - 1))\n")
BATCH_NORM_Y = "        Y = gamma * X_hat + self.beta.tensor.reshape(shape)\n"
BATCH_NORM_MIDDLE = (
    "        else:\n"
    "            mean, var = self.running_mean.reshape(shape), self.running_var.reshape(shape)\n"
    "        inv_std = 1 / np.sqrt(var + self.eps)\n"
    "        X_hat = (X - mean) * inv_std\n"
    "        gamma = self.gamma.tensor.reshape(shape)\n")

MUTANTS = [
    # closures: each backward closure keeps its own forward call's values
    ("flatten_keeps_the_input_shape_on_the_layer", "Flatten", "conv.py",
     "        Y = X.reshape(len(X), -1)\n\n        def backward(D):\n"
     "            return D.reshape(X.shape)",
     "        self.shape = X.shape\n        Y = X.reshape(len(X), -1)\n\n"
     "        def backward(D):\n            return D.reshape(self.shape)"),
    ("maxpool_keeps_the_input_on_the_layer", "MaxPool2D", "conv.py", *spanning(
        "conv.py", "        best = windows.argmax(axis=-1)\n", "dX = np.zeros_like(X)",
        ("best = windows.argmax(axis=-1)\n",
         "best = windows.argmax(axis=-1)\n        self.X = X\n"),
        ("np.zeros_like(X)", "np.zeros_like(self.X)"))),
    ("conv_keeps_the_padded_shape_on_the_layer", "Conv2D", "conv.py", *spanning(
        "conv.py", "Xpad = np.pad(X,", "col2im(D_rows @ filters, Xpad.shape, k, s)",
        ("(p, p), (p, p)))\n", "(p, p), (p, p)))\n        self.padded_shape = Xpad.shape\n"),
        ("Xpad.shape, k, s)", "self.padded_shape, k, s)"))),
    ("linear_keeps_its_input_on_the_layer", "Linear", "layers.py", *spanning(
        "layers.py", "        Y = X @ self.weights.tensor + self.bias.tensor\n",
        "self.weights.gradient += X.T @ D",
        ("self.bias.tensor\n", "self.bias.tensor\n        self.X = X\n"),
        ("+= X.T @ D", "+= self.X.T @ D"))),
    ("relu_keeps_its_mask_on_the_layer", "ReLU", "layers.py", *spanning(
        "layers.py", "        mask = X > 0\n        Y = X * mask\n", "return D * mask",
        ("mask = X > 0", "self.mask = X > 0"), ("Y = X * mask", "Y = X * self.mask"),
        ("D * mask", "D * self.mask"))),
    # mutation: X and D come back as they were given
    ("residual_adds_into_its_input", "Residual", "conv.py",
     "Y = X + inner", "Y = X\n        Y += inner"),
    ("residual_adds_into_the_upstream_gradient", "Residual", "conv.py",
     "return D + inner_backward(D)", "D += inner_backward(D)\n            return D"),
    ("leaky_relu_scales_the_upstream_gradient_in_place", "LeakyReLU", "layers.py",
     "return D * factor", "D *= factor\n            return D"),
    # state: only training mode moves the running statistics; forward keeps the parameters
    ("batch_norm_running_statistics_moved_in_eval", "BatchNorm", "norm.py",
     BATCH_NORM_UPDATE + BATCH_NORM_MIDDLE + BATCH_NORM_Y,
     BATCH_NORM_MIDDLE + BATCH_NORM_Y
     + "        m, batch_var = self.momentum, X.var(axis=axes) * count / max(count - 1, 1)\n"
     "        self.running_mean[...] = (1 - m) * self.running_mean + m * X.mean(axis=axes)\n"
     "        self.running_var[...] = (1 - m) * self.running_var + m * batch_var\n"),
    ("batch_norm_reshapes_gamma_on_the_layer", "BatchNorm", "norm.py",
     "        gamma = self.gamma.tensor.reshape(shape)\n",
     "        self.gamma.tensor = self.gamma.tensor.reshape(shape)\n"
     "        gamma = self.gamma.tensor\n"),
    # float32: the rows gathered as one-hot vectors times the weights, right values in
    # float64 whatever the weights' dtype (np.eye is float64)
    ("embedding_as_a_float64_one_hot_product", "Embedding", "attention.py",
     "        Y = self.weights.tensor[ids]\n",
     "        Y = np.eye(count)[ids] @ self.weights.tensor\n"),
]

PROPERTY = {
    "flatten_keeps_the_input_shape_on_the_layer": "closures",
    "maxpool_keeps_the_input_on_the_layer": "closures",
    "conv_keeps_the_padded_shape_on_the_layer": "closures",
    # the same mistake, seen already by accumulation's two calls (backward in reverse
    # order): there it is diagnosed, and the closures check is not judged
    "linear_keeps_its_input_on_the_layer": "accumulate",
    "relu_keeps_its_mask_on_the_layer": "accumulate",
    "residual_adds_into_its_input": "mutation",
    "residual_adds_into_the_upstream_gradient": "mutation",
    "leaky_relu_scales_the_upstream_gradient_in_place": "mutation",
    "batch_norm_running_statistics_moved_in_eval": "state",
    "batch_norm_reshapes_gamma_on_the_layer": "mutation",
    "embedding_as_a_float64_one_hot_product": "float32",
}
