"""Notebook 08: convolution, naive loops and im2col (cs_nn/layers/conv_naive.py, conv.py)."""

from __future__ import annotations

import numpy as np
import pytest
from learner_cases_conv import CONV_HINTS
from learner_support import compare, numeric_gradient_check
from make_tests import expected_value_test

import cs_nn.layers as layers

test_expected_values = expected_value_test("cs_nn.layers.conv.", "cs_nn.layers.conv_naive.conv")
CASES = [(1, 1, 3), (2, 1, 3), (1, 0, 2), (3, 2, 4)]  # stride, pad, filter size


@pytest.mark.parametrize("suffix", ["", "_naive"])
@pytest.mark.parametrize("stride,pad,k", CASES)
def test_conv_gradients_numerically(suffix, stride, pad, k):
    fwd = getattr(layers, f"conv_forward{suffix}")
    bwd = getattr(layers, f"conv_backward{suffix}")
    rng = np.random.default_rng(stride * 10 + pad)
    h = k + 2 * stride - 2 * pad  # (h + 2 * pad - k) = 2 * stride: three output rows
    h += 0 if h >= 1 else stride
    x, w, b = (rng.standard_normal((2, 2, h, h)), rng.standard_normal((3, 2, k, k)),
               rng.standard_normal(3))
    param = {"stride": stride, "pad": pad}
    out, cache = fwd(x, w, b, param)
    dout = rng.standard_normal(out.shape)
    dx, dw, db = bwd(dout, cache)
    name = f"conv{suffix} (stride {stride}, pad {pad})"
    numeric_gradient_check(lambda v: fwd(v, w, b, param)[0], x, dout, dx, f"{name} dx")
    numeric_gradient_check(lambda v: fwd(x, v, b, param)[0], w, dout, dw, f"{name} dw")
    numeric_gradient_check(lambda v: fwd(x, w, v, param)[0], b, dout, db, f"{name} db")


@pytest.mark.parametrize("stride,pad,k", CASES)
def test_conv_agrees_with_pytorch(stride, pad, k):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    h = 9 if (9 + 2 * pad - k) % stride == 0 else 10
    x, w, b = (rng.standard_normal((3, 4, h, h)), rng.standard_normal((5, 4, k, k)),
               rng.standard_normal(5))
    out, cache = layers.conv_forward(x, w, b, {"stride": stride, "pad": pad})
    dout = rng.standard_normal(out.shape)
    dx, dw, db = layers.conv_backward(dout, cache)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ot = torch.nn.functional.conv2d(xt, wt, bt, stride=stride, padding=pad)
    ot.backward(torch.tensor(dout))
    compare("conv out (against PyTorch conv2d)", out, ot.detach().numpy(), rtol=1e-9,
            hint=CONV_HINTS["out"])
    for name, got, t in (("dx", dx, xt), ("dw", dw, wt), ("db", db, bt)):
        compare(f"conv {name} (against PyTorch)", got, t.grad.numpy(), rtol=1e-9,
                hint=CONV_HINTS[name])


def test_im2col_conv_keeps_float32():
    rng = np.random.default_rng(8)
    x, w, b = (rng.standard_normal((2, 3, 6, 6)).astype(np.float32),
               rng.standard_normal((4, 3, 3, 3)).astype(np.float32), np.zeros(4, np.float32))
    out, cache = layers.conv_forward(x, w, b, {"stride": 1, "pad": 1})
    grads = layers.conv_backward(np.ones_like(out), cache)
    assert out.dtype == np.float32 and all(g.dtype == np.float32 for g in grads), (
        "float32 inputs should give float32 outputs and gradients")
