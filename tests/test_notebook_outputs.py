"""The graded CSVs the notebooks write equal what ``cs-nn outputs`` writes.

Runs after the nbval notebook runs of the same session (see conftest.py), which wrote into
``$CS_NN_OUTPUT_DIR``. When the notebooks were not part of the session (e.g.
``pytest tests/``), this test executes them itself with nbclient.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from cs_nn.course.graded import write_reference_outputs
from cs_nn.course.questions import all_questions
from cs_nn.io import read_csv

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


def _execute_notebooks(names: set[str], out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("CS_NN_OUTPUT_DIR", str(out))
    for name in sorted(names):
        path = NOTEBOOKS / f"{name}.ipynb"
        assert path.is_file(), f"questions name the notebook {path.name}, which does not exist"
        nb = nbformat.read(path, as_version=4)
        NotebookClient(nb, timeout=900, kernel_name="python3",
                       resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()


@pytest.mark.after_notebooks
def test_notebooks_write_the_reference_outputs(request: pytest.FixtureRequest, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    questions = all_questions()
    notebooks = {q.notebook for q in questions}
    ran = {item.path.stem for item in request.session.items if item.path.suffix == ".ipynb"}
    if notebooks <= ran:
        written = Path(os.environ["CS_NN_OUTPUT_DIR"])
    else:
        written = tmp_path / "from_notebooks"
        _execute_notebooks(notebooks, written, monkeypatch)

    reference = write_reference_outputs(None, tmp_path / "reference", questions)
    problems = []
    for row in reference:
        mine = written / row.path.name
        if not mine.is_file():
            problems.append(f"{row.notebook} did not write {row.path.name}")
            continue
        got, want = read_csv(mine), read_csv(row.path)
        if got.shape != want.shape or not np.allclose(got, want, rtol=1e-12, atol=0):
            problems.append(f"{row.notebook} wrote {row.path.name} with other values than "
                            "`cs-nn outputs`")
    expected = {row.path.name for row in reference}
    extra = sorted(p.name for p in written.glob("*_out*.csv") if p.name not in expected)
    problems += [f"a notebook wrote {name}, which no question declares" for name in extra]
    assert not problems, "\n".join(problems)
