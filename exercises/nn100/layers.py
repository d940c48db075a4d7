"""Layers in the closure style.

The contract, stated once for every layer here:

    Y, backward = layer.forward(X)
    dX = backward(D)

``D`` is the gradient of the loss with respect to ``Y`` (same shape as ``Y``).
``backward`` *adds* the gradient of each parameter into ``parameter.gradient``
(so two backward calls accumulate), never changes ``parameter.tensor`` or its
inputs, and returns ``dX``, the gradient with respect to ``X`` (same shape as ``X``).
The closure remembers what forward computed, so nothing is stored on the layer.
"""
import numpy as np


class Parameter:
    """A trainable tensor and the gradient accumulated for it (same shape)."""

    def __init__(self, tensor: np.ndarray):
        self.tensor = tensor
        self.gradient = np.zeros_like(tensor)


class Layer:
    """Base class: the identity layer. Subclasses override ``forward``."""

    def __init__(self):
        self.parameters: list[Parameter] = []
        self.training = True

    def forward(self, X):
        return X, lambda D: D

    def build_param(self, tensor: np.ndarray) -> Parameter:
        param = Parameter(tensor)
        self.parameters.append(param)
        return param

    def update(self, optimizer) -> None:
        """Let the optimizer step each distinct parameter exactly once."""
        for param in distinct(self.parameters):
            optimizer.update(param)

    def train(self):
        self.training = True
        return self

    def eval(self):
        self.training = False
        return self


def distinct(parameters) -> list[Parameter]:
    """The parameters in order, each once (a layer may be used twice)."""
    return list(dict.fromkeys(parameters))


class Linear(Layer):
    """Affine map Y = X @ W + b.  X: (N, inputs) -> Y: (N, outputs); also (N, ..., inputs)
    -> (N, ..., outputs), each row along the last axis mapped alike (as torch.nn.Linear).

    ``weights`` is (inputs, outputs), drawn from N(0, 1/inputs); ``bias`` is (outputs,), zeros.
    ``input_gradient=False`` is for a first layer fed with data, whose gradient no one
    needs: backward then returns None instead of computing dX, a matmul as large as
    forward's (PyTorch skips it the same way for inputs that do not require grad).
    """

    def __init__(self, inputs: int, outputs: int, rng=None, dtype=np.float64,
                 input_gradient: bool = True):
        super().__init__()
        self.input_gradient = input_gradient
        rng = np.random.default_rng(rng)
        scale = np.sqrt(1.0 / inputs)
        self.weights = self.build_param(
            (rng.standard_normal((inputs, outputs)) * scale).astype(dtype))
        self.bias = self.build_param(np.zeros(outputs, dtype=dtype))

    def forward(self, X):
        """Y = X @ W + b.  X: (N, inputs) -> Y: (N, outputs).

        Hint: numpy broadcasting adds the bias (outputs,) to every row of X @ W.
        """
        check_input("Linear.forward", X, self.weights.tensor.shape[0], any_rank=True)
        if X.ndim > 2:  # given: (N, ..., inputs) is the 2-D batch of its rows, reshaped back
            return forward_rows(self.forward, X)
        raise NotImplementedError("Exercise 1.1: Linear.forward")

        def backward(D):
            """D: (N, outputs) -> dX: (N, inputs).  Adds dL/dW (inputs, outputs) to
            ``weights.gradient`` and dL/db (outputs,) to ``bias.gradient``.

            Hint: the guide works this one out ("Linear, worked out"); let the shapes lead.
            """
            raise NotImplementedError("Exercise 1.2: Linear.backward")

        return Y, backward


def check_input(where: str, X, features: int, any_rank: bool = False) -> None:
    """Raise a clear error unless X is a 2-D array with ``features`` columns (with
    ``any_rank``: an array of 2 or more axes, the last of ``features``)."""
    shape = getattr(X, "shape", None)
    rank_ok = shape is not None and (len(shape) >= 2 if any_rank else len(shape) == 2)
    if not rank_ok or shape[-1] != features:
        expected = f"(N, ..., {features})" if any_rank else f"(N, {features})"
        raise ValueError(f"{where}: expected input of shape {expected}, got {shape}")


def forward_rows(forward, X):
    """Run a 2-D ``forward`` on the rows of X (N, ..., features): the leading axes are
    merged into one for forward and backward, then given back to Y and dX."""
    Y, backward = forward(X.reshape(-1, X.shape[-1]))
    lead = X.shape[:-1]

    def backward_rows(D):
        dX = backward(D.reshape(-1, D.shape[-1]))
        return None if dX is None else dX.reshape(X.shape)

    return Y.reshape(lead + Y.shape[-1:]), backward_rows


class ReLU(Layer):
    """Y = max(X, 0), elementwise.  Any shape in, same shape out."""

    def forward(self, X):
        """Y = max(X, 0).  X: any shape -> Y: same shape.

        Hint: remember which elements were positive in a local variable: the backward
        closure below can read it.
        """
        raise NotImplementedError("Exercise 1.3: ReLU.forward")

        def backward(D):
            """D: shape of Y -> dX: shape of X, the gradient of the loss with respect to X.
            At X == 0 exactly, either one-sided derivative is accepted.

            Hint: each output depends on its own input only (a diagonal Jacobian), so the
            vector-Jacobian product is an elementwise product.
            """
            raise NotImplementedError("Exercise 1.4: ReLU.backward")

        return Y, backward


ReLu = ReLU  # the post's spelling


class Sigmoid(Layer):
    """Y = 1 / (1 + exp(-X)), elementwise.  Any shape in, same shape out."""

    def forward(self, X):
        """Y = 1 / (1 + exp(-X)).  X: any shape -> Y: same shape, in (0, 1).

        Hint: exp(-X) overflows (with a warning) for X below about -709;
        np.logaddexp(0, -X) computes log(1 + exp(-X)) without overflowing.
        """
        raise NotImplementedError("Exercise 1.5: Sigmoid.forward")

        def backward(D):
            """D: shape of Y -> dX: shape of X, the gradient of the loss with respect to X.

            Hint: work out the sigmoid's derivative; it can be written with Y alone, which
            the closure already holds.
            """
            raise NotImplementedError("Exercise 1.6: Sigmoid.backward")

        return Y, backward


class Tanh(Layer):
    """Y = tanh(X), elementwise.  Any shape in, same shape out."""

    def forward(self, X):
        """Y = tanh(X).  X: any shape -> Y: same shape, in (-1, 1).

        Hint: numpy has it.
        """
        raise NotImplementedError("Exercise 3.1: Tanh.forward")

        def backward(D):
            """D: shape of Y -> dX: shape of X, the gradient of the loss with respect to X.

            Hint: like Sigmoid's, tanh's derivative can be written with its output Y.
            """
            raise NotImplementedError("Exercise 3.2: Tanh.backward")

        return Y, backward


class LeakyReLU(Layer):
    """Y = X where X > 0, else slope * X.  Any shape in, same shape out."""

    def __init__(self, slope: float = 0.01):
        super().__init__()
        self.slope = slope

    def forward(self, X):
        """Y = X where X > 0, else slope * X.  X: any shape -> Y: same shape and dtype.

        Hint: one array of factors (1 or slope per element) serves forward and backward.
        """
        raise NotImplementedError("Exercise 3.3: LeakyReLU.forward")

        def backward(D):
            """D: shape of Y -> dX: shape of X, the gradient of the loss with respect to X.
            At X == 0 exactly, either one-sided derivative is accepted.

            Hint: one array made in forward can serve here too.
            """
            raise NotImplementedError("Exercise 3.4: LeakyReLU.backward")

        return Y, backward


class Softmax(Layer):
    """Y[n] = exp(X[n]) / sum(exp(X[n])), row by row.  X: (N, K) -> Y: (N, K), rows sum to 1.

    Each output depends on every input of its row, so backward is a full
    vector-Jacobian product, not an elementwise one.
    """

    def forward(self, X):
        """Y[n] = exp(X[n]) / sum(exp(X[n])).  X: (N, K) -> Y: (N, K), each row sums to 1.

        Hint: softmax(x) = softmax(x - c) for any constant c; subtracting each row's
        maximum keeps exp from overflowing for large inputs.
        """
        raise NotImplementedError("Exercise 3.5: Softmax.forward")

        def backward(D):
            """D: (N, K) -> dX: (N, K), the vector-Jacobian product of each row: dX[n] is
            D[n] times the (K, K) Jacobian of row n's softmax.

            Hint: work the Jacobian out for one row, then expand the product by hand: it
            needs no (K, K) matrix, only elementwise products and one sum per row.
            """
            raise NotImplementedError("Exercise 3.6: Softmax.backward")

        return Y, backward


class Dropout(Layer):
    """Inverted dropout: in training, zero each element with probability p and scale
    the survivors by 1 / (1 - p); in evaluation, the identity.  Any shape, same shape out.
    """

    def __init__(self, p: float = 0.5, rng=None):
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError(f"Dropout: p must be in [0, 1), got {p}")
        self.p = p
        self.rng = np.random.default_rng(rng)

    def forward(self, X):
        """In training mode with p > 0, each element of X is zeroed with probability p and
        the others are scaled by 1 / (1 - p).  Otherwise (evaluation, or p == 0): Y = X and
        backward passes D through.  X: any shape -> Y: same shape and dtype.

        Hint: draw the mask as ``self.rng.random(X.shape) >= self.p`` (one draw per
        element, from the layer's own generator) so runs are reproducible.
        """
        raise NotImplementedError("Exercise 3.7: Dropout.forward")

        def backward(D):
            """dX: D zeroed and scaled exactly where forward zeroed and scaled X.
            D: shape of Y -> dX: shape of X.

            Hint: do not draw a new mask here; the closure remembers forward's.
            """
            raise NotImplementedError("Exercise 3.8: Dropout.backward")

        return Y, backward


class Sequential(Layer):
    """Layers applied in order; backward runs their closures in reverse.

    ``parameters`` lists the distinct parameters of the layers, in order: a layer
    used twice contributes them once, and both uses add into their gradients.
    """

    def __init__(self, *layers: Layer):
        super().__init__()
        # parameters: the distinct parameters of all layers, in layer order.
        # Hint: the helper ``distinct`` above drops repeats and keeps the order.
        self.layers = layers
        raise NotImplementedError("Exercise 1.7: Sequential.parameters")

    def forward(self, X):
        """Run X through every layer in order.  X: the first layer's input -> the last
        layer's output (the given ``return X, backward`` returns whatever X holds by then).

        Hint: keep each layer's backward closure in a list: backward needs them all.
        """
        raise NotImplementedError("Exercise 1.8: Sequential.forward")

        def backward(D):
            """Call the kept closures in reverse order.  D: shape of Y -> dX: shape of X.

            Hint: each closure returns the D of the layer before it (the chain rule).
            """
            raise NotImplementedError("Exercise 1.9: Sequential.backward")

        return X, backward

    def train(self):
        for layer in self.layers:
            layer.train()
        return super().train()

    def eval(self):
        for layer in self.layers:
            layer.eval()
        return super().eval()
