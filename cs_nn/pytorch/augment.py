"""Data augmentation on batches of images, drawn from an explicit ``torch.Generator``.

    augment = flip_and_shift(max_shift=4)
    X_batch = augment(X_batch, generator)   # (N, C, H, W) -> (N, C, H, W)
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F  # noqa: N812 - the PyTorch convention

NOTEBOOK = "13_pytorch_convnets"


def flip_and_shift(max_shift: int = 4, flip: bool = True
                   ) -> Callable[[torch.Tensor, torch.Generator], torch.Tensor]:
    """An augmentation: mirror each image left-right with probability 1/2 (if ``flip``) and
    move it by up to ``max_shift`` pixels in each direction, filling with zeros (a random crop
    of the zero-padded image)."""
    if max_shift < 0:
        raise ValueError(f"max_shift must be >= 0, got {max_shift}")

    def augment(X: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        if X.ndim != 4:
            raise ValueError(f"augmentation expects images (N, C, H, W), got {tuple(X.shape)}")
        n, _, h, w = X.shape
        if flip:
            mirror = torch.rand(n, generator=generator) < 0.5
            X = torch.where(mirror[:, None, None, None], X.flip(3), X)
        if max_shift == 0:
            return X
        s = max_shift
        padded = F.pad(X, (s, s, s, s))  # (N, C, H + 2s, W + 2s)
        dy = torch.randint(0, 2 * s + 1, (n,), generator=generator)
        dx = torch.randint(0, 2 * s + 1, (n,), generator=generator)
        rows = (dy[:, None] + torch.arange(h))[:, None, :, None]  # (N, 1, H, 1)
        cols = (dx[:, None] + torch.arange(w))[:, None, None, :]  # (N, 1, 1, W)
        batch = torch.arange(n)[:, None, None, None]
        chan = torch.arange(X.shape[1])[None, :, None, None]
        return padded[batch, chan, rows, cols]

    return augment
