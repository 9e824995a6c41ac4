"""Session set-up shared by the unit tests and the nbval notebook runs.

* Graded CSVs written by notebooks during the test session go to a temporary folder (the
  notebook kernels inherit ``CS_NN_OUTPUT_DIR``), so a test run never touches output_files/;
  unless ``CS_NN_NOTEBOOK_OUTPUT_DIR`` names a folder to keep them in (the release
  verification grades what the notebooks wrote).
* Tests marked ``after_notebooks`` run last, so they can compare what the notebooks wrote.
* matplotlib draws off-screen.
* hypothesis draws the same examples on every run (derandomized).
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

try:
    from hypothesis import settings
except ImportError:  # property tests need it ("pip install -e .[dev]"); the rest do not
    settings = None
else:
    # Property tests draw the same examples on every run (the suite is deterministic: a
    # failure seen once is seen again); a failing example prints its reproduction blob.
    settings.register_profile("cs_nn", derandomize=True, print_blob=True)
    settings.load_profile("cs_nn")

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
