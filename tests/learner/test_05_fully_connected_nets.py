"""Notebook 05: FullyConnectedNet (cs_nn/models/fcnet.py) and the module API (cs_nn/nn/)."""

from __future__ import annotations

import numpy as np
import pytest
from learner_support import compare, loss_at
from make_tests import expected_value_test

from cs_nn.gradcheck import eval_numerical_gradient

test_expected_values = expected_value_test("cs_nn.models.fcnet.", "cs_nn.nn.")


@pytest.mark.parametrize("reg", [0.0, 0.3])
def test_fcnet_gradients_numerically(reg):
    from cs_nn.models import FullyConnectedNet

    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((3, 5)), rng.integers(0, 4, 3)
    model = FullyConnectedNet([6, 4], input_dim=5, num_classes=4, reg=reg, weight_scale=0.5,
                              dtype=np.float64, seed=1)
    _, grads = model.loss(X, y)
    for name in sorted(model.params):
        numeric = eval_numerical_gradient(lambda v, k=name: loss_at(model, k, v, X, y),
                                          model.params[name], verbose=False, h=1e-6)
        compare(f"FullyConnectedNet grads['{name}'] (against the numeric gradient), reg={reg}",
                grads[name], numeric, rtol=1e-6,
                hint="the L2 penalty acts on the weights only, not on the biases" if reg
                else "")


def test_fcnet_initial_loss_is_about_log_c():
    from cs_nn.models import FullyConnectedNet

    rng = np.random.default_rng(1)
    model = FullyConnectedNet([50], input_dim=20, num_classes=10, weight_scale=1e-3, seed=0)
    loss, _ = model.loss(rng.standard_normal((200, 20)), rng.integers(0, 10, 200))
    assert abs(loss - np.log(10)) < 0.05, (
        f"with tiny weights every class is equally likely, so the loss should be about "
        f"log(10) = {np.log(10):.3f}; got {loss:.3f}")


def test_two_layer_net_is_linear_relu_linear():
    from cs_nn.nn import Classifier, TwoLayerNet, mlp

    model = TwoLayerNet(input_dim=7, hidden_dim=6, num_classes=4, weight_scale=0.3,
                        dtype=np.float64, seed=5)
    kinds = [type(m).__name__ for m in model.network]
    assert kinds == ["Linear", "ReLU", "Linear"], (
        f"TwoLayerNet's network is {kinds}, expected Linear(D, H) - ReLU - Linear(H, C)")
    twin = Classifier(mlp(7, [6], 4, weight_scale=0.3, dtype=np.float64, seed=5)).params
    for name in ("0.W", "0.b", "2.W", "2.b"):
        compare(f"TwoLayerNet params['{name}'] at the start", model.params[name],
                twin[name], rtol=0,
                hint="draw both Linear layers from the one generator rng, W1 first, with "
                     "the weight_scale and dtype given (as mlp(D, [H], C, seed=s) does)")
