"""``cs-nn submit``: zip output_files/ (and optionally notebooks) with a manifest."""

from __future__ import annotations

import argparse
import sys

from cs_nn.commands import CommandError
from cs_nn.course.submit import SubmitError, archive_path, build_submission, infer_student
from cs_nn.instructor.grading.submission import read_zip  # the grader's reader

NAME = "submit"
HELP = "zip output_files/ (and notebooks with --notebooks) into one archive with a manifest"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--student", help="your name or student id (default: asked for in a "
                        "terminal, else git's user.name, your login name or the folder's name)")
    parser.add_argument("--outputs", metavar="DIR", help="output folder (default: ./output_files)")
    parser.add_argument("--notebooks", metavar="DIR", nargs="?", const="notebooks",
                        help="also include the notebooks of DIR (default: ./notebooks)")
    parser.add_argument("--out", metavar="FILE",
                        help="archive to write, or a folder to put it in "
                             "(default: submission_<student>.zip)")


def _student(args: argparse.Namespace) -> str:
    if args.student is not None:
        return args.student
    guess, source = infer_student()
    if sys.stdin.isatty():
        answer = input(f"student name or id [{guess}]: ").strip()
        if answer:
            return answer
    print(f"student: {guess!r} (from {source}); pass --student NAME to use another")
    return guess


def run(args: argparse.Namespace) -> int:
    student = _student(args)
    archive_path(student, args.out)  # a bad --out fails before anything is read
    try:
        path, manifest, missing, notes = build_submission(
            student, args.outputs, args.notebooks, args.out, verify=read_zip)
    except SubmitError as exc:
        raise CommandError(f"{exc}. Nothing was written.") from None
    for note in notes:
        print(f"note: {note}")
    print(f"wrote {path} with {len(manifest['files'])} files for {manifest['student']!r}")
    if missing:
        print(f"warning: {len(missing)} expected output files are missing: "
              f"{', '.join(missing[:8])}{' ...' if len(missing) > 8 else ''}")
    return 0
