"""Notebook 13: ConvNets in PyTorch (cs_nn/pytorch/cnn.py, preact.py) and the training step
(cs_nn/pytorch/loop.py)."""

from __future__ import annotations

import numpy as np
import pytest
from learner_cases_pytorch import fill_weights, num_params
from make_tests import expected_value_test

torch = pytest.importorskip("torch")
nn = torch.nn

test_expected_values = expected_value_test("cs_nn.pytorch.cnn.", "cs_nn.pytorch.preact.",
                                           "cs_nn.pytorch.loop.", needs="torch")


def _kinds(module) -> list[str]:
    return [type(m).__name__ for m in module.modules()
            if not isinstance(m, nn.Sequential) and m is not module]


def _conv_as(conv, k: int, s: int, p: int, c_in: int, c_out: int) -> tuple:
    return ((conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding),
            (c_in, c_out, (k, k), (s, s), (p, p)))


def test_conv_block_layers_and_output_shape():
    from cs_nn.pytorch.cnn import conv_block

    block = conv_block(3, 8, 2)
    kinds = _kinds(block)
    want = ["Conv2d", "BatchNorm2d", "ReLU", "Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d"]
    assert kinds == want, f"conv_block(3, 8, 2) has the layers {kinds}, expected {want}"
    convs = [m for m in block.modules() if isinstance(m, nn.Conv2d)]
    for conv, c_in in zip(convs, (3, 8), strict=True):
        got, expected = _conv_as(conv, 3, 1, 1, c_in, 8)
        assert got == expected, (
            f"a convolution of conv_block(3, 8, 2) has (in, out, kernel, stride, padding) = "
            f"{got}, expected {expected}: 3x3, padding 1; the first takes in_channels, the "
            "next ones out_channels")
    pool = next(m for m in block.modules() if isinstance(m, nn.MaxPool2d))
    assert (pool.kernel_size, pool.stride) in ((2, 2), ((2, 2), (2, 2))), (
        f"the pool has kernel {pool.kernel_size} and stride {pool.stride}, expected 2 and 2")
    out = block(torch.zeros(2, 3, 6, 10))
    assert tuple(out.shape) == (2, 8, 3, 5), (
        f"conv_block(3, 8, 2) maps (2, 3, 6, 10) to {tuple(out.shape)}, expected (2, 8, 3, 5)")


@pytest.mark.parametrize("name", ["FASHION", "FER", "CIFAR"])
def test_small_cnn_configurations_give_scores(name):
    from cs_nn.pytorch import cnn

    config = getattr(cnn, f"{name}_CONFIG")
    model = cnn.SmallCNN(**config).eval()
    size, c = config["image_size"], config["in_channels"]
    scores = model(torch.zeros(2, c, size, size))
    assert tuple(scores.shape) == (2, config["num_classes"]), (
        f"SmallCNN(**{name}_CONFIG) returned scores of shape {tuple(scores.shape)} for 2 "
        f"images, expected (2, {config['num_classes']})")
    convs = sum(isinstance(m, nn.Conv2d) for m in model.modules())
    assert convs == len(config["channels"]) * config["convs_per_block"], (
        f"SmallCNN(**{name}_CONFIG) has {convs} convolutions, expected one block per entry of "
        "channels, each with convs_per_block convolutions")


def test_preact_net_follows_the_seed_table():
    from cs_nn.pytorch.preact import SEED_TABLE, PreActBlock, PreActConvNet

    net = PreActConvNet()
    names = [n for n, _ in net.layers.named_children()]
    want = [row[0] for row in SEED_TABLE]
    assert names == want, f"net.layers holds {names}; the seed's table lists {want}"
    expected_count = 0
    for name, k, s, p, c_in, c_out in SEED_TABLE:
        layer = getattr(net.layers, name)
        if name.startswith("conv"):
            assert isinstance(layer, nn.Conv2d), f"{name} should be one nn.Conv2d"
            got, expected = _conv_as(layer, k, s, p, c_in, c_out)
            expected_count += k * k * c_in * c_out + c_out
        elif name.startswith("PreAct"):
            assert isinstance(layer, PreActBlock), f"{name} should be a PreActBlock"
            convs = [m for m in layer.modules() if isinstance(m, nn.Conv2d)]
            bns = [m for m in layer.modules() if isinstance(m, nn.BatchNorm2d)]
            assert len(convs) == 1 and len(bns) == 1, (
                f"{name} should hold one BatchNorm2d and one Conv2d, has {len(bns)} and "
                f"{len(convs)}")
            assert bns[0].num_features == c_in, f"{name}'s BatchNorm2d should have {c_in} features"
            got, expected = _conv_as(convs[0], k, s, p, c_in, c_out)
            expected_count += k * k * c_in * c_out + c_out + 2 * c_in
        else:
            assert isinstance(layer, nn.MaxPool2d), f"{name} should be an nn.MaxPool2d"
            got = (layer.kernel_size, layer.stride, layer.padding)
            expected = (k, s, p)
        assert got == expected, f"{name} is {got}, the seed's table says {expected}"
    kinds = _kinds(net.head)
    assert kinds == ["BatchNorm2d", "ReLU", "Flatten", "Linear"], (
        f"net.head has the layers {kinds}; expected BatchNorm2d(512) - ReLU - Flatten - "
        "Linear(512, 10)")
    expected_count += 2 * 512 + 512 * 10 + 10
    assert num_params(net) == expected_count, (
        f"PreActConvNet has {num_params(net)} parameters; the seed's table gives "
        f"{expected_count}")


def test_preact_block_adds_its_input_back():
    from cs_nn.pytorch.preact import PreActBlock

    block = PreActBlock(4).double()
    with torch.no_grad():
        for conv in (m for m in block.modules() if isinstance(m, nn.Conv2d)):
            conv.weight.zero_()
            conv.bias.zero_()
    x = torch.tensor(np.random.default_rng(9).standard_normal((2, 4, 5, 5)))
    out = block(x)
    assert tuple(out.shape) == (2, 4, 5, 5), (
        f"PreActBlock(4) maps (2, 4, 5, 5) to {tuple(out.shape)}: padding 1 keeps the size")
    assert torch.allclose(out, x), (
        "with its convolution zeroed a PreActBlock should return its input unchanged: the "
        "block is x + conv(relu(bn(x))), the skip connection adds the input x")


def test_preact_net_gives_scores():
    from cs_nn.pytorch.preact import PreActConvNet

    scores = PreActConvNet(n_classes=7).eval()(torch.zeros(2, 3, 32, 32))
    assert tuple(scores.shape) == (2, 7), (
        f"PreActConvNet(n_classes=7) returned scores of shape {tuple(scores.shape)} for 2 "
        "images, expected (2, 7)")


def test_train_step_updates_the_model_and_returns_the_loss():
    from cs_nn.pytorch.loop import train_step

    model = fill_weights(nn.Sequential(nn.Linear(4, 3)), seed=1)
    before = model[0].weight.detach().clone()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    X = torch.tensor(np.random.default_rng(2).standard_normal((6, 4)))
    y = torch.tensor([0, 1, 2, 0, 1, 2])
    loss = train_step(model, optimizer, X, y)
    assert isinstance(loss, float), f"train_step returned {type(loss).__name__}, expected float"
    assert not torch.equal(before, model[0].weight.detach()), (
        "train_step did not change the weights: call loss.backward() and optimizer.step()")
    assert all(p.grad is not None for p in model.parameters()), (
        "after train_step the parameters have no gradient: call loss.backward()")
