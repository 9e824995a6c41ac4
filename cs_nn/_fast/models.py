"""The models' loss without work nobody uses: the speed path of cs_nn.models (instructor-only).

Same results as ``FullyConnectedNet.loss`` and ``ThreeLayerConvNet.loss`` (whose solution
regions call the learner-facing layers), minus three pieces of work:

- no dx for the first layer (its input is the data batch, whose gradient nobody uses):
  one matmul less for an MLP, no col2im for the ConvNet;
- X is scanned for NaN / infinity once, by the model, not again by the first layer;
- with ``reg == 0`` the L2 penalty (exactly zero) is not computed;
- the ConvNet's conv -> ReLU -> pool block (with non-overlapping pooling) runs fused per chunk
  of images (:mod:`cs_nn._fast.conv_pool`), and with two BLAS threads the ConvNet's whole
  step runs on two ranges of images at once (see :func:`convnet_loss`).

Normalisation layers (``normalization=``) run as in the region, between linear and activation.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cs_nn._checks import as_label_array
from cs_nn._fast import conv as fast_conv
from cs_nn._fast import conv_pool
from cs_nn._fast._parallel import run_ranges, split, sum_in_order
from cs_nn.layers import (
    ACTIVATIONS,
    NORMALIZATIONS,
    dropout_backward,
    dropout_forward,
    l2_regularization,
    linear_backward,
    linear_forward,
    linear_relu_backward,
    linear_relu_forward,
    max_pool_backward,
    relu_backward,
    softmax_loss,
)
from cs_nn.layers.linear import LinearCache, check_linear_inputs
from cs_nn.layers.sandwich import conv_relu_pool_forward

Grads = dict[str, np.ndarray]

# Ranges of images per thread in the ConvNet's threaded step. More would balance the load
# when a core is busy, but every range reads the hidden layer's weights and writes its own
# (D, hidden_dim) gradient: measured 10 ms per step with 1, 11.5 with 2, 23 with 4.
_STEP_PIECES_PER_THREAD = 1


def _inputs(model: Any, X: np.ndarray, y: np.ndarray | None
            ) -> tuple[np.ndarray, np.ndarray | None, bool]:
    """The model's own checks of X and y; train is whether labels were given."""
    X = model._check_inputs(X)
    if y is None:
        return X, None, False
    return X, as_label_array("y", y, num_classes=model.num_classes, n=X.shape[0]), True


def _linear_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray, check_x_finite: bool
                    ) -> tuple[np.ndarray, LinearCache]:
    x, w, b = check_linear_inputs(x, w, b, check_x_finite)
    return x.reshape(x.shape[0], -1) @ w + b, (x, w)


def _linear_backward_no_dx(dout: np.ndarray, cache: LinearCache) -> tuple[np.ndarray, np.ndarray]:
    x, _ = cache
    return x.reshape(x.shape[0], -1).T @ dout, dout.sum(axis=0)


def _add_l2(model: Any, loss: float, grads: Grads, names: list[str]) -> float:
    if model.reg != 0:  # with reg = 0 the penalty and its gradient are exactly zero
        for name in names:
            reg_loss, dw = l2_regularization(model.params[name], model.reg)
            loss += reg_loss
            grads[name] = grads[name] + dw
    return loss


def fcnet_loss(model: Any, X: np.ndarray, y: np.ndarray | None = None
                           ) -> np.ndarray | tuple[float, Grads]:
    """``FullyConnectedNet.loss``, same arguments and results."""
    X, y, train = _inputs(model, X, y)
    rng = model.rng if model.dropout_seed is None else np.random.default_rng(model.dropout_seed)
    dropout_param = {"p": model.dropout, "mode": "train" if train else "test", "rng": rng}
    L, p = model.num_layers, model.params
    act_forward, act_backward = ACTIVATIONS[model.activation]
    norm_forward, norm_backward = NORMALIZATIONS.get(model.normalization, (None, None))
    if model.normalization == "batchnorm":
        for bn_param in model.bn_params:
            bn_param["mode"] = "train" if train else "test"
    h, caches = X, []
    for i in range(1, L):
        h, lin_cache = _linear_forward(h, p[f"W{i}"], p[f"b{i}"], check_x_finite=i > 1)
        norm_cache = None
        if norm_forward is not None:
            h, norm_cache = norm_forward(h, p[f"gamma{i}"], p[f"beta{i}"],
                                         model.bn_params[i - 1])
        h, act_cache = act_forward(h)
        drop_cache = None
        if model.use_dropout:
            h, drop_cache = dropout_forward(h, dropout_param)
        caches.append((lin_cache, norm_cache, act_cache, drop_cache))
    scores, out_cache = _linear_forward(h, p[f"W{L}"], p[f"b{L}"], check_x_finite=L > 1)
    if not train:
        return scores
    grads: Grads = {}
    loss, dh = softmax_loss(scores, y)
    linear_caches = [c[0] for c in caches] + [out_cache]  # layer i's is linear_caches[i - 1]
    for i in range(L, 1, -1):
        dh, grads[f"W{i}"], grads[f"b{i}"] = linear_backward(dh, linear_caches[i - 1])
        _, norm_cache, act_cache, drop_cache = caches[i - 2]
        if drop_cache is not None:
            dh = dropout_backward(dh, drop_cache)
        dh = act_backward(dh, act_cache)
        if norm_cache is not None:
            dh, grads[f"gamma{i - 1}"], grads[f"beta{i - 1}"] = norm_backward(dh, norm_cache)
    grads["W1"], grads["b1"] = _linear_backward_no_dx(dh, linear_caches[0])
    return _add_l2(model, loss, grads, [f"W{i}" for i in range(1, L + 1)]), grads


def _block_backward_no_dx(fused: bool, dh1: np.ndarray, cache1: tuple
                         ) -> tuple[np.ndarray, np.ndarray]:
    """dW1, db1 of the conv -> ReLU -> pool block (conv_relu_pool_backward without dx)."""
    if fused:
        return conv_pool.conv_pool_relu_backward_no_dx(dh1, cache1)
    conv_cache, pool_cache, relu_cache = cache1
    da = max_pool_backward(relu_backward(dh1, relu_cache), pool_cache)
    _, dw, db = fast_conv.conv_backward(da, conv_cache, need_dx=False)
    return dw, db


def convnet_loss(model: Any, X: np.ndarray, y: np.ndarray | None = None
                           ) -> np.ndarray | tuple[float, Grads]:
    """``ThreeLayerConvNet.loss``, same arguments and results.

    With a multi-threaded BLAS the whole step runs per range of images, one range per thread
    with one BLAS thread each (:func:`cs_nn._fast._parallel.run_ranges`); only the softmax
    loss sees the whole batch. The forward's and the backward's ranges are the same cut, and
    the per-range weight gradients are added in range order: same result every time.
    """
    X, y, train = _inputs(model, X, y)
    p = model.params
    fused = conv_pool.fusable(model.pool_param)  # non-overlapping pooling: one fused pass
    block_forward = conv_pool.conv_pool_relu_forward if fused else conv_relu_pool_forward
    bounds = split(X.shape[0], conv_pool.min_parallel_images(X, p["W1"], model.conv_param),
                   pieces_per_thread=_STEP_PIECES_PER_THREAD)

    def forward(lo: int, hi: int) -> tuple[np.ndarray, tuple]:
        h1, cache1 = block_forward(X[lo:hi], p["W1"], p["b1"], model.conv_param,
                                   model.pool_param)  # (m, F, H/2, W/2)
        h2, cache2 = linear_relu_forward(h1, p["W2"], p["b2"])  # (m, hidden_dim)
        scores, cache3 = linear_forward(h2, p["W3"], p["b3"])  # (m, num_classes)
        return scores, (cache1, cache2, cache3)

    parts = run_ranges(forward, bounds)
    scores = np.concatenate([part[0] for part in parts]) if len(parts) > 1 else parts[0][0]
    if not train:
        return scores
    loss, dscores = softmax_loss(scores, y)  # (N, num_classes), already divided by N
    caches = {lo: part[1] for lo, part in zip(bounds, parts)}

    def backward(lo: int, hi: int) -> Grads:
        cache1, cache2, cache3 = caches[lo]
        g: Grads = {}
        dh2, g["W3"], g["b3"] = linear_backward(dscores[lo:hi], cache3)
        dh1, g["W2"], g["b2"] = linear_relu_backward(dh2, cache2)
        g["W1"], g["b1"] = _block_backward_no_dx(fused, dh1, cache1)
        return g

    partial = run_ranges(backward, bounds)  # the same ranges as the forward's
    grads = {name: sum_in_order([g[name] for g in partial])  # range order: deterministic
             for name in ("W1", "b1", "W2", "b2", "W3", "b3")}
    return _add_l2(model, loss, grads, ["W1", "W2", "W3"]), grads
