"""``cs-nn outputs``: write every graded CSV of the reference solution."""

from __future__ import annotations

import argparse

from cs_nn.commands import print_table
from cs_nn.course.graded import write_reference_outputs
from cs_nn.course.questions import all_questions, get_question, missing_note, split_available

NAME = "outputs"
HELP = "compute the reference answer of every question and write the graded CSVs"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--inputs", metavar="DIR", help="input folder (default: ./input_files)")
    parser.add_argument("--out", metavar="DIR", help="output folder (default: ./output_files)")
    parser.add_argument("--only", metavar="KEY", nargs="+",
                        help="only these questions, e.g. linear_forward softmax_loss")


def run(args: argparse.Namespace) -> int:
    questions = [get_question(k) for k in args.only] if args.only else all_questions()
    questions, skipped = split_available(questions)
    rows = write_reference_outputs(args.inputs, args.out, questions)
    print_table(["notebook", "question", "file", "shape"],
                [(r.notebook, r.question, r.path.name, "x".join(map(str, r.shape)) or "scalar")
                 for r in rows])
    folder = rows[0].path.parent if rows else args.out
    print(f"\nwrote {len(rows)} files for {len(questions)} questions into {folder}")
    if skipped:
        print(missing_note(skipped))
    return 0
