"""The fixed cases of convolution and max pooling (notebooks 08 and 09): cs_nn/layers/conv.py,
conv_naive.py and pool.py, each on two shapes (stride and padding both exercised).

Registered in :data:`learner_support.CASES` on import (``learner_cases`` imports this module).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from learner_support import Inputs, Outputs, case, normal


# ------------------------------------------------------------------ 08 convolution
def _conv_inputs(shape_x: tuple[int, ...], shape_w: tuple[int, ...], stride: int, pad: int
                 ) -> Callable[[np.random.Generator], Inputs]:
    def make(rng: np.random.Generator) -> Inputs:
        return {"x": normal(rng, *shape_x), "w": normal(rng, *shape_w),
                "b": normal(rng, shape_w[0]), "conv_param": {"stride": stride, "pad": pad}}
    return make


CONV_SHAPES = {"stride2_pad1": ((2, 3, 5, 5), (3, 3, 3, 3), 2, 1),
               "stride1_pad2": ((2, 2, 4, 4), (4, 2, 3, 3), 1, 2)}
CONV_HINTS = {"out": "pad x with conv_param['pad'] zeros on EACH side, then take every window "
                     "at steps of conv_param['stride']; add b[f] to filter f's outputs",
              "dx": "dx has x's (unpadded) shape: crop the padding off the padded gradient",
              "dw": "dw sums over the images of the batch", "db": "db sums dout over N, H', W'"}


def _conv_cases(suffix: str, module: str, seed: int) -> None:
    for i, (label, (sx, sw, stride, pad)) in enumerate(CONV_SHAPES.items()):
        make = _conv_inputs(sx, sw, stride, pad)

        def run_forward(inp: Inputs, s: str = suffix) -> Outputs:
            import cs_nn.layers as layers
            fwd = getattr(layers, f"conv_forward{s}")
            return {"out": fwd(inp["x"], inp["w"], inp["b"], inp["conv_param"])[0]}

        def make_b(rng: np.random.Generator, make: Any = make, sx: Any = sx, sw: Any = sw,
                   stride: int = stride, pad: int = pad) -> Inputs:
            inputs = make(rng)
            h_out = 1 + (sx[2] + 2 * pad - sw[2]) // stride
            w_out = 1 + (sx[3] + 2 * pad - sw[3]) // stride
            inputs["dout"] = normal(rng, sx[0], sw[0], h_out, w_out)
            return inputs

        def run_backward(inp: Inputs, s: str = suffix) -> Outputs:
            import cs_nn.layers as layers
            _, cache = getattr(layers, f"conv_forward{s}")(inp["x"], inp["w"], inp["b"],
                                                          inp["conv_param"])
            dx, dw, db = getattr(layers, f"conv_backward{s}")(inp["dout"], cache)
            return {"dx": dx, "dw": dw, "db": db}

        case(f"conv{suffix}/forward/{label}", f"{module}.conv_forward{suffix}", seed=seed + i,
             hints=CONV_HINTS)(make)(run_forward)
        case(f"conv{suffix}/backward/{label}", f"{module}.conv_backward{suffix}", seed=seed + i,
             hints=CONV_HINTS)(make_b)(run_backward)


_conv_cases("", "cs_nn.layers.conv", seed=50)
_conv_cases("_naive", "cs_nn.layers.conv_naive", seed=55)


# ------------------------------------------------------------------ 09 pooling and ConvNet
POOLS = {"2x2_stride2": ((2, 2, 4, 6), {"pool_height": 2, "pool_width": 2, "stride": 2}),
         "3x2_stride1": ((1, 2, 5, 4), {"pool_height": 3, "pool_width": 2, "stride": 1})}
POOL_HINTS = {"dx": "each window's gradient goes to the input that was its maximum; "
                    "overlapping windows add up"}


def _pool_cases(suffix: str, module: str, seed: int) -> None:
    for i, (label, (sx, param)) in enumerate(POOLS.items()):
        def make(rng: np.random.Generator, sx: Any = sx, param: Any = param) -> Inputs:
            h_out = 1 + (sx[2] - param["pool_height"]) // param["stride"]
            w_out = 1 + (sx[3] - param["pool_width"]) // param["stride"]
            return {"x": normal(rng, *sx), "pool_param": dict(param),
                    "dout": normal(rng, sx[0], sx[1], h_out, w_out)}

        def run_forward(inp: Inputs, s: str = suffix) -> Outputs:
            import cs_nn.layers as layers
            return {"out": getattr(layers, f"max_pool_forward{s}")(inp["x"], inp["pool_param"])[0]}

        def run_backward(inp: Inputs, s: str = suffix) -> Outputs:
            import cs_nn.layers as layers
            _, cache = getattr(layers, f"max_pool_forward{s}")(inp["x"], inp["pool_param"])
            return {"dx": getattr(layers, f"max_pool_backward{s}")(inp["dout"], cache)}

        case(f"max_pool{suffix}/forward/{label}", f"{module}.max_pool_forward{suffix}",
             seed=seed + i)(make)(run_forward)
        case(f"max_pool{suffix}/backward/{label}", f"{module}.max_pool_backward{suffix}",
             seed=seed + i, hints=POOL_HINTS)(make)(run_backward)


_pool_cases("", "cs_nn.layers.pool", seed=60)
_pool_cases("_naive", "cs_nn.layers.conv_naive", seed=65)
