"""A small VGG-style convolutional network, in three configurations used by the course.

    {conv 3x3 (pad 1) - BatchNorm - ReLU} x convs_per_block - max-pool 2x2   (once per entry
    of ``channels``)  -  flatten - dropout - linear - ReLU - dropout - linear  ->  scores

* :data:`FASHION_CONFIG` - Fashion-MNIST, 1 x 28 x 28 (seed 004 task 5, notebook 13);
* :data:`FER_CONFIG` - FER2013 faces, 1 x 48 x 48 (seed 000 Q6, notebook 13);
* :data:`CIFAR_CONFIG` - CIFAR-10, 3 x 32 x 32 (the course's own "pretrained" model of
  notebook 14).

Why this shape: 3x3 convolutions with padding 1 keep the image size, so only the pools shrink
it (by 2 each); channels double as the resolution halves, keeping the work per block similar;
BatchNorm lets Adam use a large learning rate; dropout before the wide linear layer is where
these small networks overfit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

NOTEBOOK = "13_pytorch_convnets"

FASHION_CONFIG: dict[str, Any] = {"in_channels": 1, "image_size": 28, "num_classes": 10,
                                  "channels": [32, 64], "convs_per_block": 1,
                                  "hidden_dim": 256, "dropout": 0.3}
FER_CONFIG: dict[str, Any] = {"in_channels": 1, "image_size": 48, "num_classes": 7,
                              "channels": [16, 32, 64, 128], "convs_per_block": 1,
                              "hidden_dim": 256, "dropout": 0.4}
CIFAR_CONFIG: dict[str, Any] = {"in_channels": 3, "image_size": 32, "num_classes": 10,
                                "channels": [32, 64, 128], "convs_per_block": 1,
                                "hidden_dim": 256, "dropout": 0.3}


def conv_block(in_channels: int, out_channels: int, num_convs: int) -> nn.Sequential:
    """``num_convs`` times (conv 3x3 pad 1, BatchNorm, ReLU), then a 2x2 max-pool.

    Shapes: (N, in_channels, H, W) -> (N, out_channels, H // 2, W // 2).
    """
    layers: list[nn.Module] = []
    # BEGIN SOLUTION
    for i in range(num_convs):
        layers += [nn.Conv2d(in_channels if i == 0 else out_channels, out_channels,
                             kernel_size=3, padding=1),
                   nn.BatchNorm2d(out_channels), nn.ReLU()]
    layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
    # END SOLUTION
    return nn.Sequential(*layers)


class SmallCNN(nn.Module):
    """Convolutional classifier of images (N, in_channels, image_size, image_size).

    Args:
        in_channels: C of the input images (1 grayscale, 3 RGB).
        image_size: H = W of the input images; must be divisible by 2 ** len(channels).
        num_classes: number of classes.
        channels: output channels of each conv block, e.g. [32, 64].
        convs_per_block: convolutions before each pool.
        hidden_dim: width of the hidden linear layer.
        dropout: DROP probability before each linear layer.

    Shapes: ``forward(X)``: (N, C, H, W) -> scores (N, num_classes).
    """

    def __init__(self, in_channels: int = 1, image_size: int = 28, num_classes: int = 10,
                 channels: Sequence[int] = (32, 64), convs_per_block: int = 2,
                 hidden_dim: int = 256, dropout: float = 0.3) -> None:
        super().__init__()
        channels = [int(c) for c in channels]
        if not channels or min(channels) < 1 or convs_per_block < 1 or hidden_dim < 1:
            raise ValueError("channels must be positive widths (at least one block); "
                             "convs_per_block and hidden_dim must be >= 1")
        if image_size % (2 ** len(channels)) != 0:
            raise ValueError(f"image_size {image_size} must be divisible by "
                             f"2 ** {len(channels)} (one halving per block)")
        if not 0 <= dropout < 1:
            raise ValueError(f"dropout must lie in [0, 1), got {dropout}")
        self.config: dict[str, Any] = {
            "in_channels": int(in_channels), "image_size": int(image_size),
            "num_classes": int(num_classes), "channels": channels,
            "convs_per_block": int(convs_per_block), "hidden_dim": int(hidden_dim),
            "dropout": float(dropout)}
        side = image_size // 2 ** len(channels)  # spatial size after the last pool
        # BEGIN SOLUTION
        self.features = nn.Sequential(*[
            conv_block(c_in, c_out, convs_per_block)
            for c_in, c_out in zip([in_channels, *channels[:-1]], channels)])
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Dropout(dropout),
            nn.Linear(channels[-1] * side * side, hidden_dim), nn.ReLU(),
            nn.Dropout(dropout), nn.Linear(hidden_dim, num_classes))
        # END SOLUTION

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """Scores (N, num_classes) for images (N, C, H, W)."""
        c, s = self.config["in_channels"], self.config["image_size"]
        if X.ndim != 4 or tuple(X.shape[1:]) != (c, s, s):
            raise ValueError(f"SmallCNN expects images of shape (N, {c}, {s}, {s}), "
                             f"got {tuple(X.shape)}")
        # BEGIN SOLUTION
        return self.classifier(self.features(X))
        # END SOLUTION
