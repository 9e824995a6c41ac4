"""numpy <-> PyTorch: a ``FullyConnectedNet`` becomes the equivalent :class:`MLP` and back.

    net = FullyConnectedNet([100], activation="elu", dtype=np.float64, seed=0)
    mlp = fcnet_to_torch(net)          # same weights, same dtype: same scores, same gradients
    back = torch_to_fcnet(mlp)         # a FullyConnectedNet with mlp's weights

The only real difference is the weight layout: cs_nn stores W as (D_in, D_out) and computes
``x @ W + b``; ``nn.Linear`` stores ``weight`` as (D_out, D_in) and computes
``x @ weight.T + bias``. So W is transposed on the way in and on the way out.
"""

from __future__ import annotations

import numpy as np
import torch

from cs_nn.models import FullyConnectedNet
from cs_nn.pytorch.device import seeded
from cs_nn.pytorch.mlp import MLP

NOTEBOOK = "11_from_numpy_to_pytorch"
_DTYPES = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}


def fcnet_to_torch(model: FullyConnectedNet) -> MLP:
    """The :class:`MLP` computing exactly what ``model`` computes (same dtype, a copy of its
    weights). Dropout becomes ``nn.Dropout`` with the same DROP probability; the L2 penalty
    (``model.reg``) is not part of a torch module: give it to the optimiser if you need it."""
    if getattr(model, "normalization", None) not in (None, "none"):
        raise ValueError(f"only networks without normalisation layers convert to MLP; this "
                         f"one uses normalization={model.normalization!r}")
    dtype = _DTYPES.get(np.dtype(model.dtype))
    if dtype is None:
        raise TypeError(f"the model's dtype must be float32 or float64, got {model.dtype}")
    with seeded(0):  # the initial values are overwritten below; keep the global RNG untouched
        mlp = MLP(model.input_dim, model.hidden_dims, model.num_classes,
                  activation=model.activation, dropout=model.dropout).to(dtype)
    with torch.no_grad():
        for i, layer in enumerate(mlp.linear_layers(), start=1):
            layer.weight.copy_(torch.from_numpy(np.ascontiguousarray(model.params[f"W{i}"].T)))
            layer.bias.copy_(torch.from_numpy(np.asarray(model.params[f"b{i}"])))
    return mlp


def torch_to_fcnet(mlp: MLP, *, reg: float = 0.0) -> FullyConnectedNet:
    """The ``FullyConnectedNet`` computing exactly what ``mlp`` computes (same dtype)."""
    if not isinstance(mlp, MLP):
        raise TypeError(f"expected a cs_nn.pytorch.mlp.MLP, got {type(mlp).__name__}")
    layers = mlp.linear_layers()
    dtype = layers[0].weight.dtype
    np_dtype = {v: k for k, v in _DTYPES.items()}.get(dtype)
    if np_dtype is None:
        raise TypeError(f"the MLP's dtype must be float32 or float64, got {dtype}")
    cfg = mlp.config
    net = FullyConnectedNet(cfg["n_hidden"], input_dim=cfg["n_inputs"],
                            num_classes=cfg["n_classes"], dropout=cfg["dropout"], reg=reg,
                            dtype=np_dtype, seed=0, activation=cfg["activation"])
    for i, layer in enumerate(layers, start=1):
        W = layer.weight.detach().cpu().numpy().T  # (D_out, D_in) -> (D_in, D_out)
        net.params[f"W{i}"] = W.astype(np_dtype)
        net.params[f"b{i}"] = layer.bias.detach().cpu().numpy().astype(np_dtype)
    return net
