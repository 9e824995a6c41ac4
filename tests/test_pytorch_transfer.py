"""cs_nn.pytorch.transfer: top-k, photos to pixels, new heads, freezing, the course model."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from cs_nn.pytorch.cnn import CIFAR_CONFIG, SmallCNN  # noqa: E402
from cs_nn.pytorch.device import seeded  # noqa: E402
from cs_nn.pytorch.transfer import (  # noqa: E402
    COURSE_MODEL,
    freeze_features,
    gray_to_rgb32,
    hub_available,
    load_course_model,
    photo_to_pixels,
    replace_head,
    top_k,
)


def test_top_k_is_sorted_softmax():
    scores = torch.tensor([[0.0, 3.0, 1.0, 2.0]])
    probs, idx = top_k(scores, k=3)
    assert idx.tolist() == [[1, 3, 2]]
    np.testing.assert_allclose(probs[0], np.exp([3, 2, 1]) / np.exp([0, 1, 2, 3]).sum())
    with pytest.raises(ValueError):
        top_k(scores, k=5)


def test_photo_to_pixels_crops_the_centre():
    img = np.zeros((40, 80, 3), dtype=np.uint8)
    img[:, 20:60] = 200  # the central 40x40 square
    out = photo_to_pixels(img, 8)
    assert out.shape == (3, 8, 8) and out.dtype == np.uint8
    assert out.min() >= 190
    with pytest.raises(ValueError):
        photo_to_pixels(np.zeros((5, 5)), 4)


def test_replace_head_and_freeze():
    with seeded(0):
        net = SmallCNN(**CIFAR_CONFIG)
    head = replace_head(net, 4)
    assert net.config["num_classes"] == 4 and net.classifier[-1] is head
    assert net(torch.zeros(2, 3, 32, 32)).shape == (2, 4)
    trainable = freeze_features(net)
    assert trainable == CIFAR_CONFIG["hidden_dim"] * 4 + 4
    assert [p.requires_grad for p in net.parameters()].count(True) == 2
    with pytest.raises(TypeError):
        replace_head(nn.Sequential(nn.ReLU()), 3)


def test_gray_to_rgb32():
    X = np.ones((2, 1, 28, 28), dtype=np.float32)
    out = gray_to_rgb32(X)
    assert out.shape == (2, 3, 32, 32) and out[:, :, 2:30, 2:30].min() == 1
    assert out[:, :, :2].max() == 0
    with pytest.raises(ValueError):
        gray_to_rgb32(np.ones((2, 3, 32, 32)))


def test_no_hub_in_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    assert hub_available() is False


def test_course_model_is_shipped_and_small():
    if not COURSE_MODEL.is_file():
        pytest.fail(f"the course's pretrained model is missing: {COURSE_MODEL}")
    assert COURSE_MODEL.stat().st_size < 5_000_000
    model, meta = load_course_model()
    assert len(meta["class_names"]) == 10 and meta["accuracies"]["test"] > 0.5
    assert model(torch.zeros(1, 3, 32, 32)).shape == (1, 10)
