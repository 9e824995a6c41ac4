"""Written-question answers: held back from the release, kept in the instructor's answer key.

A source notebook marks each worked answer with the cell tag ``answer`` and its marking guide
either with the tag ``rubric`` (a separate cell, right after the answer) or with a line
starting ``Rubric:`` inside the answer cell (``# Rubric:`` in a code cell). The release keeps
in their place one prompt cell per answer ("Your answer: ..."); the answer key, a markdown file
written outside the release, keeps the question, the answer and the rubric.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import nbformat

ANSWER_TAG, RUBRIC_TAG, PROMPT_TAG = "answer", "rubric", "answer-prompt"
_RUBRIC_LINE = re.compile(r"^\s*(?:#\s*)?\**Rubric\**:\**\s*(?P<text>.*)$", re.IGNORECASE)
MARKDOWN_PROMPT = ("**Your answer:** *double-click here and write your answer (a few sentences; "
                   "back it with numbers from the cells above where you can).*")
CODE_PROMPT = ("# Your answer: write the code that answers the question above, then run it.\n")


@dataclass(frozen=True)
class Answer:
    """One written answer: a run of consecutive answer cells (one prompt in the release)."""

    notebook: str
    section: str  # the "## ..." heading above it (and the "### ..." one, if any)
    question: str  # the nearest markdown cell above that is not an answer
    parts: tuple[tuple[str, str], ...]  # (cell kind, text without rubric lines), in order
    rubric: str

    def with_part(self, kind: str, text: str, rubric: str) -> Answer:
        return Answer(self.notebook, self.section, self.question,
                      self.parts + ((kind, text),) if text else self.parts,
                      " ".join(x for x in (self.rubric, rubric) if x))


def tags(cell: nbformat.NotebookNode) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _split_rubric(text: str) -> tuple[str, str]:
    """(answer, rubric): the rubric is the cell's last lines, from one starting "Rubric:"."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = _RUBRIC_LINE.match(line)
        if m:
            rest = [ln.strip().lstrip("#").strip() for ln in lines[i + 1:]]
            rubric = " ".join(x for x in [m["text"].strip(), *rest] if x)
            return "\n".join(lines[:i]).strip("\n"), rubric
    return text.strip("\n"), ""


def prompt_cell(kind: str) -> nbformat.NotebookNode:
    """The cell a learner writes an answer into."""
    if kind == "code":
        cell = nbformat.v4.new_code_cell(CODE_PROMPT)
    else:
        cell = nbformat.v4.new_markdown_cell(MARKDOWN_PROMPT)
    cell.metadata["tags"] = [PROMPT_TAG]
    return cell


def hold_back_answers(nb: nbformat.NotebookNode, name: str) -> list[Answer]:
    """Replace ``nb``'s answer cells by prompts (in place) and drop its rubric cells.

    Consecutive answer cells form one answer with one prompt (of the first cell's kind).
    Returns the answers, each with its rubric, for the answer key."""
    cells, answers = [], []
    section, sub, question = "", "", ""
    previous_answer = False
    for cell in nb.cells:
        t = tags(cell)
        text = cell.source if isinstance(cell.source, str) else "".join(cell.source)
        if RUBRIC_TAG in t and ANSWER_TAG not in t:
            if answers:
                answers[-1] = answers[-1].with_part(cell.cell_type, "", text.strip())
            continue
        if ANSWER_TAG in t:
            body, rubric = _split_rubric(text)
            if previous_answer:
                answers[-1] = answers[-1].with_part(cell.cell_type, body, rubric)
            else:
                where = " / ".join(x for x in (section, sub) if x)
                answers.append(Answer(name, where, question, ((cell.cell_type, body),), rubric))
                cells.append(prompt_cell(cell.cell_type))
            previous_answer = True
            continue
        previous_answer = False
        if cell.cell_type == "markdown":
            for line in text.splitlines():
                if line.startswith("## "):
                    section, sub = line[3:].strip(), ""
                elif line.startswith("### "):
                    sub = line[4:].strip()
            question = text.strip()
        cells.append(cell)
    nb.cells = cells
    return answers


def answer_key_markdown(answers: list[Answer], version: str) -> str:
    """The instructor's answer key: every written question with its answer and rubric."""
    out = [f"# cs_nn {version}: answer key (instructors only; never give this to learners)",
           "", "Each entry: the question as the notebook asks it, the worked answer held back "
           "from the student release, and the marking rubric.", ""]
    current = None
    for i, a in enumerate(answers, start=1):
        if a.notebook != current:
            out += [f"## {a.notebook}", ""]
            current = a.notebook
        out += [f"### {i}. {a.section or 'answer'}", ""]
        if a.question:
            out += ["> " + line if line else ">" for line in a.question.splitlines()] + [""]
        out += ["**Answer**", ""]
        for kind, text in a.parts:
            out += [f"```python\n{text}\n```" if kind == "code" else text, ""]
        out += [f"**Rubric:** {a.rubric or 'none given (add a rubric cell or line)'}", ""]
    if not answers:
        out += ["No cell of the notebooks is tagged `answer`.", ""]
    return "\n".join(out)
