"""Grading a batch: which paths are submissions, grading them in parallel worker processes,
unique names (also ignoring case) and duplicate flags, and a prompt stop on Ctrl-C.

A folder is a batch when it holds zips or submission folders, and a single submission when it
holds graded CSVs itself; a stray ``manifest.json`` or an empty ``output_files/`` at the top of
a batch is ignored (and said). Identity comes from the zip or folder name (see
:mod:`cs_nn.instructor.grading.submission`); two submissions claiming one student, or holding
identical files, are flagged.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from cs_nn.course.submit import MANIFEST, OUTPUT_NAME
from cs_nn.instructor.grading import grade
from cs_nn.instructor.grading.grade import AnswerKey, PathLike, SubmissionResult


def _own_graded_files(folder: Path) -> bool:
    """Whether ``folder`` itself holds graded CSVs (at its top or in its output_files/)."""
    for where in (folder, folder / "output_files"):
        if where.is_dir() and not where.is_symlink() and any(
                OUTPUT_NAME.match(p.name) for p in where.iterdir()):
            return True
    return False


def _batch_members(folder: Path) -> list[Path]:
    """The zips and submission folders inside ``folder`` (what makes it a batch)."""
    members = []
    for c in sorted(folder.iterdir()):
        if c.name.startswith(".") or c.name == "output_files":
            continue
        if c.suffix.lower() == ".zip" and (c.is_file() or c.is_symlink()):
            members.append(c)
        elif c.is_dir() and not c.is_symlink() and (
                _own_graded_files(c) or (c / MANIFEST).is_file()):
            members.append(c)
    return members


def expand_submissions(paths: Sequence[PathLike], notes: list[str] | None = None) -> list[Path]:
    """Each argument is a submission (zip or folder) or a folder holding many of them.

    A folder is a batch when it holds zips or submission folders, and a single submission
    when it holds graded CSVs itself; a stray manifest.json or an empty output_files/ in a
    batch folder is ignored (and said in ``notes``); a folder that holds both graded files
    and submissions is ambiguous and refused.
    """
    found: list[Path] = []
    for p in map(Path, paths):
        if not p.exists() and not p.is_symlink():
            raise FileNotFoundError(f"{p}: no such submission folder or zip")
        if not p.is_dir() or p.is_symlink():
            found.append(p)
            continue
        own, members = _own_graded_files(p), _batch_members(p)
        if own and members:
            raise ValueError(f"{p} holds graded files of its own and {len(members)} "
                             f"submission(s) ({', '.join(m.name for m in members[:3])}); "
                             "move its own files into a sub-folder, or pass the submissions "
                             "one by one")
        if own or (not members and (p / MANIFEST).is_file()):
            found.append(p)
        elif members:
            stray = [n for n in (MANIFEST, "output_files") if (p / n).exists()]
            if stray and notes is not None:
                notes.append(f"{p}: ignored {' and '.join(stray)} at the top of the batch "
                             "folder (it holds no graded files); graded its "
                             f"{len(members)} submissions")
            others = [c for c in sorted(p.iterdir()) if not c.name.startswith(".")
                      and c not in members and c.name not in (MANIFEST, "output_files")]
            found.extend(sorted(members + others))
        else:
            found.extend(sorted(c for c in p.iterdir() if not c.name.startswith(".")))
    return found


_WORKER_KEY: AnswerKey | None = None


class GradingInterrupted(KeyboardInterrupt):
    """Ctrl-C during :func:`grade_many`: ``results`` holds what was graded (named and sorted
    like a full run), ``not_graded`` the submissions that were not."""

    def __init__(self, results: list[SubmissionResult], not_graded: list[Path]) -> None:
        super().__init__(f"interrupted after grading {len(results)} of "
                         f"{len(results) + len(not_graded)} submissions")
        self.results, self.not_graded = results, not_graded


def _init_worker(key: AnswerKey) -> None:
    import signal

    global _WORKER_KEY
    _WORKER_KEY = key
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle


def _grade_in_worker(path: Path) -> SubmissionResult:
    assert _WORKER_KEY is not None
    return grade.grade_submission(path, _WORKER_KEY)


def _unique_names(results: list[SubmissionResult]) -> None:
    """Make names unique, also ignoring case (feedback files on case-insensitive disks):
    a clash gets the first free ``-2``, ``-3``... suffix, never one already taken."""
    originals = {r.name.casefold() for r in results}
    used: set[str] = set()
    for r in results:
        name, i = r.name, 1
        while name.casefold() in used or (name != r.name and name.casefold() in originals):
            i += 1
            name = f"{r.name}-{i}"
        used.add(name.casefold())
        if name != r.name:
            r.flags.append(f"renamed from {r.name!r}: another submission has that name")
            r.name = name


def _flag_duplicates(results: list[SubmissionResult]) -> None:
    """Flag submissions claiming the same student, or holding identical graded files."""
    by_student: dict[str, list[SubmissionResult]] = {}
    by_digest: dict[str, list[SubmissionResult]] = {}
    for r in results:
        if r.student:
            by_student.setdefault(r.student.casefold(), []).append(r)
        if r.digest and any(q.points for q in r.questions):
            by_digest.setdefault(r.digest, []).append(r)
    for group in by_student.values():
        for r in group if len(group) > 1 else ():
            others = ", ".join(o.name for o in group if o is not r)
            r.flags.append(f"student {r.student!r} is also claimed by {others}")
    for group in by_digest.values():
        for r in group if len(group) > 1 else ():
            others = ", ".join(o.name for o in group if o is not r)
            r.flags.append(f"identical graded files to {others}")


def grade_many(paths: Sequence[PathLike], key: AnswerKey, max_workers: int | None = None,
               progress: bool = True, notes: list[str] | None = None
               ) -> list[SubmissionResult]:
    """Grade every submission under ``paths``; results sorted by name, then source.

    Args:
        paths: submissions, or folders of submissions (see :func:`expand_submissions`).
        key: from :func:`build_key`.
        max_workers: worker processes (default ``os.cpu_count()``); 1 grades in this process.
        progress: show a tqdm progress bar on stderr.
        notes: if given, collects remarks about the arguments (e.g. ignored stray files).

    Raises:
        GradingInterrupted: on Ctrl-C, promptly (queued submissions are cancelled, running
            ones finish); it carries the results so far.
    """
    subs = expand_submissions(paths, notes)
    workers = max(1, min(max_workers or os.cpu_count() or 1, len(subs) or 1))
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(subs), desc="grading", unit="submission", leave=False)
    results: list[SubmissionResult] = []
    done: set[Path] = set()
    max_total = sum(q.points for q in key.questions)
    try:
        if workers == 1:
            for p in subs:
                results.append(grade.grade_submission(p, key))
                done.add(p)
                if bar is not None:
                    bar.update()
        else:
            _grade_in_pool(subs, key, workers, results, done, bar, max_total)
    except KeyboardInterrupt:
        _finish(results)
        raise GradingInterrupted(results, [p for p in subs if p not in done]) from None
    finally:
        if bar is not None:
            bar.close()
    _finish(results)
    return results


def _grade_in_pool(subs: list[Path], key: AnswerKey, workers: int,
                   results: list[SubmissionResult], done: set[Path], bar, max_total: float
                   ) -> None:
    from concurrent.futures import ProcessPoolExecutor, as_completed

    ex = ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(key,))
    futures = {}
    try:
        futures = {ex.submit(_grade_in_worker, p): p for p in subs}
        for fut in as_completed(futures):
            _collect(fut, futures[fut], results, done, max_total)
            if bar is not None:
                bar.update()
    except KeyboardInterrupt:
        ex.shutdown(wait=True, cancel_futures=True)  # only the running ones finish
        for fut, p in futures.items():
            if p not in done and fut.done() and not fut.cancelled():
                _collect(fut, p, results, done, max_total)
        raise
    finally:
        ex.shutdown(wait=True, cancel_futures=True)


def _collect(fut, p: Path, results: list[SubmissionResult], done: set[Path],
             max_total: float) -> None:
    try:
        results.append(fut.result())
    except Exception as exc:  # e.g. a worker died
        results.append(SubmissionResult(
            p.name, str(p), max_total=max_total,
            error=f"could not be graded: {type(exc).__name__}: {exc}"))
    done.add(p)


def _finish(results: list[SubmissionResult]) -> None:
    results.sort(key=lambda r: (r.name, r.source))
    _unique_names(results)
    _flag_duplicates(results)
