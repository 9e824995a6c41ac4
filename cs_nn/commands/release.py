"""``cs-nn release``: build the student release (solutions stubbed, outputs cleared)."""

from __future__ import annotations

import argparse

from cs_nn.commands import CommandError
from cs_nn.instructor.release import ReleaseError, build_release
from cs_nn.instructor.release_verify import verify_release

NAME = "release"
HELP = "build the student release: solution regions stubbed, notebook outputs cleared"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out_dir", metavar="OUT_DIR", help="folder to create")
    parser.add_argument("--src", metavar="DIR", help="project to release (default: this one)")
    parser.add_argument("--force", action="store_true", help="replace a previous release")
    parser.add_argument("--verify", action="store_true",
                        help="then import it and run its tests: only NotImplementedErrors may "
                             "fail (slow: runs the whole test suite)")
    parser.add_argument("--tests", metavar="PATH", nargs="+", default=["tests"],
                        help="test files/folders run by --verify (default: tests)")


def run(args: argparse.Namespace) -> int:
    try:
        stubs = build_release(args.out_dir, args.src, args.force)
    except ReleaseError as exc:
        raise CommandError(str(exc)) from None
    files = len({s.file for s in stubs})
    print(f"wrote the release to {args.out_dir}: {len(stubs)} solution regions stubbed in "
          f"{files} modules")
    if not args.verify:
        return 0
    report = verify_release(args.out_dir, args.tests)
    print(report.summary())
    return 0 if report.ok else 1
