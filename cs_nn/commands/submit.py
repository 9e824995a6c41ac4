"""``cs-nn submit``: zip output_files/ (and optionally notebooks) with a manifest."""

from __future__ import annotations

import argparse

from cs_nn.course.submit import build_submission

NAME = "submit"
HELP = "zip output_files/ (and notebooks with --notebooks) into one archive with a manifest"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--student", required=True, help="your name or student id")
    parser.add_argument("--outputs", metavar="DIR", help="output folder (default: ./output_files)")
    parser.add_argument("--notebooks", metavar="DIR", nargs="?", const="notebooks",
                        help="also include the notebooks of DIR (default: ./notebooks)")
    parser.add_argument("--out", metavar="FILE",
                        help="archive to write (default: submission_<student>.zip)")


def run(args: argparse.Namespace) -> int:
    path, manifest, missing = build_submission(args.student, args.outputs, args.notebooks,
                                               args.out)
    print(f"wrote {path} with {len(manifest['files'])} files")
    if missing:
        print(f"warning: {len(missing)} expected output files are missing: "
              f"{', '.join(missing[:8])}{' ...' if len(missing) > 8 else ''}")
    return 0
