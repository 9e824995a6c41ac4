"""``cs-nn grade``: grade submissions (folders, zips, or a folder of many) into grades.csv."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cs_nn._util.files import check_writable
from cs_nn.commands import print_table
from cs_nn.course.questions import all_questions, missing_note, split_available
from cs_nn.instructor.grading.batch import GradingInterrupted, expand_submissions, grade_many
from cs_nn.instructor.grading.grade import build_key
from cs_nn.instructor.grading.lms import write_gradebook_csv
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
    parser.add_argument("--gradebook", metavar="FILE",
                        help="also write an LMS gradebook CSV (Student, Total, Percent, points "
                             "per question) to FILE")


def run(args: argparse.Namespace) -> int:
    if args.workers is not None and args.workers < 1:
        raise ValueError("--workers must be at least 1")
    out = Path(args.out)
    check_writable(out, "--out", folder=True)  # before any work, not after it
    check_writable(out / "grades.csv", "--out")
    check_writable(out / "feedback", "--out", folder=True)
    expand_submissions(args.submissions)  # refuse bad arguments before building the key
    questions, skipped = split_available(all_questions())
    if args.key is not None:  # a stored key needs no package to recompute answers
        questions, skipped = all_questions(), []
    key = build_key(args.inputs, args.key, questions)
    notes: list[str] = []
    try:
        results = grade_many(args.submissions, key, args.workers,
                             progress=not args.no_progress, notes=notes)
    except GradingInterrupted as exc:
        csv_path = _write(exc.results, key, out, args.format)
        print(f"\ncs-nn grade: interrupted: graded {len(exc.results)} of "
              f"{len(exc.results) + len(exc.not_graded)} submissions, written to {csv_path}; "
              f"not graded: {', '.join(p.name for p in exc.not_graded[:10])}"
              f"{' ...' if len(exc.not_graded) > 10 else ''}", file=sys.stderr)
        return 130
    for note in notes:
        print(f"note: {note}")
    csv_path = _write(results, key, out, args.format)
    print_results(results)
    if args.gradebook:
        gradebook = write_gradebook_csv(results, key.questions, args.gradebook)
        print(f"gradebook for the LMS: {gradebook}")
    refused = sum(bool(r.error) for r in results)
    if skipped:
        print(missing_note(skipped, "were not graded (pass --key with a stored answer key "
                                    "to grade them without it)"))
    flagged = sum(bool(r.flags or r.changed) for r in results)
    print(f"\ngraded {len(results)} submissions ({refused} refused, {flagged} flagged: see the "
          f"flags and changed_after_submit columns): {csv_path}, feedback in {out / 'feedback'}")
    return 0


def _write(results, key, out: Path, fmt: str) -> Path:
    csv_path = write_grades_csv(results, key.questions, out / "grades.csv")
    write_feedback(results, out / "feedback", fmt)
    return csv_path


def print_results(results) -> None:
    print_table(["submission", "source", "total", "note"],
                [(r.name, Path(r.source).name, f"{r.total:g} / {r.max_total:g}",
                  (r.error or "; ".join(r.flags + r.changed))[:70]) for r in results])
