"""The course's data: the post's two synthetic problems and the UCI digits."""
from pathlib import Path

import numpy as np

DIGITS = Path(__file__).resolve().parents[2] / "data" / "digits.npz"


def linear_regression(n: int = 100, features: int = 10, rng=None):
    """The post's first experiment: Y = X @ W + b exactly, no noise.

    Returns X (n, features), Y (n, 1), and the true W (features, 1) and b (1,).
    """
    rng = np.random.default_rng(rng)
    X = rng.standard_normal((n, features))
    W = rng.standard_normal((features, 1))
    b = rng.standard_normal(1)
    return X, X @ W + b, W, b


def product(n: int = 1000, rng=None):
    """The post's second experiment: Y = x1 * x2, which no single linear layer can fit.

    Returns X (n, 2) and Y (n, 1): the target is a column, like the prediction.
    """
    rng = np.random.default_rng(rng)
    X = rng.standard_normal((n, 2))
    return X, X[:, :1] * X[:, 1:]


def load_digits(path=None, dtype=np.float64):
    """The 8x8 handwritten digits, fixed split: X_train (1437, 64), y_train (1437,),
    X_test (360, 64), y_test (360,).  Pixels scaled to [0, 1]; labels are int64 in 0..9.
    """
    path = Path(path) if path else DIGITS
    if not path.exists():
        raise FileNotFoundError(f"load_digits: no data file at {path}; "
                                "it ships as data/digits.npz at the top of the course folder")
    with np.load(path, allow_pickle=False) as data:
        return (data["X_train"].astype(dtype) / 16, data["y_train"].astype(np.int64),
                data["X_test"].astype(dtype) / 16, data["y_test"].astype(np.int64))
