"""Tests of cs_nn.modelkit: weight scales, seeded draws, batched prediction, config values."""

from __future__ import annotations

import numpy as np
import pytest

from cs_nn.modelkit import init_weight, json_weight_scale, predict_in_batches, weight_std


def test_weight_std_names_and_numbers() -> None:
    assert weight_std("he", 50, 10) == pytest.approx(np.sqrt(2 / 50))
    assert weight_std("xavier", 50, 10) == pytest.approx(np.sqrt(2 / 60))
    assert weight_std(0.25, 50, 10) == 0.25
    with pytest.raises(ValueError, match="'he' or 'xavier'"):
        weight_std("kaiming", 3, 2)
    with pytest.raises(ValueError, match="finite number >= 0"):
        weight_std(-1.0, 3, 2)


def test_init_weight_draws_the_same_stream_for_any_shape() -> None:
    flat = init_weight(12, 4, 0.1, np.float64, np.random.default_rng(0))
    conv = init_weight(12, 4, 0.1, np.float64, np.random.default_rng(0), shape=(4, 3, 2, 2))
    assert conv.shape == (4, 3, 2, 2) and flat.shape == (12, 4)
    np.testing.assert_array_equal(conv.ravel(), flat.ravel())
    assert init_weight(3, 2, 1.0, np.float32, np.random.default_rng(0)).dtype == np.float32


def test_predict_in_batches_matches_one_pass() -> None:
    X = np.random.default_rng(1).normal(size=(23, 5))
    W = np.random.default_rng(2).normal(size=(5, 4))
    seen = []

    def scores(xb: np.ndarray) -> np.ndarray:
        seen.append(xb.shape[0])
        return xb @ W

    preds = predict_in_batches(scores, X, 10)
    np.testing.assert_array_equal(preds, np.argmax(X @ W, axis=1))
    assert preds.dtype == np.int64 and seen == [10, 10, 3]
    assert predict_in_batches(scores, X[:0], 10).shape == (0,)
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
        predict_in_batches(scores, X, 0)


def test_json_weight_scale() -> None:
    assert json_weight_scale("he") == "he"
    assert type(json_weight_scale(np.float32(0.5))) is float
