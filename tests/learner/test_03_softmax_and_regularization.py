"""Notebook 03: softmax cross-entropy and L2 regularisation (cs_nn/layers/losses.py)."""

from __future__ import annotations

import numpy as np
import pytest
from learner_support import compare
from make_tests import expected_value_test

from cs_nn.gradcheck import eval_numerical_gradient
from cs_nn.layers import l2_regularization, softmax_loss

test_expected_values = expected_value_test("cs_nn.layers.losses.")


def test_softmax_loss_of_equal_scores_is_log_c():
    loss, dscores = softmax_loss(np.zeros((6, 5)), np.arange(6) % 5)
    compare("softmax_loss of all-zero scores (every class equally likely)", loss, np.log(5),
            hint="the loss is the MEAN of -log p over the N samples")
    assert np.abs(dscores.sum(axis=1)).max() < 1e-12, (
        "each row of dscores should sum to 0 (softmax(scores) - one_hot(y), divided by N)")


def test_softmax_loss_is_stable_for_large_scores():
    scores = np.array([[1000.0, 0.0, -1000.0], [0.0, 800.0, 0.0]])
    loss, dscores = softmax_loss(scores, np.array([0, 1]))
    assert np.isfinite(loss) and np.all(np.isfinite(dscores)), (
        "softmax_loss overflows on large scores: subtract each row's maximum before exp")


def test_softmax_gradient_numerically():
    rng = np.random.default_rng(3)
    scores, y = rng.standard_normal((5, 4)), rng.integers(0, 4, 5)
    _, dscores = softmax_loss(scores, y)
    numeric = eval_numerical_gradient(lambda s: softmax_loss(s, y)[0], scores.copy(),
                                      verbose=False)
    compare("dscores (against the numeric gradient of your loss)", dscores, numeric, rtol=1e-7,
            hint="the loss is a mean over N, so dscores is divided by N")


def test_l2_gradient_numerically():
    w = np.random.default_rng(4).standard_normal((3, 4))
    _, dw = l2_regularization(w, 0.7)
    numeric = eval_numerical_gradient(lambda v: l2_regularization(v, 0.7)[0], w.copy(),
                                      verbose=False)
    compare("l2_regularization dw (against the numeric gradient)", dw, numeric)


def test_softmax_loss_agrees_with_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    scores, y = rng.standard_normal((6, 3)) * 2, rng.integers(0, 3, 6)
    loss, dscores = softmax_loss(scores, y)
    st = torch.tensor(scores, requires_grad=True)
    lt = torch.nn.functional.cross_entropy(st, torch.tensor(y))
    lt.backward()
    compare("softmax_loss (against PyTorch cross_entropy)", loss, lt.item())
    compare("dscores (against PyTorch)", dscores, st.grad.numpy())
