"""``cs-nn release``: build the student release (solutions stubbed, answers held back)."""

from __future__ import annotations

import argparse
import warnings

from cs_nn.commands import CommandError
from cs_nn.instructor.regions import ReleaseError
from cs_nn.instructor.release import (
    build_release,
    default_answer_key,
    init_git,
    project_root,
)
from cs_nn.instructor.release_learner import verify_learner
from cs_nn.instructor.release_verify import verify_release

NAME = "release"
HELP = ("build the student release: solution regions stubbed, answers held back (into an "
        "answer key beside it), a student README and guided notebooks")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out_dir", metavar="OUT_DIR", help="folder to create")
    parser.add_argument("--repo-url", metavar="URL",
                        help="the GitHub repository the release will be published at "
                             "(https://github.com/OWNER/REPO): every Colab badge and setup cell "
                             "points there (default: a placeholder, with a warning)")
    parser.add_argument("--answer-key", metavar="FILE",
                        help="where to write the answer key (default: OUT_DIR-answer-key.md "
                             "beside the release; never inside it)")
    parser.add_argument("--git", action="store_true",
                        help="make the release a git repository with one commit, ready to "
                             "`git push REPO_URL main`")
    parser.add_argument("--src", metavar="DIR", help="project to release (default: this one)")
    parser.add_argument("--force", action="store_true", help="replace a previous release")
    parser.add_argument("--verify", action="store_true",
                        help="then build and import it, scan it for answers and run its tests "
                             "(only NotImplementedErrors may fail), and prove the learner path: "
                             "untouched it earns nothing, a scripted plain learner passes "
                             "everything, planted bugs are caught (slow)")
    parser.add_argument("--tests", metavar="PATH", nargs="+", default=["tests"],
                        help="test files/folders run by --verify (default: tests)")
    parser.add_argument("--no-venv", action="store_true",
                        help="--verify the learner path with this interpreter (the release first "
                             "on PYTHONPATH) instead of a fresh venv with the release installed")
    parser.add_argument("--venv-install", metavar="REQ", nargs="+", default=[],
                        help="more requirements the student README installs into the fresh "
                             "venv, e.g. torch==2.13.0 for the PyTorch notebooks")
    parser.add_argument("--no-notebooks", action="store_true",
                        help="--verify the learner path without running the notebooks (fast)")


def run(args: argparse.Namespace) -> int:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        try:
            stubs = build_release(args.out_dir, args.src, args.force, args.repo_url,
                                  args.answer_key)
        except ReleaseError as exc:
            raise CommandError(str(exc)) from None
    for w in caught:
        print(f"warning: {w.message}")
    files = len({s.file for s in stubs})
    key = args.answer_key or default_answer_key(args.out_dir)
    print(f"wrote the release to {args.out_dir}: {len(stubs)} solution regions stubbed in "
          f"{files} modules; answer key (instructors only): {key}")
    if args.git:
        try:
            commit = init_git(args.out_dir)
        except ReleaseError as exc:
            raise CommandError(str(exc)) from None
        print(f"committed the release ({commit[:10]}): push it with "
              f"`git -C {args.out_dir} push {args.repo_url or 'REPO_URL'} main`")
    if not args.verify:
        return 0
    report = verify_release(args.out_dir, args.tests, reference=args.src or project_root())
    print(report.summary())
    learner = verify_learner(args.out_dir, args.src, fresh_venv=not args.no_venv,
                             notebooks=not args.no_notebooks, extra=args.venv_install)
    print(learner.summary())
    print("what a learner sees from the learner tests in the untouched release:\n"
          + learner.untouched_summary)
    return 0 if report.ok and learner.ok else 1
