"""The fixed cases of notebook 12's numpy normalisation (cs_nn/layers/normalization.py).

Registered in :data:`learner_support.CASES` on import (``learner_cases`` imports this module).
``batchnorm_forward`` is the one function allowed to write into an argument: in train mode it
stores new ``running_mean`` / ``running_var`` arrays in ``bn_param``; the cases run it on a
copy of the stored ``bn_param`` and compare what it stored there.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from learner_support import Inputs, Outputs, case, normal

#: bn_param of the cases (running averages are added per case); momentum 0.8, not the default
#: 0.9, so that a hard-coded momentum shows.
BN_PARAM: dict[str, Any] = {"eps": 1e-5, "momentum": 0.8}
MODULE = "cs_nn.layers.normalization"

BN_HINTS = {
    "out": "train mode: normalise each COLUMN (feature) with the batch mean and the biased "
           "variance (x.var(axis=0), dividing by N), add eps before the square root, then "
           "gamma * x_hat + beta; test mode: the same with bn_param's running averages",
    "bn_param['running_mean']": "store momentum * running_mean + (1 - momentum) * batch mean "
                                "in bn_param['running_mean'] (a new array)",
    "bn_param['running_var']": "store momentum * running_var + (1 - momentum) * batch variance "
                               "in bn_param['running_var'] (the biased batch variance)",
    "dx": "in train mode the batch mean and variance depend on every sample: dx has three "
          "terms (through x_hat directly, through the variance and through the mean); in "
          "test mode they are constants and dx = dout * gamma / sqrt(running_var + eps)",
    "dgamma": "dgamma sums dout * x_hat over the batch (axis 0)",
    "dbeta": "dbeta sums dout over the batch (axis 0)",
}
LN_HINTS = {
    "out": "layernorm normalises each ROW (sample) over its D features (axis=1, keepdims), "
           "then scales and shifts per feature with gamma (D,) and beta (D,)",
    "dx": "the same derivation as batchnorm's, with the sums over the D features of a row "
          "(axis 1) instead of over the batch",
    "dgamma": "dgamma still sums over the batch (axis 0): gamma is shared by all samples",
    "dbeta": "dbeta sums dout over the batch (axis 0)",
}
SPATIAL_HINTS = {
    "out": "move the channels last, (N, C, H, W) -> (N, H, W, C) -> (N*H*W, C), run "
           "batchnorm_forward, then reshape and move them back; a plain reshape to (-1, C) "
           "mixes channels",
    "dx": "the same transpose / reshape as the forward pass, and back",
    **{k: BN_HINTS[k] for k in ("bn_param['running_mean']", "bn_param['running_var']",
                                "dgamma", "dbeta")},
}


def _bn_inputs(mode: str, *x_shape: int) -> Any:
    def make(rng: np.random.Generator) -> Inputs:
        c = x_shape[1]
        x = normal(rng, *x_shape) * 2.0 + 1.5  # not already zero-mean, unit-variance
        return {"x": x, "gamma": rng.uniform(0.5, 2.0, c), "beta": normal(rng, c),
                "bn_param": {**BN_PARAM, "mode": mode, "running_mean": normal(rng, c),
                             "running_var": rng.uniform(0.5, 2.0, c)},
                "dout": normal(rng, *x_shape)}
    return make


def _stored(bn_param: dict[str, Any]) -> Outputs:
    return {f"bn_param['{k}']": bn_param[k] for k in ("running_mean", "running_var")}


def _bn_cases(mode: str, seed: int) -> None:
    def run_forward(inp: Inputs) -> Outputs:
        from cs_nn.layers import batchnorm_forward
        bn_param = dict(inp["bn_param"])
        out, _ = batchnorm_forward(inp["x"], inp["gamma"], inp["beta"], bn_param)
        return {"out": out, **(_stored(bn_param) if mode == "train" else {})}

    def run_backward(inp: Inputs) -> Outputs:
        from cs_nn.layers import batchnorm_backward, batchnorm_forward
        _, cache = batchnorm_forward(inp["x"], inp["gamma"], inp["beta"], dict(inp["bn_param"]))
        dx, dgamma, dbeta = batchnorm_backward(inp["dout"], cache)
        return {"dx": dx, "dgamma": dgamma, "dbeta": dbeta}

    make = _bn_inputs(mode, 6, 4)
    case(f"batchnorm/forward/{mode}", f"{MODULE}.batchnorm_forward", seed=seed,
         hints=BN_HINTS)(make)(run_forward)
    case(f"batchnorm/backward/{mode}", f"{MODULE}.batchnorm_backward", seed=seed,
         hints=BN_HINTS)(make)(run_backward)


_bn_cases("train", 90)
_bn_cases("test", 91)


def _ln_inputs(rng: np.random.Generator) -> Inputs:
    return {"x": normal(rng, 4, 5) * 3.0 - 1.0, "gamma": rng.uniform(0.5, 2.0, 5),
            "beta": normal(rng, 5), "ln_param": {"eps": 1e-5}, "dout": normal(rng, 4, 5)}


@case("layernorm/forward", f"{MODULE}.layernorm_forward", seed=92, hints=LN_HINTS)(_ln_inputs)
def _ln_forward(inp: Inputs) -> Outputs:
    from cs_nn.layers import layernorm_forward
    return {"out": layernorm_forward(inp["x"], inp["gamma"], inp["beta"], inp["ln_param"])[0]}


@case("layernorm/backward", f"{MODULE}.layernorm_backward", seed=92, hints=LN_HINTS)(_ln_inputs)
def _ln_backward(inp: Inputs) -> Outputs:
    from cs_nn.layers import layernorm_backward, layernorm_forward
    _, cache = layernorm_forward(inp["x"], inp["gamma"], inp["beta"], inp["ln_param"])
    dx, dgamma, dbeta = layernorm_backward(inp["dout"], cache)
    return {"dx": dx, "dgamma": dgamma, "dbeta": dbeta}


_spatial_inputs = _bn_inputs("train", 2, 3, 2, 4)


@case("spatial_batchnorm/forward", f"{MODULE}.spatial_batchnorm_forward", seed=93,
      hints=SPATIAL_HINTS)(_spatial_inputs)
def _sbn_forward(inp: Inputs) -> Outputs:
    from cs_nn.layers import spatial_batchnorm_forward
    bn_param = dict(inp["bn_param"])
    out, _ = spatial_batchnorm_forward(inp["x"], inp["gamma"], inp["beta"], bn_param)
    return {"out": out, **_stored(bn_param)}


@case("spatial_batchnorm/backward", f"{MODULE}.spatial_batchnorm_backward", seed=93,
      hints=SPATIAL_HINTS)(_spatial_inputs)
def _sbn_backward(inp: Inputs) -> Outputs:
    from cs_nn.layers import spatial_batchnorm_backward, spatial_batchnorm_forward
    _, cache = spatial_batchnorm_forward(inp["x"], inp["gamma"], inp["beta"],
                                         dict(inp["bn_param"]))
    dx, dgamma, dbeta = spatial_batchnorm_backward(inp["dout"], cache)
    return {"dx": dx, "dgamma": dgamma, "dbeta": dbeta}
