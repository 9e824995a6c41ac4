"""Sandwich layers: common chains of layers as one forward / backward pair.

Each forward returns ``(out, cache)`` where cache holds the caches of its parts; each
backward runs the parts' backward passes in reverse order and returns the gradients of the
sandwich's inputs (dx, dw, db).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from cs_nn.layers.activations import relu_backward, relu_forward
from cs_nn.layers.conv import conv_backward, conv_forward
from cs_nn.layers.linear import linear_backward, linear_forward
from cs_nn.layers.pool import max_pool_backward, max_pool_forward

Grads = tuple[np.ndarray, np.ndarray, np.ndarray]


def linear_relu_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, tuple]:
    """Linear then ReLU. x: (N, d1..dk), w: (D, M), b: (M,). Returns out (N, M) and a cache."""
    a, linear_cache = linear_forward(x, w, b)
    out, relu_cache = relu_forward(a)
    return out, (linear_cache, relu_cache)


def linear_relu_backward(dout: np.ndarray, cache: tuple) -> Grads:
    """Backward of :func:`linear_relu_forward`. dout: (N, M). Returns dx, dw (D, M), db (M,)."""
    linear_cache, relu_cache = cache
    da = relu_backward(dout, relu_cache)
    return linear_backward(da, linear_cache)


def conv_relu_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray,
                      conv_param: Mapping[str, int]) -> tuple[np.ndarray, tuple]:
    """Convolution then ReLU. x: (N, C, H, W), w: (F, C, HH, WW), b: (F,).

    Returns out (N, F, H', W') and a cache.
    """
    a, conv_cache = conv_forward(x, w, b, conv_param)
    out, relu_cache = relu_forward(a)
    return out, (conv_cache, relu_cache)


def conv_relu_backward(dout: np.ndarray, cache: tuple) -> Grads:
    """Backward of :func:`conv_relu_forward`. dout: (N, F, H', W').

    Returns dx (N, C, H, W), dw (F, C, HH, WW), db (F,).
    """
    conv_cache, relu_cache = cache
    da = relu_backward(dout, relu_cache)
    return conv_backward(da, conv_cache)


def conv_relu_pool_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray,
                           conv_param: Mapping[str, int],
                           pool_param: Mapping[str, int]) -> tuple[np.ndarray, tuple]:
    """Convolution, ReLU, max pooling. x: (N, C, H, W), w: (F, C, HH, WW), b: (F,).

    Returns out (N, F, H'', W'') (the pooled size) and a cache.
    """
    a, conv_cache = conv_forward(x, w, b, conv_param)
    # ReLU is increasing, so max(relu(window)) == relu(max(window)): pooling FIRST gives the
    # same output and the same gradient (the routed maximum is the same input, and when it
    # is <= 0 both orders pass back zero), but the ReLU then runs on a quarter of the values.
    pooled, pool_cache = max_pool_forward(a, pool_param)
    out, relu_cache = relu_forward(pooled)
    return out, (conv_cache, pool_cache, relu_cache)


def conv_relu_pool_backward(dout: np.ndarray, cache: tuple) -> Grads:
    """Backward of :func:`conv_relu_pool_forward`. dout: (N, F, H'', W'').

    Returns dx (N, C, H, W), dw (F, C, HH, WW), db (F,).
    """
    conv_cache, pool_cache, relu_cache = cache
    dpooled = relu_backward(dout, relu_cache)
    da = max_pool_backward(dpooled, pool_cache)
    return conv_backward(da, conv_cache)
