"""``cs-nn status``: your progress: functions still to write, tests, graded files, next step."""

from __future__ import annotations

import argparse

from cs_nn.course.status import project_progress, render

NAME = "status"
HELP = ("your progress per notebook: functions still to write, learner tests passing, graded "
        "files matching, milestones, and what to do next")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", metavar="DIR",
                        help="the course folder (default: found from the current folder)")
    parser.add_argument("--run-tests", action="store_true",
                        help="run the learner tests now (default: show your last pytest run)")
    parser.add_argument("--no-files", action="store_true",
                        help="do not check the graded files")


def run(args: argparse.Namespace) -> int:
    progress = project_progress(args.project, tests=args.run_tests,
                                files=not args.no_files)
    print(render(progress))
    return 0
