"""Layers on images, laid out (N, C, H, W) as in PyTorch: convolution, pooling, flattening,
and the skip connection that lets deep stacks of them train.

Conv2D unfolds its input (im2col): every k x k patch of every channel becomes one row of
a matrix, so the whole convolution is one matrix product with the flattened filters, and
its backward is matrix products too, plus folding the patch gradients back onto the image.
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .layers import Layer


def check_images(where: str, X, channels: int | None = None) -> None:
    """Raise a clear error unless X is a 4-D array (N, C, H, W) with ``channels`` channels."""
    shape = getattr(X, "shape", None)
    if shape is None or len(shape) != 4 or (channels is not None and shape[1] != channels):
        expected = f"(N, {channels if channels is not None else 'C'}, H, W)"
        raise ValueError(f"{where}: expected input of shape {expected}, got {shape}")


def output_size(where: str, shape, kernel: int, stride: int, padding: int = 0) -> tuple[int, int]:
    """(H', W') = ((H + 2 padding - kernel) // stride + 1, the same for W)."""
    height, width = shape[2] + 2 * padding, shape[3] + 2 * padding
    if kernel > min(height, width):
        raise ValueError(f"{where}: kernel {kernel}x{kernel} is larger than the "
                         f"{'padded ' if padding else ''}input {height}x{width} "
                         f"(input {tuple(shape)}, padding {padding})")
    return (height - kernel) // stride + 1, (width - kernel) // stride + 1


def im2col(X, kernel: int, stride: int):
    """Unfold the patches of X (N, C, H, W) into rows: cols (N * H' * W', C * kernel * kernel).

    Row (n, i, j) holds the patch X[n, :, i*stride : i*stride+kernel, j*stride : j*stride+kernel]
    flattened channel first, i.e. in the order of ``weights.reshape(F, -1)``'s columns.

    Hint: ``sliding_window_view(X, (kernel, kernel), axis=(2, 3))`` is every patch at
    stride 1, without copying; slice it for the stride, move C next to the kernel axes,
    then reshape (which copies).
    """
    ### BEGIN SOLUTION
    windows = sliding_window_view(X, (kernel, kernel), axis=(2, 3))[:, :, ::stride, ::stride]
    return windows.transpose(0, 2, 3, 1, 4, 5).reshape(-1, X.shape[1] * kernel * kernel)
    ### END SOLUTION


def col2im(cols, shape, kernel: int, stride: int):
    """The reverse of im2col for gradients: cols (N * H' * W', C * kernel * kernel) -> an
    array of ``shape`` (N, C, H, W) where every entry of cols is added onto the pixel it was
    copied from (pixels shared by overlapping patches receive the sum).

    Hint: loop over the kernel * kernel offsets (a, b), not over pixels: offset (a, b) of
    every patch lands on one strided slice of the image.
    """
    ### BEGIN SOLUTION
    N, C, H, W = shape
    rows, columns = output_size("col2im", shape, kernel, stride)
    patches = cols.reshape(N, rows, columns, C, kernel, kernel).transpose(0, 3, 4, 5, 1, 2)
    image = np.zeros(shape, dtype=cols.dtype)
    for a in range(kernel):
        for b in range(kernel):
            image[:, :, a:a + stride * rows:stride, b:b + stride * columns:stride] += patches[
                :, :, a, b]
    return image
    ### END SOLUTION


class Conv2D(Layer):
    """2-D cross-correlation, as torch.nn.functional.conv2d:
    Y[n, f, i, j] = b[f] + sum over c, a, b' of W[f, c, a, b'] * Xpad[n, c, i*s + a, j*s + b'],
    Xpad being X with ``padding`` zeros on each side.
    X: (N, C, H, W) -> Y: (N, F, H', W'), H' = (H + 2 padding - k) // stride + 1 (W' alike).

    ``weights`` is (F, C, k, k), drawn from N(0, 1/(C k k)); ``bias`` is (F,), zeros.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                 padding: int = 0, rng=None, dtype=np.float64):
        super().__init__()
        for name, value, least in (("in_channels", in_channels, 1),
                                   ("out_channels", out_channels, 1),
                                   ("kernel_size", kernel_size, 1), ("stride", stride, 1),
                                   ("padding", padding, 0)):
            if not isinstance(value, (int, np.integer)) or value < least:
                raise ValueError(f"Conv2D: {name} must be an integer >= {least}, got {value!r}")
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        rng = np.random.default_rng(rng)
        scale = np.sqrt(1.0 / (in_channels * kernel_size * kernel_size))
        shape = (out_channels, in_channels, kernel_size, kernel_size)
        self.weights = self.build_param((rng.standard_normal(shape) * scale).astype(dtype))
        self.bias = self.build_param(np.zeros(out_channels, dtype=dtype))

    def forward(self, X):
        """Y = the cross-correlation above.  X: (N, C, H, W) -> Y: (N, F, H', W').

        Hint: pad with np.pad, unfold with im2col, then one matrix product with the filters
        flattened to (F, C k k); the product's rows are (n, i, j): reshape and move F to axis 1.
        """
        F, C, k, _ = self.weights.tensor.shape
        s, p = self.stride, self.padding
        check_images("Conv2D.forward", X, C)
        rows, columns = output_size("Conv2D.forward", X.shape, k, s, p)
        ### BEGIN SOLUTION
        Xpad = np.pad(X, ((0, 0), (0, 0), (p, p), (p, p)))
        cols = im2col(Xpad, k, s)
        filters = self.weights.tensor.reshape(F, -1)
        Y = ((cols @ filters.T + self.bias.tensor)
             .reshape(len(X), rows, columns, F).transpose(0, 3, 1, 2))
        ### END SOLUTION

        def backward(D):
            """D: (N, F, H', W') -> dX: (N, C, H, W).  Adds dL/dW (F, C, k, k) to
            ``weights.gradient`` and dL/db (F,) to ``bias.gradient``.

            Hint: forward was a Linear layer on the rows of cols: bring D to the same
            (N H' W', F) layout, then fold the gradient of cols back with col2im and drop
            the padding.
            """
            ### BEGIN SOLUTION
            D_rows = D.transpose(0, 2, 3, 1).reshape(-1, F)
            self.weights.gradient += (D_rows.T @ cols).reshape(self.weights.tensor.shape)
            self.bias.gradient += D_rows.sum(axis=0)
            dXpad = col2im(D_rows @ filters, Xpad.shape, k, s)
            return dXpad[:, :, p:p + X.shape[2], p:p + X.shape[3]]
            ### END SOLUTION

        return Y, backward


class MaxPool2D(Layer):
    """Y[n, c, i, j] = the maximum of X[n, c] over the kernel x kernel window at
    (i*stride, j*stride).  X: (N, C, H, W) -> Y: (N, C, H', W'), H' = (H - k) // stride + 1.
    ``stride`` defaults to the kernel size (windows side by side, not overlapping).
    """

    def __init__(self, kernel_size: int, stride: int | None = None):
        super().__init__()
        stride = kernel_size if stride is None else stride
        for name, value in (("kernel_size", kernel_size), ("stride", stride)):
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"MaxPool2D: {name} must be an integer >= 1, got {value!r}")
        self.kernel_size, self.stride = kernel_size, stride

    def forward(self, X):
        """Y = each window's maximum.  X: (N, C, H, W) -> Y: (N, C, H', W').

        Hint: view the windows as in im2col, flatten each to k*k values and keep the
        argmax (np.argmax returns the first maximum, in row-major order): backward needs it.
        """
        k, s = self.kernel_size, self.stride
        check_images("MaxPool2D.forward", X)
        output_size("MaxPool2D.forward", X.shape, k, s)
        ### BEGIN SOLUTION
        windows = sliding_window_view(X, (k, k), axis=(2, 3))[:, :, ::s, ::s]
        windows = windows.reshape(*windows.shape[:4], k * k)
        best = windows.argmax(axis=-1)
        Y = np.take_along_axis(windows, best[..., None], axis=-1)[..., 0]
        ### END SOLUTION

        def backward(D):
            """dX: each D[n, c, i, j] added at the position of its window's maximum, zeros
            elsewhere.  D: (N, C, H', W') -> dX: (N, C, H, W).

            Hint: turn the argmax into row and column indexes of X; np.add.at adds at
            repeated indexes (overlapping windows may share a maximum).
            """
            ### BEGIN SOLUTION
            n, c, i, j = np.indices(best.shape, sparse=True)
            dX = np.zeros_like(X)
            np.add.at(dX, (n, c, i * s + best // k, j * s + best % k), D)
            return dX
            ### END SOLUTION

        return Y, backward


class Flatten(Layer):
    """Y = X reshaped to one row per sample.  X: (N, ...) -> Y: (N, prod(...))."""

    def forward(self, X):
        """X: (N, ...) -> Y: (N, prod(...)); backward reshapes D: (N, prod(...)) back to X's shape.

        Hint: reshape never copies data it can view; the closure needs X's shape only.
        """
        if getattr(X, "ndim", 0) < 2:
            raise ValueError(f"Flatten.forward: expected input of shape (N, ...) with at least "
                             f"2 axes, got {getattr(X, 'shape', None)}")
        ### BEGIN SOLUTION
        Y = X.reshape(len(X), -1)

        def backward(D):
            return D.reshape(X.shape)
        ### END SOLUTION

        return Y, backward


class Residual(Layer):
    """A skip connection around ``layer``: Y = X + layer(X).  X: any shape -> Y: same shape
    (the inner layer must keep the shape).  ``parameters`` are the inner layer's.
    """

    def __init__(self, layer: Layer):
        super().__init__()
        self.layer = layer
        self.parameters = layer.parameters

    def forward(self, X):
        """Y = X + layer(X).  X: any shape -> Y: same shape.

        Hint: the inner layer's output and backward closure are given; its closure is
        all backward needs from it.
        """
        inner, inner_backward = self.layer.forward(X)
        if np.shape(inner) != np.shape(X):
            raise ValueError(f"Residual.forward: the inner layer's output must have the input's "
                             f"shape {np.shape(X)}, got {np.shape(inner)}")
        ### BEGIN SOLUTION
        Y = X + inner
        ### END SOLUTION

        def backward(D):
            """D: shape of Y -> dX: shape of X; the inner layer adds its parameter gradients.

            Hint: X reaches Y along two paths, the skip and the inner layer.
            """
            ### BEGIN SOLUTION
            return D + inner_backward(D)
            ### END SOLUTION

        return Y, backward

    def train(self):
        self.layer.train()
        return super().train()

    def eval(self):
        self.layer.eval()
        return super().eval()
