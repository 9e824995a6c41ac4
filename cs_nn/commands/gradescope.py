"""``cs-nn gradescope``: build a Gradescope autograder zip from the same grader as ``grade``."""

from __future__ import annotations

import argparse

from cs_nn.instructor.grading.lms import VISIBILITIES, build_gradescope_bundle

NAME = "gradescope"
HELP = "build a Gradescope autograder bundle (setup.sh, run_autograder -> results.json)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out_zip", metavar="OUT.zip", help="the autograder zip to write")
    parser.add_argument("--inputs", metavar="DIR", help="input folder (default: ./input_files)")
    parser.add_argument("--key", metavar="DIR",
                        help="stored answer key (from `cs-nn outputs --out`); default: "
                             "computed now with the reference package")
    parser.add_argument("--visibility", choices=VISIBILITIES, default="after_published",
                        help="when students see the per-question results (default: "
                             "after_published)")


def run(args: argparse.Namespace) -> int:
    path = build_gradescope_bundle(args.out_zip, args.inputs, args.key, args.visibility)
    print(f"wrote the Gradescope autograder {path}: upload it as the assignment's autograder "
          f"(Configure Autograder -> Zip file upload); test visibility: {args.visibility}")
    return 0
