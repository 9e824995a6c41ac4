"""Figure plumbing shared by the plots: a new or given figure / axes, and atomic PNG files."""

from __future__ import annotations

import os
from io import BytesIO  # the standard library (cs_nn.io is the graded-CSV module)
from pathlib import Path
from typing import Any

from cs_nn._util.files import atomic_write_bytes


def _figure(fig: Any, figsize: tuple[float, float]) -> Any:
    if fig is not None:
        return fig
    import matplotlib.pyplot as plt
    return plt.figure(figsize=figsize)


def new_axes(ax: Any, figsize: tuple[float, float]) -> tuple[Any, Any]:
    """(figure, axes): ``ax`` and its figure, or a new pyplot figure of ``figsize`` inches
    with one axes (pyplot, so that notebooks display it and ``plt.show()`` shows it)."""
    if ax is not None:
        return ax.figure, ax
    fig = _figure(None, figsize)
    return fig, fig.add_subplot(1, 1, 1)


def save_figure(fig: Any, path: str | os.PathLike[str], dpi: int = 100) -> Path:
    """Write ``fig`` as a PNG file atomically (rendered in memory, then temp file + rename).

    Args:
        fig: a matplotlib Figure.
        path: target file, must end in ".png"; parent folders are created.
        dpi: resolution.

    Returns:
        The path written.
    """
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ValueError(f"save_figure writes PNG files; {path.name!r} should end in '.png'")
    buffer = BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return atomic_write_bytes(path, buffer.getvalue())
