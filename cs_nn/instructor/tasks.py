"""What a learner implements, where, and which notebook section teaches it.

Computed from the solution regions (the release's stubs) and the notebooks themselves, so the
"your task" cells, the stub messages and the student README cannot go stale: a function's
section is the numbered ``## N. Title`` heading above the first code cell that uses the
function's name (a method: its class's name), i.e. the first section that needs it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

_HEADING = re.compile(r"^##\s+(?:(?P<num>\d+)\.\s+)?(?P<title>.+?)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Section:
    number: str  # "2", or "" for an unnumbered heading
    title: str

    @property
    def label(self) -> str:
        """How messages refer to it: "section 2" or "section 'Title'"."""
        return f"section {self.number}" if self.number else f"section '{self.title}'"

    @property
    def heading(self) -> str:
        return f"{self.number}. {self.title}" if self.number else self.title


@dataclass(frozen=True)
class Task:
    """One function a learner writes."""

    name: str  # function or Class.method, e.g. "linear_forward", "FullyConnectedNet.loss"
    module: str  # e.g. "cs_nn.layers.linear"
    file: str  # e.g. "cs_nn/layers/linear.py"
    notebook: str  # e.g. "02_linear_and_activations"
    section: Section | None

    @property
    def where(self) -> str:
        return f"{self.notebook}, {self.section.label}" if self.section else self.notebook


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def first_use_sections(cells: Iterable[dict], names: Iterable[str]) -> dict[str, Section]:
    """name -> the section of the first code cell (under a numbered ``## N.`` heading) that
    uses it: the section whose cells need the function to run."""
    wanted = {n: re.compile(rf"(?<![\w.]){re.escape(n)}\b|\.{re.escape(n)}\b") for n in names}
    found: dict[str, Section] = {}
    current: Section | None = None
    for cell in cells:
        text = _source(cell)
        if cell.get("cell_type") == "markdown":
            heads = list(_HEADING.finditer(text))
            if heads:
                current = Section(heads[-1]["num"] or "", heads[-1]["title"])
        elif cell.get("cell_type") == "code" and current is not None and current.number:
            for name, pattern in wanted.items():
                if name not in found and pattern.search(text):
                    found[name] = current
    return found


def lookup_name(name: str) -> str:
    """What a notebook calls: the function, or for ``Class.method`` the class."""
    return name.split(".")[0] if "." in name else name


def build_tasks(stubs: Iterable[tuple[str, str, str]], notebook_dir: Path,
                ) -> list[Task]:
    """Tasks from ``(file, qualified function, notebook)`` of every stub (one per function).

    ``qualified function`` is ``cs_nn.module.name`` (``name`` may be ``Class.method``)."""
    import nbformat

    seen: dict[tuple[str, str], Task] = {}
    sections: dict[str, dict[str, Section]] = {}
    rows = []
    for file, qualname, notebook in stubs:
        module = file[:-3].replace("/", ".").removesuffix(".__init__")
        name = qualname.removeprefix(module + ".")
        rows.append((file, module, name, notebook))
    by_notebook: dict[str, set[str]] = {}
    for _, _, name, nb in rows:
        by_notebook.setdefault(nb, set()).add(lookup_name(name))
    for nb, names in by_notebook.items():
        path = Path(notebook_dir) / f"{nb}.ipynb"
        cells = nbformat.read(path, as_version=4).cells if path.is_file() else []
        sections[nb] = first_use_sections(cells, names)
    for file, module, name, nb in rows:
        if (file, name) not in seen:
            seen[(file, name)] = Task(name, module, file, nb,
                                      sections[nb].get(lookup_name(name)))
    return list(seen.values())


def tasks_by_notebook(tasks: Iterable[Task]) -> dict[str, list[Task]]:
    """notebook -> its tasks, in the order its sections teach them."""
    out: dict[str, list[Task]] = {}
    for t in tasks:
        out.setdefault(t.notebook, []).append(t)
    for nb, mine in out.items():
        order = {id(t): i for i, t in enumerate(mine)}
        out[nb] = sorted(mine, key=lambda t: (int(t.section.number) if t.section else 99,
                                              order[id(t)]))
    return out
