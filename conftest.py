"""Session set-up shared by the unit tests and the nbval notebook runs.

* Graded CSVs written by notebooks during the test session go to a temporary folder (the
  notebook kernels inherit ``CS_NN_OUTPUT_DIR``), so a test run never touches output_files/.
* Tests marked ``after_notebooks`` run last, so they can compare what the notebooks wrote.
* matplotlib draws off-screen.
"""

from __future__ import annotations

import os
import tempfile

import pytest

SESSION_OUTPUT_DIR = tempfile.mkdtemp(prefix="cs_nn_notebook_outputs_")


def pytest_configure(config: pytest.Config) -> None:
    os.environ["CS_NN_OUTPUT_DIR"] = SESSION_OUTPUT_DIR
    os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.get_closest_marker("after_notebooks") is not None)
