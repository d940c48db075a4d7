"""The post's experiments and the digits example, run as the demos run them."""
import itertools
import sys
from pathlib import Path

import numpy as np

import nn100.data

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))
import convnet  # noqa: E402
import digits  # noqa: E402
import gpt  # noqa: E402
import linear_regression  # noqa: E402
import product  # noqa: E402
import recall  # noqa: E402
import sort  # noqa: E402


def test_linear_regression_recovers_the_true_weights():
    errors = linear_regression.weight_errors(seed=0, epochs=40)
    assert errors[9] < 0.05 and errors[-1] < 1e-7
    assert all(later <= earlier * 1.5 for earlier, later in itertools.pairwise(errors))


def test_two_layers_learn_the_product_far_better_than_one(tmp_path):
    one_layer, two_layers = product.main(seed=1, figure=tmp_path / "product.png")
    assert one_layer[-1] > 0.5          # a plane cannot fit x1 * x2
    assert two_layers[-1] < 0.05        # a bent surface can
    assert (tmp_path / "product.png").stat().st_size > 10_000


def test_digits_reach_97_percent(tmp_path):
    result = digits.main(seed=0, figure=tmp_path / "digits.png")
    assert result["accuracy"] >= 0.97
    assert (tmp_path / "digits.png").exists()


def test_the_convnet_learns_the_digits_as_images(tmp_path):
    # a smoke run: 2 of the demo's 30 epochs (the full run reaches 99 %, see examples/convnet.py)
    result = convnet.main(seed=0, epochs=2, figure=tmp_path / "convnet.png")
    assert result["accuracy"] >= 0.9 and result["losses"][1] < result["losses"][0]
    assert (tmp_path / "convnet.png").stat().st_size > 10_000


def test_the_tiny_gpt_beats_the_bigram_model_on_names():
    # a smoke run: 1 of the demo's 12 epochs
    result = gpt.main(seed=0, epochs=1, samples=5)
    assert result["val_loss"] < result["bigram_val_loss"]
    assert (len(result["samples"]) == 5
            and all(set(n) <= set(gpt.ALPHABET[1:]) for n in result["samples"]))


def test_digits_data_has_the_fixed_split():
    X_train, y_train, X_test, y_test = nn100.data.load_digits()
    assert X_train.shape == (1437, 64) and X_test.shape == (360, 64)
    assert y_train.shape == (1437,) and y_test.shape == (360,)
    assert 0 <= X_train.min() and X_train.max() == 1
    assert set(np.unique(y_test)) == set(range(10))
    assert 35 <= np.bincount(y_test).min()  # stratified: about 36 of each class


def test_a_missing_data_file_names_where_it_looked(tmp_path):
    missing = tmp_path / "nowhere.npz"
    try:
        nn100.data.load_digits(missing)
    except FileNotFoundError as error:
        assert str(missing) in str(error)
    else:
        raise AssertionError("load_digits accepted a missing file")


def test_synthetic_problems_have_column_targets():
    X, Y, W, b = nn100.data.linear_regression(rng=0)
    assert X.shape == (100, 10) and Y.shape == (100, 1)
    np.testing.assert_allclose(Y, X @ W + b)
    X, Y = nn100.data.product(n=30, rng=0)
    np.testing.assert_allclose(Y[:, 0], X[:, 0] * X[:, 1])


def test_the_recall_pictures_weights_are_the_layers_own():
    """examples/recall.py recomputes a head's weights from the layer's parameters: with
    them, the values and the projection give back the layer's output."""
    rng = np.random.default_rng(0)
    attn = nn100.CausalSelfAttention(8, 2, rng=1)
    attn.qkv_bias.tensor[:] = rng.normal(size=24)
    X = rng.normal(size=(2, 5, 8))
    weights = recall.attention_weights(attn, X)                      # (N, heads, T, T)
    assert np.allclose(weights.sum(axis=-1), 1) and np.all(np.triu(weights[0, 0], 1) == 0)
    v = (X @ attn.qkv_weights.tensor + attn.qkv_bias.tensor)[..., 16:]
    heads = [weights[:, h] @ v[..., 4 * h:4 * h + 4] for h in range(2)]
    Y = np.concatenate(heads, axis=-1) @ attn.proj_weights.tensor + attn.proj_bias.tensor
    assert np.allclose(Y, attn.forward(X)[0])


def test_the_unmasked_attention_of_the_sort_experiment_sees_the_future_and_is_right():
    from nn100.gradcheck import check_gradients
    rng = np.random.default_rng(0)
    masked, unmasked = (nn100.CausalSelfAttention(6, 2, rng=2) for _ in range(2))
    unmasked.__class__ = sort.UnmaskedSelfAttention
    X = rng.normal(size=(2, 4, 6))
    Y, Y_masked = unmasked.forward(X)[0], masked.forward(X)[0]
    assert np.allclose(Y[:, -1], Y_masked[:, -1]), "the last position sees all in both"
    assert not np.allclose(Y[:, 0], Y_masked[:, 0]), "the first one sees the future"
    report = check_gradients(unmasked, X)
    assert report, str(report)
