"""Session set-up shared by the unit tests and the nbval notebook runs.

* Graded CSVs written by notebooks during the test session go to a temporary folder (the
  notebook kernels inherit ``CS_NN_OUTPUT_DIR``), so a test run never touches output_files/;
  unless ``CS_NN_NOTEBOOK_OUTPUT_DIR`` names a folder to keep them in (the release
  verification grades what the notebooks wrote).
* Tests marked ``after_notebooks`` run last, so they can compare what the notebooks wrote.
* matplotlib draws off-screen.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

#: Remembers each test's outcome for `cs-nn status` (.cs_nn/test_results.json).
pytest_plugins = ["cs_nn.course.pytest_results"]


def pytest_configure(config: pytest.Config) -> None:
    keep = os.environ.get("CS_NN_NOTEBOOK_OUTPUT_DIR")
    if keep:
        os.environ["CS_NN_OUTPUT_DIR"] = keep
    else:
        config._cs_nn_output_dir = tempfile.mkdtemp(prefix="cs_nn_notebook_outputs_")
        os.environ["CS_NN_OUTPUT_DIR"] = config._cs_nn_output_dir
    os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_unconfigure(config: pytest.Config) -> None:
    folder = getattr(config, "_cs_nn_output_dir", None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.get_closest_marker("after_notebooks") is not None)
