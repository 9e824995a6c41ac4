"""Notebook 04: inverted dropout (cs_nn/layers/dropout.py). The mask is random, so these are
property tests: which values can appear, how many are dropped, and that backward matches."""

from __future__ import annotations

import numpy as np
import pytest
from learner_support import compare, numeric_gradient_check

from cs_nn.layers import dropout_backward, dropout_forward


@pytest.mark.parametrize("p", [0.25, 0.6])
def test_train_mode_drops_about_p_and_scales_the_rest(p):
    x = np.random.default_rng(0).uniform(1, 2, size=(400, 250))
    out, _ = dropout_forward(x, {"p": p, "mode": "train", "seed": 1})
    assert out.shape == x.shape, f"out has shape {out.shape}, expected x's shape {x.shape}"
    dropped = out == 0
    kept = ~dropped
    assert abs(dropped.mean() - p) < 0.01, (
        f"dropped a fraction {dropped.mean():.3f} of the values, expected about p = {p}: p is "
        "the probability of DROPPING a unit")
    compare("kept values", out[kept], x[kept] / (1 - p),
            hint="inverted dropout scales the kept values by 1 / (1 - p) at training time")
    assert abs(out.mean() / x.mean() - 1) < 0.02, "the mean activation should be unchanged"


def test_test_mode_is_the_identity():
    x = np.random.default_rng(2).standard_normal((5, 6))
    out, cache = dropout_forward(x, {"p": 0.5, "mode": "test"})
    compare("test-mode out", out, x, hint="in test mode dropout does nothing")
    compare("test-mode dx", dropout_backward(np.ones_like(x), cache), np.ones_like(x))


def test_same_seed_same_mask_and_backward_uses_it():
    rng = np.random.default_rng(3)
    x, dout = rng.standard_normal((6, 5)), rng.standard_normal((6, 5))
    param = {"p": 0.4, "mode": "train", "seed": 7}
    out, cache = dropout_forward(x, param)
    again, _ = dropout_forward(x, param)
    compare("out with the same seed twice", again, out, hint="draw the mask from the given "
            "seed / rng so a run can be repeated")
    dx = dropout_backward(dout, cache)
    numeric_gradient_check(lambda v: dropout_forward(v, param)[0], x, dout, dx, "dropout dx")
