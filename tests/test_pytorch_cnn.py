"""cs_nn.pytorch.cnn: conv blocks, the three presets, shape errors."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from cs_nn.pytorch.cnn import (  # noqa: E402
    CIFAR_CONFIG,
    FASHION_CONFIG,
    FER_CONFIG,
    SmallCNN,
    conv_block,
)
from cs_nn.pytorch.device import seeded  # noqa: E402


def test_conv_block_halves_the_image():
    block = conv_block(3, 8, 2)
    assert [type(m) for m in block] == [nn.Conv2d, nn.BatchNorm2d, nn.ReLU] * 2 + [nn.MaxPool2d]
    assert block(torch.zeros(2, 3, 10, 10)).shape == (2, 8, 5, 5)


@pytest.mark.parametrize("config", [FASHION_CONFIG, FER_CONFIG, CIFAR_CONFIG])
def test_presets_forward_shape(config):
    with seeded(0):
        net = SmallCNN(**config).eval()
    c, s = config["in_channels"], config["image_size"]
    assert net(torch.zeros(2, c, s, s)).shape == (2, config["num_classes"])
    assert SmallCNN(**net.config).config == net.config  # config rebuilds the model


def test_parameter_count_of_fashion_preset():
    net = SmallCNN(**FASHION_CONFIG)
    conv = (1 * 32 * 9 + 32) + (32 * 64 * 9 + 64)
    bn = 2 * (32 + 64)
    linear = (64 * 7 * 7 * 256 + 256) + (256 * 10 + 10)
    assert sum(p.numel() for p in net.parameters()) == conv + bn + linear


def test_wrong_input_shape_is_named():
    net = SmallCNN(**FASHION_CONFIG)
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        net(torch.zeros(2, 3, 28, 28))


def test_image_size_must_divide():
    with pytest.raises(ValueError, match="divisible"):
        SmallCNN(image_size=30, channels=[8, 16])


def test_deterministic_init_under_seed():
    with seeded(3):
        a = SmallCNN(**CIFAR_CONFIG)
    with seeded(3):
        b = SmallCNN(**CIFAR_CONFIG)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
