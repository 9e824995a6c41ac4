"""Tests of cs_nn.layers.dropout: statistics of the mask, scaling, modes, seeds, gradients."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cs_nn.gradcheck import eval_numerical_gradient_array, rel_error
from cs_nn.layers import dropout_backward, dropout_forward


def _positive(shape: tuple[int, ...], seed: int = 0, dtype: type = np.float64) -> np.ndarray:
    """Values in [1, 2): a zero in the output can only mean "dropped"."""
    return (1.0 + np.random.default_rng(seed).random(shape)).astype(dtype)


@pytest.mark.parametrize("p", [0.1, 0.3, 0.5, 0.9])
def test_fraction_dropped_is_binomial_p(p: float) -> None:
    x = _positive((200, 100))
    out, _ = dropout_forward(x, {"p": p, "mode": "train", "seed": 123})
    n = x.size
    dropped = np.count_nonzero(out == 0)
    sd = np.sqrt(n * p * (1 - p))
    assert abs(dropped - n * p) < 4 * sd, (dropped, n * p, sd)


@settings(max_examples=20, deadline=None)
@given(p=st.floats(0.05, 0.95), seed=st.integers(0, 2**32 - 1))
def test_property_kept_values_scaled_exactly(p: float, seed: int) -> None:
    x = _positive((30, 40), seed=1)
    out, cache = dropout_forward(x, {"p": p, "seed": seed})  # mode defaults to "train"
    kept = out != 0
    np.testing.assert_array_equal(out[kept], x[kept] * (1 / (1 - p)))
    np.testing.assert_allclose(out[kept], x[kept] / (1 - p), rtol=1e-15)
    assert np.count_nonzero(x) == x.size  # so every zero in out is a dropped unit
    # the expected value is preserved: mean(out) ~ mean(x) within a few standard errors
    assert abs(out.mean() - x.mean()) < 6 * out.std() / np.sqrt(out.size)
    # backward uses the same mask and scale
    dout = np.ones_like(x)
    dx = dropout_backward(dout, cache)
    np.testing.assert_array_equal(dx != 0, kept)
    np.testing.assert_array_equal(dx[kept], np.full(kept.sum(), 1 / (1 - p)))


def test_test_mode_is_identity_and_backward_too() -> None:
    x = np.random.default_rng(2).standard_normal((5, 6))
    out, cache = dropout_forward(x, {"p": 0.7, "mode": "test", "seed": 1})
    np.testing.assert_array_equal(out, x)
    assert out is not x
    dout = np.random.default_rng(3).standard_normal((5, 6))
    np.testing.assert_array_equal(dropout_backward(dout, cache), dout)


def test_p_zero_is_identity_in_training() -> None:
    x = np.random.default_rng(4).standard_normal((7, 8))
    out, cache = dropout_forward(x, {"p": 0.0, "mode": "train", "seed": 5})
    np.testing.assert_array_equal(out, x)
    np.testing.assert_array_equal(dropout_backward(x, cache), x)


def test_same_seed_same_mask_different_seeds_differ() -> None:
    x = _positive((20, 30))
    a, _ = dropout_forward(x, {"p": 0.5, "seed": 11})
    b, _ = dropout_forward(x, {"p": 0.5, "seed": 11})
    c, _ = dropout_forward(x, {"p": 0.5, "seed": 12})
    np.testing.assert_array_equal(a, b)
    assert np.any((a == 0) != (c == 0))


def test_generator_in_param_is_used_and_advances() -> None:
    x = _positive((10, 10))
    rng = np.random.default_rng(21)
    a, _ = dropout_forward(x, {"p": 0.5, "rng": rng})
    b, _ = dropout_forward(x, {"p": 0.5, "rng": rng})
    a2, _ = dropout_forward(x, {"p": 0.5, "rng": np.random.default_rng(21)})
    np.testing.assert_array_equal(a, a2)
    assert np.any((a == 0) != (b == 0))


def test_backward_matches_numeric_gradient_with_fixed_seed() -> None:
    rng = np.random.default_rng(6)
    x = rng.standard_normal((6, 5))
    dout = rng.standard_normal((6, 5))
    param = {"p": 0.4, "mode": "train", "seed": 99}
    _, cache = dropout_forward(x, param)
    dx = dropout_backward(dout, cache)
    dx_num = eval_numerical_gradient_array(lambda v: dropout_forward(v, param)[0], x, dout)
    assert rel_error(dx, dx_num) < 1e-9


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_follows_input(dtype: type) -> None:
    x = _positive((8, 9), dtype=dtype)
    out, cache = dropout_forward(x, {"p": 0.3, "seed": 0})
    assert out.dtype == dtype
    assert dropout_backward(np.ones_like(x), cache).dtype == dtype
    out, _ = dropout_forward(x, {"p": 0.3, "mode": "test"})
    assert out.dtype == dtype


def test_arguments_are_not_mutated() -> None:
    x = _positive((5, 5))
    dout = _positive((5, 5), seed=1)
    param = {"p": 0.5, "mode": "train", "seed": 3}
    x0, dout0, param0 = x.copy(), dout.copy(), dict(param)
    _, cache = dropout_forward(x, param)
    dropout_backward(dout, cache)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(dout, dout0)
    assert param == param0


@pytest.mark.parametrize("param, error, match", [
    ({"p": 1.0}, ValueError, r"must lie in \[0, 1\), got 1.0"),
    ({"p": -0.1}, ValueError, r"must lie in \[0, 1\)"),
    ({"p": 0.5, "mode": "eval"}, ValueError, "mode must be 'train' or 'test', got 'eval'"),
    ({"mode": "train"}, ValueError, "needs 'p'"),
    ({"p": 0.5, "drop": 0.1}, ValueError, r"unknown key\(s\) \['drop'\]"),
    ([("p", 0.5)], TypeError, "dropout_param must be a dict"),
])
def test_invalid_params(param: object, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        dropout_forward(np.ones((2, 2)), param)


def test_bad_arrays() -> None:
    with pytest.raises(TypeError, match="x must be a float32 or float64 array"):
        dropout_forward(np.array(["a", "b"]), {"p": 0.5})
    _, cache = dropout_forward(np.ones((2, 3)), {"p": 0.5, "seed": 0})
    with pytest.raises(ValueError, match="dout has shape .* but the dropout mask"):
        dropout_backward(np.ones((3, 2)), cache)
