"""The fixed cases of the PyTorch notebooks 11-13 (cs_nn/pytorch/): networks on fixed weights.

Registered in :data:`learner_support.CASES` on import (``learner_cases`` imports this module);
torch is imported only when a case runs, so the numpy learner tests work without it.

Fixed weights: :func:`fill_weights` gives every ``Conv2d``, ``BatchNorm2d`` and ``Linear``
module of a network seeded values (and BatchNorm its running averages), one random stream per
module type, in the order ``model.modules()`` lists the modules of that type. So the expected
values hold for any network with the layers in the right order, whatever the attribute names.
Everything runs in float64.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from learner_support import Inputs, Outputs, case, normal

WEIGHT_ORDER = ("weights are given to your Conv2d / BatchNorm2d / Linear modules in the order "
                "model.modules() lists each type: create the layers in the order of the "
                "forward pass")


def fill_weights(model: Any, seed: int) -> Any:
    """Set the parameters (and BatchNorm running averages) of ``model`` from ``seed``, in
    float64; returns the model (converted with ``.double()``)."""
    import torch
    from torch import nn

    model = model.double()
    streams = {kind: np.random.default_rng(seed + i)
               for i, kind in enumerate((nn.Conv2d, nn.modules.batchnorm._BatchNorm, nn.Linear))}

    def put(tensor: Any, values: np.ndarray) -> None:
        tensor.copy_(torch.as_tensor(values.reshape(tuple(tensor.shape))))

    with torch.no_grad():
        for module in model.modules():
            kind = next((k for k in streams if isinstance(module, k)), None)
            if kind is None:
                continue
            rng, shape = streams[kind], tuple(module.weight.shape)
            if kind is nn.modules.batchnorm._BatchNorm:
                put(module.weight, rng.uniform(0.5, 1.5, shape))
                put(module.bias, 0.2 * rng.standard_normal(shape))
                put(module.running_mean, 0.2 * rng.standard_normal(shape))
                put(module.running_var, rng.uniform(0.5, 1.5, shape))
                continue
            fan_in = int(np.prod(shape[1:]))
            put(module.weight, rng.standard_normal(shape) / np.sqrt(fan_in))
            if module.bias is not None:
                put(module.bias, 0.1 * rng.standard_normal(tuple(module.bias.shape)))
    return model


def num_params(model: Any) -> int:
    return sum(p.numel() for p in model.parameters())


def _tensor(array: np.ndarray) -> Any:
    import torch
    return torch.as_tensor(array)


def _numpy(tensor: Any) -> np.ndarray:
    return tensor.detach().numpy().copy()


# ------------------------------------------------------------------ 11 the MLP
MLP_HINTS = {"scores": "Linear - activation (- Dropout) per hidden layer, then a last Linear; "
                       "flatten X to (N, D) first (X.flatten(start_dim=1)); " + WEIGHT_ORDER,
             "number of parameters": "one Linear(d_in, d_out) per consecutive pair of "
                                     "[n_inputs, *n_hidden, n_classes], nothing else learnable"}
MLP_ARCHS = {"elu": ([5, 4], 0.0), "tanh_dropout": ([5], 0.5)}


def _mlp_case(label: str, seed: int) -> None:
    hidden, dropout = MLP_ARCHS[label]
    activation = label.split("_")[0]

    def run(inp: Inputs) -> Outputs:
        from cs_nn.pytorch.mlp import MLP
        model = fill_weights(MLP(6, hidden, 3, activation=activation, dropout=dropout),
                             inp["weight_seed"]).eval()
        return {"scores": _numpy(model(_tensor(inp["X"]))), "number of parameters":
                num_params(model)}

    case(f"torch_mlp/{label}", "cs_nn.pytorch.mlp.MLP.forward", seed=seed, hints=MLP_HINTS)(
        lambda rng: {"X": normal(rng, 4, 2, 3), "weight_seed": int(rng.integers(1000))})(run)


for _i, _label in enumerate(MLP_ARCHS):
    _mlp_case(_label, seed=100 + _i)


# ------------------------------------------------------------------ 12 LayerNorm in PyTorch
LN_HINTS = {
    "out": "normalise each ROW over its M features with the BIASED variance "
           "(x.var(dim=1, unbiased=False, keepdim=True)); then gamma * x_hat + beta",
    "dx": "a hand-written backward: check it against torch.autograd.gradcheck in float64",
    "dgamma": "dgamma sums grad_output * x_hat over the samples (dim 0)",
    "dbeta": "dbeta sums grad_output over the samples (dim 0)",
}
LN_KINDS = {"autograd": "LayerNormAutograd.forward", "function": "LayerNormFunction.backward",
            "manual": "LayerNormManual.forward"}


def layernorm_output(kind: str, x: Any, gamma: Any, beta: Any, eps: float = 1e-5) -> Any:
    """Run the learner's LayerNorm ``kind`` on x with the given gamma and beta (leaf tensors
    whose .grad the caller reads): the module's own parameters are replaced by them."""
    from cs_nn.pytorch import layernorm
    if kind == "function":
        return layernorm.LayerNormFunction.apply(x, gamma, beta, eps)
    module = getattr(layernorm, f"LayerNorm{kind.capitalize()}")(x.shape[1], eps=eps).double()
    missing = [n for n in ("gamma", "beta") if not hasattr(module, n)]
    if missing:
        raise AttributeError(f"{type(module).__name__} has no {' or '.join(missing)}: register "
                             "them in __init__ as self.gamma and self.beta (nn.Parameter)")
    module.gamma, module.beta = gamma, beta
    return module(x)


def _ln_case(kind: str, seed: int) -> None:
    def run(inp: Inputs) -> Outputs:
        import torch
        x = torch.tensor(inp["x"], requires_grad=True)
        gamma, beta = (torch.nn.Parameter(torch.tensor(inp[k])) for k in ("gamma", "beta"))
        out = layernorm_output(kind, x, gamma, beta)
        dx, dgamma, dbeta = torch.autograd.grad(out, [x, gamma, beta], _tensor(inp["dout"]))
        return {"out": _numpy(out), "dx": _numpy(dx), "dgamma": _numpy(dgamma),
                "dbeta": _numpy(dbeta)}

    case(f"torch_layernorm/{kind}", f"cs_nn.pytorch.layernorm.{LN_KINDS[kind]}", seed=seed,
         hints=LN_HINTS)(
        lambda rng: {"x": normal(rng, 4, 5) * 2 + 1, "gamma": rng.uniform(0.5, 2.0, 5),
                     "beta": normal(rng, 5), "dout": normal(rng, 4, 5)})(run)


for _i, _kind in enumerate(LN_KINDS):
    _ln_case(_kind, seed=110 + _i)


@case("torch_layernorm/init", "cs_nn.pytorch.layernorm._LayerNormBase.__init__", seed=113,
      hints={"gamma": "gamma = nn.Parameter(torch.ones(n_neurons))",
             "beta": "beta = nn.Parameter(torch.zeros(n_neurons))",
             "number of parameters": "exactly two learnable vectors of n_neurons values: "
                                     "gamma and beta"})(lambda rng: {"n_neurons": 4})
def _ln_init(inp: Inputs) -> Outputs:
    from cs_nn.pytorch.layernorm import LayerNormManual
    module = LayerNormManual(inp["n_neurons"])
    return {"gamma": _numpy(module.gamma), "beta": _numpy(module.beta),
            "number of parameters": num_params(module)}


# ------------------------------------------------------------------ 13 ConvNets and training
CNN_HINTS = {"out": "num_convs times (Conv2d 3x3 padding 1, BatchNorm2d, ReLU), then "
                    "MaxPool2d(2, 2); " + WEIGHT_ORDER,
             "out (train mode)": "in train mode BatchNorm2d uses the batch statistics: the "
                                 "order conv - BatchNorm - ReLU matters",
             "scores": "features (the conv blocks) then flatten - dropout - linear - ReLU - "
                       "dropout - linear; " + WEIGHT_ORDER,
             "number of parameters": "compare your layers with the docstring's table"}
SMALL_CNN = {"in_channels": 1, "image_size": 8, "num_classes": 3, "channels": [2, 3],
             "convs_per_block": 2, "hidden_dim": 5, "dropout": 0.3}


def _train_and_eval(model: Any, x: np.ndarray) -> Outputs:
    out = {"out": _numpy(model.eval()(_tensor(x)))}
    out["out (train mode)"] = _numpy(model.train()(_tensor(x)))
    return out


@case("torch_cnn/conv_block", "cs_nn.pytorch.cnn.conv_block", seed=120, hints=CNN_HINTS)(
    lambda rng: {"x": normal(rng, 2, 2, 4, 6), "weight_seed": int(rng.integers(1000))})
def _conv_block(inp: Inputs) -> Outputs:
    from cs_nn.pytorch.cnn import conv_block
    return _train_and_eval(fill_weights(conv_block(2, 3, 2), inp["weight_seed"]), inp["x"])


@case("torch_cnn/small_cnn", "cs_nn.pytorch.cnn.SmallCNN.forward", seed=121, hints=CNN_HINTS)(
    lambda rng: {"X": normal(rng, 2, 1, 8, 8), "weight_seed": int(rng.integers(1000))})
def _small_cnn(inp: Inputs) -> Outputs:
    from cs_nn.pytorch.cnn import SmallCNN
    model = fill_weights(SmallCNN(**SMALL_CNN), inp["weight_seed"]).eval()
    return {"scores": _numpy(model(_tensor(inp["X"]))), "number of parameters":
            num_params(model)}


@case("torch_cnn/configs", "cs_nn.pytorch.cnn.SmallCNN.__init__", seed=122,
      hints={k: CNN_HINTS["number of parameters"] for k in ("FASHION", "FER", "CIFAR")})(
    lambda rng: {})
def _cnn_configs(inp: Inputs) -> Outputs:
    from cs_nn.pytorch import cnn
    return {name: num_params(cnn.SmallCNN(**getattr(cnn, f"{name}_CONFIG")))
            for name in ("FASHION", "FER", "CIFAR")}


PREACT_HINTS = {"out": "x + conv(relu(bn(x))): BatchNorm2d first, then ReLU, then the 3x3 "
                       "convolution (stride 1, padding 1), and the input added back",
                "out (train mode)": "the skip connection adds the block's INPUT x, not the "
                                    "normalised one",
                "scores": "the layers of the seed's table in order, then BatchNorm - ReLU - "
                          "flatten - linear; " + WEIGHT_ORDER}


@case("torch_preact/block", "cs_nn.pytorch.preact.PreActBlock.forward", seed=130,
      hints=PREACT_HINTS)(
    lambda rng: {"x": normal(rng, 2, 3, 4, 4), "weight_seed": int(rng.integers(1000))})
def _preact_block(inp: Inputs) -> Outputs:
    from cs_nn.pytorch.preact import PreActBlock
    return _train_and_eval(fill_weights(PreActBlock(3), inp["weight_seed"]), inp["x"])


@case("torch_preact/net", "cs_nn.pytorch.preact.PreActConvNet.forward", seed=131,
      hints=PREACT_HINTS)(
    lambda rng: {"X": normal(rng, 2, 3, 32, 32), "weight_seed": int(rng.integers(1000))})
def _preact_net(inp: Inputs) -> Outputs:
    from cs_nn.pytorch.preact import PreActConvNet
    model = fill_weights(PreActConvNet(), inp["weight_seed"]).eval()
    return {"scores": _numpy(model(_tensor(inp["X"])))}


STEP_HINTS = {
    "loss returned by step 1": "return the mean cross-entropy of the batch BEFORE the update "
                               "(F.cross_entropy(model(X), y))",
    "loss returned by step 2": "step 1 did not update the weights as expected: "
                               "loss.backward() then optimizer.step()",
    "loss after step 2": "call optimizer.zero_grad() before loss.backward(): otherwise the "
                         "gradients of step 1 add up with those of step 2",
    "first layer weight after step 2": "call optimizer.zero_grad() before loss.backward()",
}


@case("torch_loop/train_step", "cs_nn.pytorch.loop.train_step", seed=140, hints=STEP_HINTS)(
    lambda rng: {"X": normal(rng, 8, 6), "y": rng.integers(0, 3, 8),
                 "weight_seed": int(rng.integers(1000)), "lr": 0.5})
def _train_step(inp: Inputs) -> Outputs:
    import torch
    import torch.nn.functional as F  # noqa: N812 - the PyTorch convention

    from cs_nn.pytorch.loop import train_step
    model = fill_weights(torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.ELU(),
                                             torch.nn.Linear(5, 3)), inp["weight_seed"])
    optimizer = torch.optim.SGD(model.parameters(), lr=inp["lr"])
    X, y = _tensor(inp["X"]), _tensor(inp["y"]).long()
    out = {f"loss returned by step {i}": train_step(model, optimizer, X, y) for i in (1, 2)}
    with torch.no_grad():
        out["loss after step 2"] = float(F.cross_entropy(model(X), y))
    out["first layer weight after step 2"] = _numpy(model[0].weight)
    return out
