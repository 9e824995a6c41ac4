"""Sub-commands of ``cs-nn``: one module each (see :mod:`cs_nn.cli`), and what they share."""

from __future__ import annotations

from collections.abc import Sequence


class CommandError(Exception):
    """A user-facing failure: printed as ``cs-nn: error: ...`` without a traceback."""


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Print a plain aligned text table (used by several commands)."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    line = "  ".join("-" * w for w in widths)
    for i, row in enumerate(cells):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        if i == 0:
            print(line)
