"""Solution regions: the ``# BEGIN SOLUTION`` / ``# END SOLUTION`` markers of the reference
source and the lines they hold (used by the release builder and the answer scan)."""

from __future__ import annotations

from pathlib import Path

BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"


class ReleaseError(RuntimeError):
    """The source cannot be released as it is (unbalanced markers, region outside a function)."""


def find_regions(lines: list[str], where: str) -> list[tuple[int, int]]:
    """(begin, end) 1-based line numbers of every region; errors on unbalanced markers."""
    regions, start = [], None
    for i, line in enumerate(lines, start=1):
        s = line.strip()
        if s == BEGIN:
            if start is not None:
                raise ReleaseError(f"{where}:{i}: {BEGIN} inside the region opened at line {start}")
            start = i
        elif s == END:
            if start is None:
                raise ReleaseError(f"{where}:{i}: {END} without a {BEGIN}")
            regions.append((start, i))
            start = None
    if start is not None:
        raise ReleaseError(f"{where}:{start}: {BEGIN} is never closed by {END}")
    return regions


def solution_lines(cs_nn_dir: Path) -> tuple[set[str], set[str]]:
    """(stripped lines inside regions, stripped lines outside them) over a cs_nn tree."""
    inside, outside = set(), set()
    for path in sorted(cs_nn_dir.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        regions = find_regions(lines, str(path))
        in_region = {i for b, e in regions for i in range(b + 1, e)}
        for i, line in enumerate(lines, start=1):
            s = line.strip()
            if s and s not in (BEGIN, END):
                (inside if i in in_region else outside).add(s)
    return inside, outside
