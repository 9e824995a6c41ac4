"""Notebook 11: the MLP of seed 003 section 2 in PyTorch (cs_nn/pytorch/mlp.py)."""

from __future__ import annotations

import pytest
from make_tests import expected_value_test

torch = pytest.importorskip("torch")
nn = torch.nn

test_expected_values = expected_value_test("cs_nn.pytorch.mlp.", needs="torch")


def _layer_kinds(model) -> list[str]:
    return [type(m).__name__ for m in model.modules()
            if not isinstance(m, nn.Sequential) and m is not model]


def test_mlp_of_seed_003_has_the_right_layers_and_parameters():
    from cs_nn.pytorch.mlp import MLP

    model = MLP(3 * 32 * 32, [100], 10, activation="elu")
    kinds = _layer_kinds(model)
    assert kinds == ["Linear", "ELU", "Linear"], (
        f"MLP(3072, [100], 10, 'elu') has the layers {kinds}; seed 003 asks for Linear(3072, "
        "100) - ELU - Linear(100, 10) (the softmax is left to the loss)")
    shapes = [tuple(m.weight.shape) for m in model.linear_layers()]
    assert shapes == [(100, 3072), (10, 100)], (
        f"the Linear layers' weights have shapes {shapes}; expected [(100, 3072), (10, 100)] "
        "(nn.Linear(d_in, d_out) stores (d_out, d_in))")
    count = sum(p.numel() for p in model.parameters())
    want = 3072 * 100 + 100 + 100 * 10 + 10
    assert count == want, f"the MLP has {count} parameters, expected {want} (two Linear layers)"


def test_mlp_puts_dropout_after_every_hidden_activation():
    from cs_nn.pytorch.mlp import MLP

    kinds = _layer_kinds(MLP(10, [8, 6], 4, activation="tanh", dropout=0.2))
    want = ["Linear", "Tanh", "Dropout", "Linear", "Tanh", "Dropout", "Linear"]
    assert kinds == want, (
        f"MLP(10, [8, 6], 4, 'tanh', dropout=0.2) has the layers {kinds}, expected {want}: "
        "one Dropout after each hidden activation, none after the last Linear")
    drops = [m.p for m in MLP(10, [8], 4, dropout=0.2).modules() if isinstance(m, nn.Dropout)]
    assert drops == [0.2], f"the Dropout probabilities are {drops}, expected [0.2]"
    assert _layer_kinds(MLP(10, [8], 4)) == ["Linear", "ELU", "Linear"], (
        "with dropout=0 the MLP should have no Dropout layer")
    assert _layer_kinds(MLP(10, [], 4)) == ["Linear"], (
        "MLP(10, [], 4) (no hidden layer) is softmax regression: a single Linear(10, 4)")


@pytest.mark.parametrize("shape", [(5, 48), (5, 3, 4, 4), (1, 48)])
def test_mlp_flattens_its_input_and_returns_scores(shape):
    from cs_nn.pytorch.mlp import MLP

    model = MLP(48, [7], 3)
    scores = model(torch.zeros(shape))
    assert tuple(scores.shape) == (shape[0], 3), (
        f"MLP(48, [7], 3) on inputs of shape {shape} returned shape {tuple(scores.shape)}, "
        f"expected ({shape[0]}, 3): flatten each sample first (X.flatten(start_dim=1))")
