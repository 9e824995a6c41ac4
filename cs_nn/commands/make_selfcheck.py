"""``cs-nn make-selfcheck``: (re)build the learner's self-check data from the reference."""

from __future__ import annotations

import argparse
from pathlib import Path

from cs_nn._util.files import atomic_write_text
from cs_nn.course import selfcheck

NAME = "make-selfcheck"
HELP = "build the self-check data (salted hashes, no answers) from the reference outputs"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--inputs", metavar="DIR", help="input folder (default: ./input_files)")
    parser.add_argument("--out", metavar="FILE",
                        help="file to write (default: cs_nn/course/selfcheck.json)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if the file differs from what it would be")


def run(args: argparse.Namespace) -> int:
    path = Path(args.out) if args.out else selfcheck.DATA_PATH
    text = selfcheck.data_text(selfcheck.make_data(args.inputs))
    if args.check:
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current != text:
            print(f"{path} is out of date: run `cs-nn make-selfcheck`")
            return 1
        print(f"{path} is up to date")
        return 0
    atomic_write_text(path, text)
    print(f"wrote {path}")
    return 0
