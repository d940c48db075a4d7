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


def recall(n: int = 1000, pairs: int = 4, keys: int = 8, values: int = 10,
           ignore_index: int = -100, rng=None):
    """Associative recall: ``pairs`` key-value pairs, then one of their keys again; the
    answer is the value that key was paired with.  A model must look back and find the key,
    which is what attention does.

    Tokens: keys are ids 0 .. keys-1 (distinct within a sequence), values ids keys ..
    keys+values-1 (drawn with repetition), so the vocabulary has keys + values ids.
    Returns X (n, 2 * pairs + 1) int64, the sequences, and Y of the same shape, the
    next-token labels: ``ignore_index`` everywhere but the last position, whose label is
    the answer (a model trained on Y learns the answer only; Y[:, -1] is it).
    """
    if not 1 <= pairs <= keys:
        raise ValueError(f"recall: pairs must lie in [1, keys={keys}], got {pairs}")
    rng = np.random.default_rng(rng)
    chosen = rng.random((n, keys)).argsort(axis=1)[:, :pairs]     # distinct keys per row
    paired = keys + rng.integers(0, values, (n, pairs))
    asked = rng.integers(0, pairs, n)
    rows = np.arange(n)
    X = np.empty((n, 2 * pairs + 1), dtype=np.int64)
    X[:, 0:-1:2], X[:, 1:-1:2], X[:, -1] = chosen, paired, chosen[rows, asked]
    Y = np.full_like(X, ignore_index)
    Y[:, -1] = paired[rows, asked]
    return X, Y


def sort_digits(n: int = 1000, length: int = 6, ignore_index: int = -100, rng=None):
    """Sorting: ``length`` random digits (ids 0..9), a separator (id 10), then the same
    digits in increasing order, generated one at a time.  A vocabulary of 11 ids.

    Returns X (n, 2 * length) int64, each sequence without its last token, and Y of the same
    shape, the next token at every position (the sequence shifted by one), ``ignore_index``
    where the next token is an unsorted digit, which nothing can predict.
    """
    rng = np.random.default_rng(rng)
    digits = rng.integers(0, 10, (n, length))
    sequence = np.concatenate([digits, np.full((n, 1), 10), np.sort(digits, axis=1)], axis=1)
    X, Y = sequence[:, :-1].astype(np.int64), sequence[:, 1:].astype(np.int64)
    Y[:, :length - 1] = ignore_index
    return X, Y
