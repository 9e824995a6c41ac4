"""cs_nn.pytorch.convert: FullyConnectedNet <-> MLP with equal outputs, both directions."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from cs_nn.layers import ACTIVATIONS  # noqa: E402
from cs_nn.models import FullyConnectedNet  # noqa: E402
from cs_nn.pytorch.convert import fcnet_to_torch, torch_to_fcnet  # noqa: E402
from cs_nn.pytorch.device import seeded  # noqa: E402
from cs_nn.pytorch.mlp import MLP  # noqa: E402


@settings(max_examples=25, deadline=None)
@given(hidden=st.lists(st.integers(1, 6), max_size=3), d=st.integers(1, 6),
       c=st.integers(2, 5), n=st.integers(1, 5), act=st.sampled_from(sorted(ACTIVATIONS)),
       seed=st.integers(0, 1000))
def test_numpy_to_torch_equal_scores(hidden, d, c, n, act, seed):
    net = FullyConnectedNet(hidden, input_dim=d, num_classes=c, dtype=np.float64, seed=seed,
                            activation=act, weight_scale=0.7)
    X = np.random.default_rng(seed).standard_normal((n, d))
    mlp = fcnet_to_torch(net).eval()
    with torch.no_grad():
        scores = mlp(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(scores, net.loss(X), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_torch_to_numpy_and_back(dtype):
    with seeded(2):
        mlp = MLP(7, [5, 4], 3, activation="tanh").to(dtype).eval()
    net = torch_to_fcnet(mlp)
    assert net.dtype == (np.float32 if dtype == torch.float32 else np.float64)
    X = np.random.default_rng(0).standard_normal((6, 7)).astype(net.dtype)
    with torch.no_grad():
        expected = mlp(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(net.loss(X), expected, rtol=1e-5 if dtype == torch.float32
                               else 1e-12, atol=1e-6 if dtype == torch.float32 else 1e-12)
    again = fcnet_to_torch(net)
    for a, b in zip(mlp.parameters(), again.parameters()):
        assert torch.equal(a, b)


def test_conversion_keeps_architecture_and_does_not_touch_the_global_rng():
    net = FullyConnectedNet([9], input_dim=4, num_classes=3, dropout=0.25, seed=0,
                            activation="elu")
    torch.manual_seed(5)
    expected = torch.rand(2)
    torch.manual_seed(5)
    mlp = fcnet_to_torch(net)
    assert torch.equal(torch.rand(2), expected)
    assert mlp.config == {"n_inputs": 4, "n_hidden": [9], "n_classes": 3,
                          "activation": "elu", "dropout": 0.25}
    assert isinstance(mlp.layers[2], torch.nn.Dropout) and mlp.layers[2].p == 0.25


def test_rejects_foreign_objects():
    with pytest.raises(TypeError, match="MLP"):
        torch_to_fcnet(torch.nn.Linear(2, 2))
