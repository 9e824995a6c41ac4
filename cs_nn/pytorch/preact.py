"""The pre-activation VGG-style ConvNet of seed 003 section 4 (CIFAR-10, 3 x 32 x 32).

Layers, exactly as the seed's table (kernel / stride / padding, channels in -> out)::

    conv0     3x3 /1 /1    3 ->  64      PreAct3_a, PreAct3_b  3x3 /1 /1  256 -> 256
    PreAct1   3x3 /1 /1   64 ->  64      conv3     1x1 /1 /0  256 -> 512
    conv1     1x1 /1 /0   64 -> 128      maxpool3  3x3 /2 /1
    maxpool1  3x3 /2 /1                  PreAct4_a, PreAct4_b  3x3 /1 /1  512 -> 512
    PreAct2_a, PreAct2_b  3x3 /1 /1  128 -> 128     maxpool4  3x3 /2 /1
    conv2     1x1 /1 /0  128 -> 256      PreAct5_a, PreAct5_b  3x3 /1 /1  512 -> 512
    maxpool2  3x3 /2 /1                  maxpool5  3x3 /2 /1
                                         BatchNorm - ReLU - linear 512 -> 10

A "conv" is a single convolution with no activation; a PreAct block is
``x + conv3x3(relu(batchnorm(x)))`` (a simplified pre-activation ResNet block). Each
3x3/2 pool with padding 1 halves the size: 32 -> 16 -> 8 -> 4 -> 2 -> 1, so the linear layer
sees 512 features. All layers keep PyTorch's default initialisation.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import torch
from torch import nn

NOTEBOOK = "13_pytorch_convnets"

#: Seed 003's table (figure 5), the docstring's above as data: (name, kernel, stride, padding,
#: channels in, channels out) of every layer of ``net.layers``, in order.
SEED_TABLE: list[tuple[str, int, int, int, int, int]] = [
    ("conv0", 3, 1, 1, 3, 64), ("PreAct1", 3, 1, 1, 64, 64), ("conv1", 1, 1, 0, 64, 128),
    ("maxpool1", 3, 2, 1, 128, 128), ("PreAct2_a", 3, 1, 1, 128, 128),
    ("PreAct2_b", 3, 1, 1, 128, 128), ("conv2", 1, 1, 0, 128, 256),
    ("maxpool2", 3, 2, 1, 256, 256), ("PreAct3_a", 3, 1, 1, 256, 256),
    ("PreAct3_b", 3, 1, 1, 256, 256), ("conv3", 1, 1, 0, 256, 512),
    ("maxpool3", 3, 2, 1, 512, 512), ("PreAct4_a", 3, 1, 1, 512, 512),
    ("PreAct4_b", 3, 1, 1, 512, 512), ("maxpool4", 3, 2, 1, 512, 512),
    ("PreAct5_a", 3, 1, 1, 512, 512), ("PreAct5_b", 3, 1, 1, 512, 512),
    ("maxpool5", 3, 2, 1, 512, 512),
]


class PreActBlock(nn.Module):
    """``x + conv(relu(bn(x)))`` with a 3x3 convolution (stride 1, padding 1).

    Shapes: (N, C, H, W) -> (N, C, H, W).
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        # BEGIN SOLUTION
        self.bn = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU()
        self.conv = nn.Conv2d(channels, channels, kernel_size=3, stride=1, padding=1)
        # END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # BEGIN SOLUTION
        return x + self.conv(self.relu(self.bn(x)))
        # END SOLUTION


def _pool() -> nn.MaxPool2d:
    return nn.MaxPool2d(kernel_size=3, stride=2, padding=1)


class PreActConvNet(nn.Module):
    """Seed 003's ConvNet. ``forward``: images (N, n_channels, 32, 32) -> scores (N, n_classes).

    The layers are named as in the seed's table (``net.layers.conv0``, ``net.layers.PreAct2_a``
    ...); ``net.head`` is the final BatchNorm - ReLU - linear.
    """

    def __init__(self, n_channels: int = 3, n_classes: int = 10) -> None:
        super().__init__()
        self.config: dict[str, Any] = {"n_channels": int(n_channels), "n_classes": int(n_classes)}
        # BEGIN SOLUTION
        self.layers = nn.Sequential(OrderedDict([
            ("conv0", nn.Conv2d(n_channels, 64, kernel_size=3, stride=1, padding=1)),
            ("PreAct1", PreActBlock(64)),
            ("conv1", nn.Conv2d(64, 128, kernel_size=1, stride=1, padding=0)),
            ("maxpool1", _pool()),
            ("PreAct2_a", PreActBlock(128)), ("PreAct2_b", PreActBlock(128)),
            ("conv2", nn.Conv2d(128, 256, kernel_size=1, stride=1, padding=0)),
            ("maxpool2", _pool()),
            ("PreAct3_a", PreActBlock(256)), ("PreAct3_b", PreActBlock(256)),
            ("conv3", nn.Conv2d(256, 512, kernel_size=1, stride=1, padding=0)),
            ("maxpool3", _pool()),
            ("PreAct4_a", PreActBlock(512)), ("PreAct4_b", PreActBlock(512)),
            ("maxpool4", _pool()),
            ("PreAct5_a", PreActBlock(512)), ("PreAct5_b", PreActBlock(512)),
            ("maxpool5", _pool()),
        ]))
        self.head = nn.Sequential(nn.BatchNorm2d(512), nn.ReLU(), nn.Flatten(),
                                  nn.Linear(512, n_classes))
        # END SOLUTION

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        c = self.config["n_channels"]
        if X.ndim != 4 or tuple(X.shape[1:]) != (c, 32, 32):
            raise ValueError(f"PreActConvNet expects images (N, {c}, 32, 32), "
                             f"got {tuple(X.shape)}")
        # BEGIN SOLUTION
        return self.head(self.layers(X))  # (N, 512, 1, 1) -> (N, n_classes)
        # END SOLUTION
