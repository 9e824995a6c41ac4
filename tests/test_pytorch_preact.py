"""cs_nn.pytorch.preact: the seed 003 §4 network, layer by layer against the seed's table."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from cs_nn.pytorch.device import seeded  # noqa: E402
from cs_nn.pytorch.preact import SEED_TABLE as TABLE  # noqa: E402 - seed 003, figure 5
from cs_nn.pytorch.preact import PreActBlock, PreActConvNet  # noqa: E402


def _table_parameter_count() -> int:
    total = 0
    for name, k, _, _, c_in, c_out in TABLE:
        if name.startswith("conv"):
            total += c_in * c_out * k * k + c_out
        elif name.startswith("PreAct"):  # BatchNorm (gamma, beta) + conv
            total += 2 * c_in + c_in * c_out * k * k + c_out
    return total + 2 * 512 + 512 * 10 + 10  # final BatchNorm + linear 512 -> 10


def test_layers_match_the_seed_table():
    net = PreActConvNet()
    names = [name for name, *_ in TABLE]
    assert list(net.layers._modules) == names
    for name, k, s, p, c_in, c_out in TABLE:
        layer = getattr(net.layers, name)
        if name.startswith("conv"):
            assert isinstance(layer, nn.Conv2d)
            assert (layer.kernel_size, layer.stride, layer.padding) == ((k, k), (s, s), (p, p))
            assert (layer.in_channels, layer.out_channels) == (c_in, c_out)
        elif name.startswith("PreAct"):
            assert isinstance(layer, PreActBlock)
            assert isinstance(layer.bn, nn.BatchNorm2d) and layer.bn.num_features == c_in
            conv = layer.conv
            assert (conv.kernel_size, conv.stride, conv.padding) == ((k, k), (s, s), (p, p))
            assert (conv.in_channels, conv.out_channels) == (c_in, c_out)
        else:
            assert isinstance(layer, nn.MaxPool2d)
            assert (layer.kernel_size, layer.stride, layer.padding) == (k, s, p)
    head = [type(m) for m in net.head]
    assert head == [nn.BatchNorm2d, nn.ReLU, nn.Flatten, nn.Linear]


def test_parameter_count_matches_the_table():
    net = PreActConvNet()
    assert sum(p.numel() for p in net.parameters()) == _table_parameter_count() == 11_138_122


def test_forward_shape_and_spatial_sizes():
    with seeded(0):
        net = PreActConvNet().eval()
    X = torch.zeros(2, 3, 32, 32)
    sizes = []
    h = X
    for name, module in net.layers.named_children():
        h = module(h)
        if name.startswith("maxpool"):
            sizes.append(h.shape[-1])
    assert sizes == [16, 8, 4, 2, 1]
    assert net(X).shape == (2, 10)


def test_preact_block_is_residual():
    block = PreActBlock(4)
    with torch.no_grad():
        block.conv.weight.zero_()
        block.conv.bias.zero_()
    x = torch.randn(2, 4, 5, 5)
    assert torch.equal(block(x), x)


def test_wrong_input_shape():
    with pytest.raises(ValueError, match="32, 32"):
        PreActConvNet()(torch.zeros(1, 3, 28, 28))
