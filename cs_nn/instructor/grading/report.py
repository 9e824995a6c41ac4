"""Writing grades: ``grades.csv`` (one row per submission) and a feedback file per submission.

Feedback says, per question, which files passed, why the others failed and a hint; it never
contains a reference value. All files are written atomically.
"""

from __future__ import annotations

import csv
import html
import io
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from cs_nn._util.files import atomic_write_text
from cs_nn.course.compare import FileResult
from cs_nn.course.questions import Question
from cs_nn.instructor.grading.grade import SubmissionResult

PathLike = str | os.PathLike[str]


def _fmt(points: float) -> str:
    return f"{points:g}"


def grades_csv_text(results: Sequence[SubmissionResult], questions: Sequence[Question]) -> str:
    """The text of grades.csv: submission (unique; its feedback file's name), source (the file
    or folder graded), student (the manifest's claim), total, max_total, one column per
    question, changed_after_submit, flags (duplicates), error."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["submission", "source", "student", "total", "max_total",
                     *[q.key for q in questions], "changed_after_submit", "flags", "error"])
    for r in results:
        points = {qr.key: qr.points for qr in r.questions}
        writer.writerow([r.name, r.source, r.student, _fmt(r.total), _fmt(r.max_total),
                         *[_fmt(points.get(q.key, 0.0)) for q in questions],
                         "; ".join(r.changed), "; ".join(r.flags), r.error])
    return buf.getvalue()


def write_grades_csv(results: Sequence[SubmissionResult], questions: Sequence[Question],
                     path: PathLike) -> Path:
    return atomic_write_text(path, grades_csv_text(results, questions))


def _file_line(f: FileResult, code: str, bold: str, esc: Callable[[str], str]) -> str:
    """One file's verdict: ``code`` / ``bold`` are format strings wrapping "{}" (Markdown or
    HTML), ``esc`` escapes the text."""
    line = f"{code.format(esc(f.file))}: {bold.format(esc(f.status))}"
    if f.reason:
        line += f" — {esc(f.reason)}"
    if f.hint:
        line += f". Hint: {esc(f.hint)}"
    return line


def feedback_markdown(r: SubmissionResult) -> str:
    """Feedback for one submission, as Markdown."""
    lines = [f"# Feedback for {r.name}", "", f"Graded: `{Path(r.source).name}`"
             + (f" (manifest names {r.student!r})" if r.student else ""), "",
             f"**Total: {_fmt(r.total)} / {_fmt(r.max_total)}**", ""]
    if r.error:
        lines += [f"This submission could not be graded: {r.error}", "",
                  "Every question scores 0. Fix the problem and submit again "
                  "(`cs-nn submit` builds a valid archive).", ""]
    for w in r.warnings:
        lines += [f"- note: {w}"]
    if r.warnings:
        lines.append("")
    for q in r.questions:
        mark = "passed" if q.points == q.max_points else "lost points"
        lines += [f"## {q.key} ({q.notebook}): {_fmt(q.points)} / {_fmt(q.max_points)} "
                  f"— {mark}", ""]
        lines += ["- " + _file_line(f, "`{}`", "**{}**", str) for f in q.files]
        lines.append("")
    return "\n".join(lines)


def feedback_html(r: SubmissionResult) -> str:
    """Feedback for one submission, as a standalone HTML page (everything escaped)."""
    e = html.escape
    parts = ["<!DOCTYPE html>", "<html><head><meta charset='utf-8'>",
             f"<title>Feedback for {e(r.name)}</title></head><body>",
             f"<h1>Feedback for {e(r.name)}</h1>",
             f"<p>Graded: <code>{e(Path(r.source).name)}</code>"
             + (f" (manifest names {e(repr(r.student))})" if r.student else "") + "</p>",
             f"<p><strong>Total: {_fmt(r.total)} / {_fmt(r.max_total)}</strong></p>"]
    if r.error:
        parts.append(f"<p>This submission could not be graded: {e(r.error)}. "
                     "Every question scores 0.</p>")
    parts += [f"<p>note: {e(w)}</p>" for w in r.warnings]
    for q in r.questions:
        parts.append(f"<h2>{e(q.key)} ({e(q.notebook)}): {_fmt(q.points)} / "
                     f"{_fmt(q.max_points)}</h2><ul>")
        parts += [f"<li>{_file_line(f, '<code>{}</code>', '<strong>{}</strong>', e)}</li>"
                  for f in q.files]
        parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_feedback(results: Sequence[SubmissionResult], folder: PathLike,
                   fmt: str = "md") -> list[Path]:
    """Write ``<folder>/<submission>.md`` (or ``.html``) for every submission."""
    if fmt not in ("md", "html"):
        raise ValueError(f"feedback format must be 'md' or 'html', got {fmt!r}")
    render = feedback_markdown if fmt == "md" else feedback_html
    names = [r.name.casefold() for r in results]
    if len(set(names)) != len(names):  # grade_many makes them unique; a caller may not have
        raise ValueError("two submissions have the same name (ignoring case): their feedback "
                         "files would overwrite each other")
    return [atomic_write_text(Path(folder) / f"{r.name}.{fmt}", render(r)) for r in results]
