"""cs_nn.pytorch.mlp: shapes, layer list, activations, bad arguments."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from cs_nn.pytorch.device import seeded  # noqa: E402
from cs_nn.pytorch.mlp import ACTIVATIONS, MLP  # noqa: E402


def test_forward_shape_flattens_images():
    with seeded(0):
        mlp = MLP(3 * 4 * 4, [7, 5], 3)
    assert mlp(torch.zeros(6, 3, 4, 4)).shape == (6, 3)


def test_layer_list_of_seed_003_mlp():
    mlp = MLP(3072, [100], 10, activation="elu")
    kinds = [type(m) for m in mlp.layers]
    assert kinds == [nn.Linear, nn.ELU, nn.Linear]
    assert mlp.layers[0].weight.shape == (100, 3072)
    assert sum(p.numel() for p in mlp.parameters()) == 3072 * 100 + 100 + 100 * 10 + 10


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_every_activation_and_dropout(name):
    mlp = MLP(4, [3], 2, activation=name, dropout=0.5)
    assert isinstance(mlp.layers[1], ACTIVATIONS[name])
    assert isinstance(mlp.layers[2], nn.Dropout)


def test_softmax_regression_has_one_layer():
    assert len(MLP(4, [], 3).linear_layers()) == 1


def test_gradcheck_double():
    with seeded(1):
        mlp = MLP(5, [4], 3).double()
    X = torch.randn(3, 5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: mlp(x), (X,))


@pytest.mark.parametrize("kwargs", [{"activation": "swish"}, {"dropout": 1.0},
                                    {"n_hidden": [0]}, {"n_classes": 1}])
def test_bad_arguments(kwargs):
    args = {"n_inputs": 4, "n_hidden": [3], "n_classes": 2, **kwargs}
    with pytest.raises(ValueError):
        MLP(**args)
