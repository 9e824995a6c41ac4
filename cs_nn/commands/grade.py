"""``cs-nn grade``: grade submissions (folders, zips, or a folder of many) into grades.csv."""

from __future__ import annotations

import argparse
from pathlib import Path

from cs_nn.commands import print_table
from cs_nn.instructor.grading.grade import build_key, grade_many
from cs_nn.instructor.grading.report import write_feedback, write_grades_csv

NAME = "grade"
HELP = "grade submissions (folders or zips, or folders of them): grades.csv + feedback files"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("submissions", metavar="SUBMISSION", nargs="+",
                        help="a submission folder or zip, or a folder holding many")
    parser.add_argument("--out", metavar="DIR", default="grading_results",
                        help="where grades.csv and feedback/ go (default: ./grading_results)")
    parser.add_argument("--inputs", metavar="DIR", help="input folder (default: ./input_files)")
    parser.add_argument("--key", metavar="DIR",
                        help="stored answer key (reference outputs from `cs-nn outputs --out`); "
                             "default: recompute with the reference package")
    parser.add_argument("--workers", type=int, default=None,
                        help="parallel worker processes (default: number of CPUs)")
    parser.add_argument("--format", choices=("md", "html"), default="md",
                        help="feedback file format (default: md)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def run(args: argparse.Namespace) -> int:
    if args.workers is not None and args.workers < 1:
        raise ValueError("--workers must be at least 1")
    key = build_key(args.inputs, args.key)
    results = grade_many(args.submissions, key, args.workers, progress=not args.no_progress)
    out = Path(args.out)
    csv_path = write_grades_csv(results, key.questions, out / "grades.csv")
    write_feedback(results, out / "feedback", args.format)
    print_table(["submission", "total", "note"],
                [(r.name, f"{r.total:g} / {r.max_total:g}", r.error[:70]) for r in results])
    refused = sum(bool(r.error) for r in results)
    print(f"\ngraded {len(results)} submissions ({refused} refused): {csv_path}, "
          f"feedback in {out / 'feedback'}")
    return 0
