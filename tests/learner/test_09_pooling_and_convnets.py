"""Notebook 09: max pooling and the ThreeLayerConvNet (cs_nn/layers/pool.py, conv_naive.py,
cs_nn/models/convnet.py)."""

from __future__ import annotations

import numpy as np
import pytest
from learner_cases_conv import POOL_HINTS
from learner_support import compare, loss_at, numeric_gradient_check
from make_tests import expected_value_test

import cs_nn.layers as layers
from cs_nn.gradcheck import eval_numerical_gradient

test_expected_values = expected_value_test("cs_nn.layers.pool.", "cs_nn.layers.conv_naive.max",
                                           "cs_nn.models.convnet.")


@pytest.mark.parametrize("suffix", ["", "_naive"])
@pytest.mark.parametrize("ph,pw,stride", [(2, 2, 2), (3, 2, 1), (2, 3, 2)])
def test_pool_gradients_numerically(suffix, ph, pw, stride):
    fwd = getattr(layers, f"max_pool_forward{suffix}")
    bwd = getattr(layers, f"max_pool_backward{suffix}")
    rng = np.random.default_rng(ph * 7 + pw + stride)
    x = rng.permutation(2 * 2 * 6 * 7).reshape(2, 2, 6, 7) / 10.0  # distinct values: no ties
    param = {"pool_height": ph, "pool_width": pw, "stride": stride}
    out, cache = fwd(x, param)
    dout = rng.standard_normal(out.shape)
    numeric_gradient_check(lambda v: fwd(v, param)[0], x, dout, bwd(dout, cache),
                           f"max_pool{suffix} {ph}x{pw}/{stride} dx", tol=1e-6)


def test_pool_agrees_with_pytorch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(3).standard_normal((2, 3, 8, 8))
    param = {"pool_height": 2, "pool_width": 2, "stride": 2}
    out, cache = layers.max_pool_forward(x, param)
    dout = np.random.default_rng(4).standard_normal(out.shape)
    xt = torch.tensor(x, requires_grad=True)
    ot = torch.nn.functional.max_pool2d(xt, 2, 2)
    ot.backward(torch.tensor(dout))
    compare("max_pool out (against PyTorch)", out, ot.detach().numpy())
    compare("max_pool dx (against PyTorch)", layers.max_pool_backward(dout, cache),
            xt.grad.numpy(), hint=POOL_HINTS["dx"])


def test_convnet_gradients_numerically():
    from cs_nn.models import ThreeLayerConvNet

    rng = np.random.default_rng(5)
    model = ThreeLayerConvNet(input_dim=(2, 6, 6), num_filters=3, filter_size=3, hidden_dim=5,
                              num_classes=3, weight_scale=0.3, reg=0.1, dtype=np.float64, seed=2)
    X, y = rng.standard_normal((2, 2, 6, 6)), rng.integers(0, 3, 2)
    _, grads = model.loss(X, y)
    for name in sorted(model.params):
        numeric = eval_numerical_gradient(lambda v, k=name: loss_at(model, k, v, X, y),
                                          model.params[name], verbose=False, h=1e-6)
        compare(f"ThreeLayerConvNet grads['{name}'] (against the numeric gradient)",
                grads[name], numeric, rtol=1e-5)
