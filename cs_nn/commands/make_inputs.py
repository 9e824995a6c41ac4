"""``cs-nn make-inputs``: regenerate the graded input files from the seeded generator."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from cs_nn.course import paths
from cs_nn.course.graded import write_inputs

NAME = "make-inputs"
HELP = "regenerate input_files/ from the seeded generator (or --check the committed ones)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", metavar="DIR", help="folder to write (default: ./input_files)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if the folder differs from the generator")


def run(args: argparse.Namespace) -> int:
    folder = Path(args.out) if args.out else paths.input_dir()
    if not args.check:
        written = write_inputs(folder)
        print(f"wrote {len(written)} input files into {folder}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        fresh = {p.name: p.read_bytes() for p in write_inputs(tmp)}
    current = {p.name: p.read_bytes() for p in folder.glob("*.csv")}
    missing = sorted(set(fresh) - set(current))
    stale = sorted(set(current) - set(fresh))
    changed = sorted(n for n in set(fresh) & set(current) if fresh[n] != current[n])
    for label, names in (("missing", missing), ("not generated", stale), ("differs", changed)):
        for n in names:
            print(f"{label}: {n}")
    if missing or stale or changed:
        print(f"{folder} is out of date: run `cs-nn make-inputs` to regenerate it")
        return 1
    print(f"{folder}: all {len(fresh)} input files match the generator")
    return 0
