"""Where the graded files live: ``input_files/`` and ``output_files/`` of the project.

Resolution: an explicit argument, else the environment variables ``CS_NN_INPUT_DIR`` /
``CS_NN_OUTPUT_DIR``, else the folders of that name in the current directory or the nearest
parent that has an ``input_files/`` folder (so notebooks in ``notebooks/`` find the
project's folders).
"""

from __future__ import annotations

import os
from pathlib import Path


def project_dir(start: str | os.PathLike[str] | None = None) -> Path:
    """The nearest folder at or above ``start`` (default: cwd) holding ``input_files/``."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "input_files").is_dir():
            return folder
    raise FileNotFoundError(
        f"no input_files/ folder in {here} or any parent. Run from the cs_nn project folder "
        "(or its notebooks/), pass the folder explicitly, or set CS_NN_INPUT_DIR.")


def input_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """The graded inputs folder (see the module docstring for the resolution order)."""
    if path is not None:
        return Path(path)
    if os.environ.get("CS_NN_INPUT_DIR"):
        return Path(os.environ["CS_NN_INPUT_DIR"])
    return project_dir() / "input_files"


def output_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """The graded outputs folder (see the module docstring for the resolution order)."""
    if path is not None:
        return Path(path)
    if os.environ.get("CS_NN_OUTPUT_DIR"):
        return Path(os.environ["CS_NN_OUTPUT_DIR"])
    return project_dir() / "output_files"
