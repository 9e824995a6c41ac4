"""Pretrained models and transfer learning (notebook 14; seeds 004 task 6 and 003 §4b).

Offline (CI, these machines) the "pretrained" model is the course's own CIFAR-10 CNN,
shipped as ``weights/cifar10_cnn.npz``. Online, with torchvision installed (e.g. on Colab),
:func:`load_imagenet_resnet18` fetches an ImageNet-trained ResNet-18 instead.

    model, meta = load_course_model()                 # SmallCNN, class names, preprocessing
    probs, classes = top_k(model(X), k=5)             # the 5 most likely classes per image
    replace_head(model, num_classes=10); freeze_features(model)   # ready to fine-tune
"""

from __future__ import annotations

import importlib.util
import os
import socket
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from cs_nn.pytorch.saving import load_model

NOTEBOOK = "14_pretrained_models"
COURSE_MODEL = Path(__file__).resolve().parent / "weights" / "cifar10_cnn.npz"


def load_course_model(path: str | os.PathLike[str] = COURSE_MODEL
                      ) -> tuple[nn.Module, dict[str, Any]]:
    """The course's pretrained CIFAR-10 CNN (eval mode, CPU) and its metadata."""
    return load_model(path)


def hub_available(host: str = "download.pytorch.org", timeout: float = 2.0) -> bool:
    """True when torchvision is installed, we are not in CI and ``host`` answers."""
    if importlib.util.find_spec("torchvision") is None or os.environ.get("CI"):
        return False
    try:
        with socket.create_connection((host, 443), timeout=timeout):
            return True
    except OSError:
        return False


def load_imagenet_resnet18() -> tuple[nn.Module, list[str], Any]:
    """(ResNet-18 with ImageNet weights in eval mode, the 1000 class names, its transform).
    Needs torchvision and the internet (the weights are downloaded once and cached)."""
    from torchvision.models import ResNet18_Weights, resnet18

    weights = ResNet18_Weights.IMAGENET1K_V1
    return resnet18(weights=weights).eval(), list(weights.meta["categories"]), weights.transforms()


def top_k(scores: torch.Tensor, k: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Softmax probabilities and class indices of the k best classes, best first.

    scores: (N, C) -> (probabilities (N, k), indices (N, k) int64)."""
    if scores.ndim != 2 or not 1 <= k <= scores.shape[1]:
        raise ValueError(f"need scores (N, C) and 1 <= k <= C, got {tuple(scores.shape)}, k={k}")
    probs = torch.softmax(scores.detach().double(), dim=1)
    values, idx = probs.topk(k, dim=1)
    return values.numpy(), idx.numpy().astype(np.int64)


def photo_to_pixels(image: np.ndarray, size: int) -> np.ndarray:
    """An RGB photo (H, W, 3) uint8 -> (3, size, size) uint8: the largest centred square,
    resized with antialiasing (what a 32x32 classifier can look at)."""
    from PIL import Image

    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an RGB image (H, W, 3), got shape {image.shape}")
    h, w = image.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    square = Image.fromarray(np.asarray(image[top:top + side, left:left + side], np.uint8))
    small = square.resize((size, size), Image.Resampling.LANCZOS)
    return np.asarray(small).transpose(2, 0, 1).copy()  # (3, size, size)


def _head_owner(model: nn.Module) -> tuple[nn.Module, str]:
    """The module holding the final linear layer and its attribute name."""
    if isinstance(getattr(model, "fc", None), nn.Linear):  # torchvision ResNets
        return model, "fc"
    classifier = getattr(model, "classifier", None)
    if isinstance(classifier, nn.Sequential) and isinstance(classifier[-1], nn.Linear):
        return classifier, str(len(classifier) - 1)
    raise TypeError(f"cannot find the final linear layer of {type(model).__name__}")


def replace_head(model: nn.Module, num_classes: int) -> nn.Linear:
    """Swap the final linear layer for a fresh one with ``num_classes`` outputs (in place);
    returns the new layer. The model's ``config`` (if any) records the new class count."""
    owner, name = _head_owner(model)
    old = getattr(owner, name)
    new = nn.Linear(old.in_features, num_classes).to(old.weight.device, old.weight.dtype)
    setattr(owner, name, new)
    if isinstance(getattr(model, "config", None), dict) and "num_classes" in model.config:
        model.config = {**model.config, "num_classes": int(num_classes)}
    return new


def freeze_features(model: nn.Module) -> int:
    """Stop gradients everywhere except the final linear layer; returns how many parameters
    stay trainable. (BatchNorm statistics still update in train mode; call ``model.eval()``
    on the frozen part, or accept it, as fine-tuning usually does.)"""
    owner, name = _head_owner(model)
    head = getattr(owner, name)
    for p in model.parameters():
        p.requires_grad_(False)
    for p in head.parameters():
        p.requires_grad_(True)
    return sum(p.numel() for p in head.parameters())


def gray_to_rgb32(X: np.ndarray) -> np.ndarray:
    """Grayscale 28x28 images (N, 1, 28, 28) -> (N, 3, 32, 32): the channel repeated three
    times and 2 pixels of zero padding on every side, for a CIFAR-shaped network."""
    if X.ndim != 4 or X.shape[1:] != (1, 28, 28):
        raise ValueError(f"expected (N, 1, 28, 28) images, got {X.shape}")
    padded = np.pad(X, ((0, 0), (0, 0), (2, 2), (2, 2)))
    return np.repeat(padded, 3, axis=1)
