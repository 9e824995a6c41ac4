"""cs_nn.pytorch.bridge: numpy and PyTorch agree on losses, gradients and whole runs."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from cs_nn.gradcheck import eval_numerical_gradient  # noqa: E402
from cs_nn.models import FullyConnectedNet  # noqa: E402
from cs_nn.pytorch.bridge import (  # noqa: E402
    compare_loss_and_grads,
    torch_loss_and_grads,
    train_side_by_side,
)
from cs_nn.pytorch.convert import fcnet_to_torch  # noqa: E402


def _net(reg: float = 0.0, dropout: float = 0.0) -> FullyConnectedNet:
    return FullyConnectedNet([8, 6], input_dim=5, num_classes=4, dtype=np.float64, seed=1,
                             activation="elu", weight_scale=0.8, reg=reg, dropout=dropout)


def _data(n: int = 40):
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((n, 5)), rng.integers(0, 4, n)
    return {"X_train": X, "y_train": y, "X_val": X[:10], "y_val": y[:10]}


@pytest.mark.parametrize("reg", [0.0, 0.3])
def test_losses_and_gradients_agree_to_1e_10(reg):
    d = _data()
    check = compare_loss_and_grads(_net(reg), d["X_train"], d["y_train"])
    assert check.max_diff < 1e-10
    assert set(check.grad_diff) == {"W1", "b1", "W2", "b2", "W3", "b3"}


def test_torch_gradients_match_numeric_gradients():
    net = _net()
    d = _data(6)
    mlp = fcnet_to_torch(net)
    _, grads = torch_loss_and_grads(mlp, d["X_train"], d["y_train"])
    def loss_at(W2: np.ndarray) -> float:
        net.params["W2"] = W2
        return net.loss(d["X_train"], d["y_train"])[0]

    numeric = eval_numerical_gradient(loss_at, net.params["W2"].copy(), verbose=False)
    np.testing.assert_allclose(grads["W2"], numeric, rtol=1e-6, atol=1e-8)


def test_same_batches_same_curves():
    runs = train_side_by_side(_net(), _data(), lr=0.05, batch_size=8, num_steps=30, seed=3,
                              eval_every=10)
    np.testing.assert_allclose(runs.numpy.train_loss, runs.torch.train_loss, atol=1e-10)
    assert runs.numpy.val_acc == runs.torch.val_acc and runs.numpy.eval_steps == [10, 20, 30]
    for i, layer in enumerate(runs.torch_model.linear_layers(), start=1):
        np.testing.assert_allclose(layer.weight.detach().numpy().T,
                                   runs.numpy_model.params[f"W{i}"], atol=1e-10)
    assert runs.numpy.seconds > 0 and runs.torch.seconds > 0


def test_the_starting_model_is_not_modified():
    net = _net()
    before = {k: v.copy() for k, v in net.params.items()}
    train_side_by_side(net, _data(), lr=0.05, batch_size=8, num_steps=5, eval_every=5)
    assert all(np.array_equal(before[k], net.params[k]) for k in before)


def test_dropout_is_refused():
    with pytest.raises(ValueError, match="dropout"):
        compare_loss_and_grads(_net(dropout=0.5), _data()["X_train"], _data()["y_train"])
