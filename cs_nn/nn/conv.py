"""Object-style convolution and max-pooling modules, wrapping the functional layers.

Like every module, ``forward(x)`` keeps the cache of its LAST call and ``backward(dout)``
uses it, fills ``grads`` (Conv2d: "W" and "b") and returns ``dx``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cs_nn._checks import as_dtype, check_int
from cs_nn.layers import conv_backward, conv_forward, max_pool_backward, max_pool_forward
from cs_nn.modelkit import WeightScale, init_weight
from cs_nn.nn.layers import _Cached


class Conv2d(_Cached):
    """2-D convolution layer (a cross-correlation, as in PyTorch).

    Args:
        in_channels: C, channels of the input.
        out_channels: F, number of filters.
        kernel_size: filter height and width (square filters).
        stride: step between windows; must divide ``H + 2 * pad - kernel_size``.
        pad: zero pixels added on EACH side of the height and the width.
        weight_scale: standard deviation of the initial weights, or "he"
            (sqrt(2 / fan_in), fan_in = C * k * k) or "xavier" (sqrt(2 / (fan_in + fan_out))).
        dtype: float32 or float64 for the parameters.
        rng: a Generator (shared between layers) or a seed.

    params: "W" (F, C, k, k) and "b" (F,), zero-initialised biases.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                 pad: int = 0, weight_scale: WeightScale = 1e-2, dtype: Any = np.float32,
                 rng: np.random.Generator | int | None = None) -> None:
        super().__init__()
        self.in_channels = check_int("in_channels", in_channels, 1)
        self.out_channels = check_int("out_channels", out_channels, 1)
        self.kernel_size = check_int("kernel_size", kernel_size, 1)
        self.stride = check_int("stride", stride, 1)
        self.pad = check_int("pad", pad, 0)
        fan_in = self.in_channels * self.kernel_size ** 2
        fan_out = self.out_channels * self.kernel_size ** 2
        dt = as_dtype(dtype)
        rng = np.random.default_rng(rng)
        shape = (self.out_channels, self.in_channels, self.kernel_size, self.kernel_size)
        self.params["W"] = init_weight(fan_in, fan_out, weight_scale, dt, rng, shape)
        self.params["b"] = np.zeros(self.out_channels, dtype=dt)

    @property
    def conv_param(self) -> dict[str, int]:
        return {"stride": self.stride, "pad": self.pad}

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (N, C, H, W). Returns (N, F, H', W'), ``H' = 1 + (H + 2 pad - k) / stride``."""
        out, self._cache = conv_forward(x, self.params["W"], self.params["b"], self.conv_param)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """dout: (N, F, H', W'). Sets grads "W", "b"; returns dx (N, C, H, W)."""
        dx, self.grads["W"], self.grads["b"] = conv_backward(dout, self._last_cache())
        return dx

    def __repr__(self) -> str:
        return (f"Conv2d({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, pad={self.pad})")


class MaxPool2d(_Cached):
    """Max pooling over square windows.

    Args:
        pool_size: window height and width.
        stride: step between windows (default 2; equal to pool_size means no overlap).
    """

    def __init__(self, pool_size: int = 2, stride: int = 2) -> None:
        super().__init__()
        self.pool_size = check_int("pool_size", pool_size, 1)
        self.stride = check_int("stride", stride, 1)

    @property
    def pool_param(self) -> dict[str, int]:
        return {"pool_height": self.pool_size, "pool_width": self.pool_size,
                "stride": self.stride}

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (N, C, H, W). Returns (N, C, H', W'), ``H' = 1 + (H - pool_size) // stride``."""
        out, self._cache = max_pool_forward(x, self.pool_param)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """dout: (N, C, H', W'). Returns dx (N, C, H, W)."""
        return max_pool_backward(dout, self._last_cache())

    def __repr__(self) -> str:
        return f"MaxPool2d(pool_size={self.pool_size}, stride={self.stride})"
