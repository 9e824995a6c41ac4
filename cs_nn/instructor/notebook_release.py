"""One notebook of the student release: outputs cleared, answers held back, and opened by a
generated "your task" cell, the Colab/Drive setup cell and an autoreload cell.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import nbformat

from cs_nn.course.colab import setup_cell
from cs_nn.course.repo import colab_badge, rewrite_repo_url
from cs_nn.instructor.answers import PROMPT_TAG, Answer, hold_back_answers
from cs_nn.instructor.tasks import Task

SETUP_TAG, TASK_TAG, AUTORELOAD_TAG = "setup", "your-task", "autoreload"
AUTORELOAD = ("# Pick up your edits to cs_nn/ without restarting the kernel: modules are\n"
              "# reloaded before every cell runs.\n%load_ext autoreload\n%autoreload 2\n")


def _is_setup(cell: nbformat.NotebookNode) -> bool:
    return cell.cell_type == "code" and "google.colab" in cell.source


def task_markdown(notebook: str, tasks: Sequence[Task], graded: Sequence[str],
                  tests: Sequence[str], prompts: int, repo_url: str) -> str:
    """The text of the "your task" cell of one notebook."""
    lines = [f"## Your task in this notebook {colab_badge(repo_url, notebook)}", ""]
    if tasks:
        lines += ["Write these functions. Until you do, each one raises `NotImplementedError` "
                  "naming its file and this notebook's section.", "",
                  "| function | file to edit | taught in |", "|---|---|---|"]
        lines += [f"| `{t.name}` | `{t.file}` | "
                  f"{('section ' + t.section.heading) if t.section else 'this notebook'} |"
                  for t in tasks]
        lines += ["", "Open the file (on Colab: the folder icon, then `drive/MyDrive/cs_nn/`), "
                  "replace the `raise NotImplementedError(...)` line by your code, save, and "
                  "re-run the section's cells. The cell after each exercise checks it "
                  "(reference values, numeric gradients) and prints *pass* or what is wrong. "
                  "Autoreload (turned on below) picks up your edits without a restart."]
    else:
        lines += ["There is no new function to write here: this notebook uses the code you "
                  "wrote in the earlier notebooks, so finish those first."]
    if prompts:
        lines += ["", f"**Written questions:** {prompts} answer cell"
                  f"{'s' if prompts > 1 else ''} marked *Your answer* to fill in."]
    if graded:
        files = ", ".join(f"`{f}`" for f in graded)
        lines += ["", f"**Graded files** this notebook writes into `output_files/`: {files}."]
    checks = ["`cs-nn check` (are my graded files right?)",
              "`cs-nn status` (what is left to do?)"]
    if tests:
        checks.insert(0, f"`pytest {' '.join(tests)}` (this notebook's tests)")
    lines += ["", "**Check your work** from a terminal in the course folder (in a notebook "
              "cell, prefix a `!`): " + "; ".join(checks) + "."]
    return "\n".join(lines) + "\n"


def _cell(kind: str, source: str, tag: str) -> nbformat.NotebookNode:
    cell = (nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell)(
        source)
    cell.metadata["tags"] = [tag]
    cell.id = f"cs-nn-{tag}"  # fixed ids: the same source gives the same release
    return cell


def release_notebook(nb: nbformat.NotebookNode, name: str, tasks: Sequence[Task],
                     graded: Iterable[str], tests: Sequence[str], repo_url: str
                     ) -> list[Answer]:
    """Turn a source notebook into its release version, in place; returns its answers."""
    answers = hold_back_answers(nb, name)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
        cell.source = rewrite_repo_url(cell.source, repo_url)
    nb.metadata.pop("widgets", None)
    cells = [c for c in nb.cells if not _is_setup(c)]
    title = next((i for i, c in enumerate(cells) if c.cell_type == "markdown"), None)
    head = [cells.pop(title)] if title is not None else []
    prompts = sum(PROMPT_TAG in c.metadata.get("tags", []) for c in cells)
    opening = [
        _cell("markdown", task_markdown(name, tasks, list(graded), tests, prompts, repo_url),
              TASK_TAG),
        _cell("code", setup_cell(repo_url), SETUP_TAG),
        _cell("code", AUTORELOAD, AUTORELOAD_TAG),
    ]
    nb.cells = head + opening + cells
    for i, cell in enumerate(c for c in nb.cells if PROMPT_TAG in c.metadata.get("tags", [])):
        cell.id = f"cs-nn-answer-{i + 1}"
    nbformat.validate(nb)
    return answers
