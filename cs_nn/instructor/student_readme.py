"""The student release's README, rendered from the template in ``templates/`` with the
table notebook -> files -> functions -> graded files built from the stubs and the question
registry (so it cannot go stale)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from string import Template

from cs_nn.course.questions import all_questions
from cs_nn.course.repo import colab_badge
from cs_nn.instructor.tasks import Task, tasks_by_notebook

TEMPLATE = Path(__file__).with_name("templates") / "student_README.md"


def graded_files_by_notebook() -> dict[str, list[str]]:
    """notebook -> the graded output files its questions write, in registry order."""
    out: dict[str, list[str]] = {}
    for q in all_questions():
        out.setdefault(q.notebook, []).extend(q.output_file(n) for n in q.outputs)
    return out


def course_table(notebooks: Sequence[str], tasks: Sequence[Task],
                 graded: dict[str, list[str]], repo_url: str) -> str:
    """The markdown table: notebook, files to edit, functions to write, graded files."""
    by_nb = tasks_by_notebook(tasks)
    rows = ["| # | notebook | files to edit | functions to write | graded files |",
            "|---|---|---|---|---|"]
    for nb in notebooks:
        mine = by_nb.get(nb, [])
        files = list(dict.fromkeys(t.file for t in mine))
        names = ", ".join(f"`{t.name}`" for t in mine) or "(uses your earlier code)"
        outs = ", ".join(f"`{f}`" for f in graded.get(nb, [])) or "none"
        rows.append(f"| {nb[:2]} | `{nb}` {colab_badge(repo_url, nb)} | "
                    f"{'<br>'.join(f'`{f}`' for f in files) or '-'} | {names} | {outs} |")
    return "\n".join(rows)


def render(notebooks: Sequence[str], tasks: Sequence[Task], repo_url: str,
           version: str) -> str:
    """The student README's text."""
    table = course_table(notebooks, tasks, graded_files_by_notebook(), repo_url)
    return Template(TEMPLATE.read_text(encoding="utf-8")).substitute(
        table=table, repo_url=repo_url, version=version)
