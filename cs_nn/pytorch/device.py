"""Where tensors live (CPU or a CUDA GPU) and seeded, side-effect-free randomness.

    device = select_device()            # CUDA when PyTorch sees a GPU, else the CPU
    with seeded(0):                     # PyTorch's global generator, restored afterwards
        model = MLP(3072, [100], 10)    # the same initial weights on every run
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

NOTEBOOK = "11_from_numpy_to_pytorch"


class DeviceError(RuntimeError):
    """A device was requested that this machine (or this PyTorch build) does not have."""


def select_device(device: str | torch.device | None = None) -> torch.device:
    """The device to compute on.

    Args:
        device: None or "auto" (CUDA when available, else CPU), "cpu", "cuda" or "cuda:N".

    Raises:
        DeviceError: CUDA was requested but PyTorch sees no CUDA device.
        ValueError: an unknown device name.
    """
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"unknown device {device!r}: use 'auto', 'cpu' or 'cuda'") from exc
    if dev.type == "cpu":
        return dev
    if dev.type != "cuda":
        raise ValueError(f"device {device!r} is not supported here: use 'auto', 'cpu' or 'cuda'")
    if not torch.cuda.is_available():
        build = (f"this PyTorch build supports CUDA {torch.version.cuda}, but no GPU is visible"
                 if torch.version.cuda else "this PyTorch build is CPU-only")
        raise DeviceError(f"device {str(device)!r} was requested but CUDA is not available "
                          f"({build}). Use device='cpu' (or 'auto'), or on Colab pick "
                          "Runtime > Change runtime type > GPU")
    count = torch.cuda.device_count()
    if dev.index is not None and dev.index >= count:
        raise DeviceError(f"device {str(device)!r} was requested but only {count} CUDA "
                          f"device(s) exist (cuda:0 .. cuda:{count - 1})")
    return dev


@contextlib.contextmanager
def seeded(seed: int | None) -> Iterator[None]:
    """Run a block with PyTorch's global CPU generator seeded, restoring it afterwards.

    Layer initialisation and dropout draw from that global generator; inside this block they
    are reproducible, and code outside it sees no change. ``seed=None`` does nothing.
    """
    if seed is None:
        yield
        return
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int or None, got {seed!r}")
    with torch.random.fork_rng(devices=[]):
        torch.default_generator.manual_seed(seed)  # scoped: fork_rng restores it on exit
        yield
