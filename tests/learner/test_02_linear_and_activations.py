"""Notebook 02: linear layer and activations (cs_nn/layers/linear.py, activations.py)."""

from __future__ import annotations

import numpy as np
import pytest
from learner_cases import ACTIVATION_ARGS
from learner_support import compare, numeric_gradient_check
from make_tests import expected_value_test

import cs_nn.layers as layers

test_expected_values = expected_value_test("cs_nn.layers.linear.", "cs_nn.layers.activations.")


def test_linear_gradients_numerically():
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((4, 2, 3)), rng.standard_normal((6, 5)), rng.standard_normal(5)
    out, cache = layers.linear_forward(x, w, b)
    dout = rng.standard_normal(out.shape)
    dx, dw, db = layers.linear_backward(dout, cache)
    numeric_gradient_check(lambda v: layers.linear_forward(v, w, b)[0], x, dout, dx, "dx")
    numeric_gradient_check(lambda v: layers.linear_forward(x, v, b)[0], w, dout, dw, "dw")
    numeric_gradient_check(lambda v: layers.linear_forward(x, w, v)[0], b, dout, db, "db")


@pytest.mark.parametrize("act", sorted(ACTIVATION_ARGS))
def test_activation_gradients_numerically(act):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 4)) + np.sign(rng.standard_normal((5, 4))) * 0.1  # off the kink
    fwd, bwd = getattr(layers, f"{act}_forward"), getattr(layers, f"{act}_backward")
    kw = ACTIVATION_ARGS[act]
    out, cache = fwd(x, **kw)
    dout = rng.standard_normal(out.shape)
    numeric_gradient_check(lambda v: fwd(v, **kw)[0], x, dout, bwd(dout, cache), f"{act} dx")


@pytest.mark.parametrize("act", sorted(ACTIVATION_ARGS))
def test_activations_keep_float32(act):
    x = np.linspace(-2, 2, 12, dtype=np.float32).reshape(3, 4)
    out, cache = getattr(layers, f"{act}_forward")(x, **ACTIVATION_ARGS[act])
    dx = getattr(layers, f"{act}_backward")(np.ones_like(out), cache)
    assert out.dtype == np.float32 and dx.dtype == np.float32, (
        f"{act}: float32 in should give float32 out (got {out.dtype}, {dx.dtype}); avoid "
        "float64 constants such as np.float64(...) or np.ones(..) without dtype")


def test_linear_agrees_with_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    x, w, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 2)), rng.standard_normal(2)
    out, cache = layers.linear_forward(x, w, b)
    dout = rng.standard_normal(out.shape)
    dx, dw, db = layers.linear_backward(dout, cache)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ot = xt @ wt + bt
    ot.backward(torch.tensor(dout))
    compare("linear out (against PyTorch)", out, ot.detach().numpy())
    for name, got, t in (("dx", dx, xt), ("dw", dw, wt), ("db", db, bt)):
        compare(f"linear {name} (against PyTorch)", got, t.grad.numpy())
