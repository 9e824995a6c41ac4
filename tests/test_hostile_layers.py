"""Issue 13 case 16, layers: NaN into conv / max-pool, and scores too extreme for a finite
softmax loss, are refused by the validation before the solution region."""

from __future__ import annotations

import numpy as np
import pytest

from cs_nn._checks import NonFiniteError
from cs_nn.layers import conv_forward, max_pool_forward, softmax_loss


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_conv_and_pool_refuse_non_finite_input(bad):
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 6))
    x[1, 2, 3, 4] = bad
    w = np.ones((4, 3, 3, 3)) * 0.1
    with pytest.raises(NonFiniteError, match="x contains 1 NaN or infinite"):
        conv_forward(x, w, np.zeros(4), {"stride": 1, "pad": 1})
    with pytest.raises(NonFiniteError, match="x contains 1 NaN or infinite"):
        max_pool_forward(x, {"pool_height": 2, "pool_width": 2, "stride": 2})


def test_finite_input_still_passes_and_is_not_copied():
    x = np.random.default_rng(1).standard_normal((2, 3, 4, 4)).astype(np.float32)
    out, _ = max_pool_forward(x, {"pool_height": 2, "pool_width": 2, "stride": 2})
    assert out.shape == (2, 3, 2, 2) and np.all(np.isfinite(out))


@pytest.mark.filterwarnings("ignore:overflow encountered")  # the -inf of a losing class
@pytest.mark.parametrize("dtype, big", [(np.float64, 1.7e308), (np.float32, 3.3e38)])
def test_softmax_loss_refuses_scores_whose_loss_overflows(dtype, big):
    scores = np.array([[big, -big], [0.0, 1.0]], dtype=dtype)
    with pytest.raises(NonFiniteError, match=r"diverged: scores are too extreme .*\(in row 0"):
        softmax_loss(scores, np.array([1, 0]))
    loss, dscores = softmax_loss(scores, np.array([0, 1]))  # the true class is the max: fine
    assert np.isfinite(loss) and np.all(np.isfinite(dscores))


def test_softmax_loss_large_but_representable_scores():
    scores = np.array([[1e300, -1e300, 0.0]])
    loss, _ = softmax_loss(scores, np.array([2]))
    assert loss == pytest.approx(1e300)
