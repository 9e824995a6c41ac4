"""``cs-nn check``: check output_files/ offline against the self-check data (no answers)."""

from __future__ import annotations

import argparse

from cs_nn.commands import print_table
from cs_nn.course.selfcheck import NOT_CHECKED, check_outputs, load_data

NAME = "check"
HELP = "check your output_files/ (missing, malformed, matches the reference) without answers"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--outputs", metavar="DIR", help="output folder (default: ./output_files)")
    parser.add_argument("--inputs", metavar="DIR", help="input folder (default: ./input_files)")
    parser.add_argument("--only", metavar="KEY", nargs="+", help="only these questions")
    parser.add_argument("--data", metavar="FILE", help="self-check data (default: the packaged)")


def run(args: argparse.Namespace) -> int:
    results = check_outputs(args.outputs, args.inputs, args.only, load_data(args.data))
    print_table(["question", "file", "status", "details"],
                [(r.question, r.file, r.status,
                  " — ".join(x for x in (r.reason, r.hint and f"hint: {r.hint}") if x))
                 for r in results])
    ok = sum(r.status == "ok" for r in results)
    unchecked = sum(r.status == NOT_CHECKED for r in results)
    print(f"\n{ok} of {len(results)} files match the reference within tolerance"
          + (f"; {unchecked} single-number answers are not checked offline (the grader "
             "checks them)" if unchecked else ""))
    return 0 if ok + unchecked == len(results) else 1
