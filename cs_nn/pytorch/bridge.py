"""The bridge of notebook 11: one network in numpy (``FullyConnectedNet``) and in PyTorch
(:class:`MLP`), shown to compute the same losses and gradients and to train identically.

    check = compare_loss_and_grads(net, X, y)      # float64: differences ~1e-15
    runs = train_side_by_side(net, data, lr=2e-3, batch_size=200, num_steps=1500, seed=0)
    runs.numpy.train_loss, runs.torch.train_loss   # the same curve, step by step

Both sides see the same minibatches (:func:`cs_nn.pytorch.loop.batch_schedule`) and take
plain SGD steps (``cs_nn.optim.sgd`` and ``torch.optim.SGD``); ``History.seconds`` times
each side alone, which is the numpy-vs-PyTorch speed comparison of the benchmarks.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812 - the PyTorch convention

from cs_nn.data import flatten, subtract_mean
from cs_nn.models import FullyConnectedNet
from cs_nn.optim import sgd
from cs_nn.pytorch.convert import fcnet_to_torch
from cs_nn.pytorch.loop import History, batch_schedule, evaluate, train_step
from cs_nn.pytorch.mlp import MLP

NOTEBOOK = "11_from_numpy_to_pytorch"


@dataclass(frozen=True)
class BridgeCheck:
    """Loss of each side and the largest absolute gradient difference per parameter."""

    loss_numpy: float
    loss_torch: float
    grad_diff: dict[str, float]  # "W1", "b1", ... -> max |numpy grad - torch grad|

    @property
    def max_diff(self) -> float:
        return max(abs(self.loss_numpy - self.loss_torch), *self.grad_diff.values())


@dataclass(frozen=True)
class SideBySide:
    """What :func:`train_side_by_side` returns: both histories and both trained networks."""

    numpy: History
    torch: History
    numpy_model: FullyConnectedNet
    torch_model: MLP

    def histories(self) -> dict[str, History]:
        return {"numpy": self.numpy, "PyTorch": self.torch}


def torch_loss_and_grads(mlp: MLP, X: np.ndarray, y: np.ndarray, reg: float = 0.0
                         ) -> tuple[float, dict[str, np.ndarray]]:
    """Mean cross-entropy (+ ``0.5 * reg * sum W**2``) of ``mlp`` on X (N, D), y (N,) and its
    gradients by autograd, in cs_nn's names and layout: "W1" (D, H1), "b1" (H1,), ..."""
    dtype = mlp.linear_layers()[0].weight.dtype
    mlp.zero_grad()
    mlp.train()
    scores = mlp(torch.as_tensor(np.asarray(X)).to(dtype))  # (N, C)
    loss = F.cross_entropy(scores, torch.as_tensor(np.asarray(y), dtype=torch.int64))
    layers = mlp.linear_layers()
    if reg:
        loss = loss + 0.5 * reg * sum((layer.weight ** 2).sum() for layer in layers)
    loss.backward()
    grads: dict[str, np.ndarray] = {}
    for i, layer in enumerate(layers, start=1):
        grads[f"W{i}"] = layer.weight.grad.detach().cpu().numpy().T  # (D_in, D_out)
        grads[f"b{i}"] = layer.bias.grad.detach().cpu().numpy()
    return float(loss.detach()), grads


def compare_loss_and_grads(model: FullyConnectedNet, X: np.ndarray, y: np.ndarray
                           ) -> BridgeCheck:
    """Loss and gradients of ``model`` (numpy backward) against its PyTorch twin (autograd)."""
    if model.dropout > 0:
        raise ValueError("dropout draws different masks in numpy and PyTorch: compare a "
                         "network without dropout")
    loss_np, grads_np = model.loss(X, y)
    loss_t, grads_t = torch_loss_and_grads(fcnet_to_torch(model), X, y, reg=model.reg)
    diff = {k: float(np.max(np.abs(grads_np[k] - grads_t[k]))) for k in grads_np}
    return BridgeCheck(float(loss_np), loss_t, diff)


def _numpy_accuracy(model: FullyConnectedNet, X: np.ndarray, y: np.ndarray) -> float:
    scores = np.concatenate([model.loss(X[i:i + 1000]) for i in range(0, len(X), 1000)])
    return float(np.mean(scores.argmax(axis=1) == y))


def train_side_by_side(model: FullyConnectedNet, data: Mapping[str, Any], *, lr: float = 2e-3,
                       batch_size: int = 200, num_steps: int = 1500, seed: int = 0,
                       eval_every: int = 100, max_train_eval: int = 2000
                       ) -> SideBySide:
    """Train a copy of ``model`` in numpy and its PyTorch twin with SGD on the same batches.

    Args:
        model: the starting network (not modified); no dropout, reg applies to both sides.
        data: X_train (N, D), y_train (N,), X_val, y_val.
        lr, batch_size, num_steps: plain SGD (seed 003's defaults: 2e-3, 200, 1500).
        seed: the minibatch order (the same for both sides).
        eval_every: steps between accuracy measurements.

    Returns:
        A :class:`SideBySide` with both histories (``seconds``: that side's training time)
        and both trained networks.
    """
    if model.dropout > 0:
        raise ValueError("train_side_by_side needs a network without dropout (the two "
                         "libraries draw different masks)")
    X_train, y_train = np.asarray(data["X_train"]), np.asarray(data["y_train"])
    sub = np.random.default_rng(seed).permutation(len(y_train))[:max_train_eval]

    net = FullyConnectedNet(**model.config)
    net.params = {k: v.copy() for k, v in model.params.items()}
    h_np = History(steps_per_epoch=len(y_train) // batch_size)
    start = time.perf_counter()
    for step, idx in zip(range(1, num_steps + 1), batch_schedule(len(y_train), batch_size, seed)):
        loss, grads = net.loss(X_train[idx], y_train[idx])
        for k in net.params:
            net.params[k], _ = sgd(net.params[k], grads[k], {"learning_rate": lr})
        h_np.train_loss.append(float(loss))
        if step % eval_every == 0 or step == num_steps:
            h_np.eval_steps.append(step)
            h_np.train_acc.append(_numpy_accuracy(net, X_train[sub], y_train[sub]))
            h_np.val_acc.append(_numpy_accuracy(net, np.asarray(data["X_val"]),
                                                np.asarray(data["y_val"])))
    h_np.seconds = time.perf_counter() - start

    mlp = fcnet_to_torch(model)
    dtype = mlp.linear_layers()[0].weight.dtype
    opt = torch.optim.SGD(mlp.parameters(), lr=lr, weight_decay=model.reg)
    h_t = History(steps_per_epoch=h_np.steps_per_epoch)
    start = time.perf_counter()
    for step, idx in zip(range(1, num_steps + 1), batch_schedule(len(y_train), batch_size, seed)):
        Xb = torch.as_tensor(X_train[idx]).to(dtype)
        h_t.train_loss.append(train_step(mlp, opt, Xb, torch.as_tensor(y_train[idx])))
        if step % eval_every == 0 or step == num_steps:
            h_t.eval_steps.append(step)
            h_t.train_acc.append(evaluate(mlp, X_train[sub], y_train[sub])[1])
            h_t.val_acc.append(evaluate(mlp, data["X_val"], data["y_val"])[1])
    h_t.seconds = time.perf_counter() - start
    return SideBySide(h_np, h_t, net, mlp)


def seed_003_inputs(data: Mapping[str, Any]) -> dict[str, Any]:
    """Seed 003's CIFAR-10 preprocessing for the MLP: pixel values 0..255 (the loaders give
    [0, 1]), flattened to (N, 3072), minus the per-pixel mean of the training images (no
    division by a standard deviation). Returns a new dict with X_* replaced (float32)."""
    scaled = {k: (np.asarray(v, dtype=np.float32) * np.float32(255.0) if k.startswith("X_")
                  else v) for k, v in data.items()}
    out, _ = subtract_mean(flatten(scaled))
    return out
