"""cs_nn.pytorch.augment: flips and shifts keep shapes, content and reproducibility."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from cs_nn.pytorch.augment import flip_and_shift  # noqa: E402


def test_shift_zero_and_no_flip_is_identity():
    X = torch.randn(4, 2, 6, 6)
    assert torch.equal(flip_and_shift(0, flip=False)(X, torch.Generator().manual_seed(0)), X)


def test_each_output_is_a_shifted_or_mirrored_input():
    X = torch.arange(2 * 1 * 5 * 5, dtype=torch.float32).reshape(2, 1, 5, 5) + 1
    out = flip_and_shift(2)(X, torch.Generator().manual_seed(3))
    assert out.shape == X.shape
    for i in range(2):
        candidates = []
        for img in (X[i], X[i].flip(2)):
            padded = torch.nn.functional.pad(img, (2, 2, 2, 2))
            candidates += [padded[:, a:a + 5, b:b + 5] for a in range(5) for b in range(5)]
        assert any(torch.equal(out[i], c) for c in candidates)


def test_same_generator_seed_same_result():
    X = torch.randn(8, 3, 8, 8)
    aug = flip_and_shift(3)
    a = aug(X, torch.Generator().manual_seed(1))
    b = aug(X, torch.Generator().manual_seed(1))
    assert torch.equal(a, b)


def test_rejects_non_images():
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        flip_and_shift(1)(torch.zeros(3, 4), torch.Generator())
