"""Google Colab: keep the learner's copy of the course in Google Drive.

Each Colab notebook runs in its own throw-away runtime. So that the code a learner writes in
``cs_nn/`` and the files in ``output_files/`` carry from one notebook to the next and survive
a runtime reset, every notebook's first code cell (:func:`setup_cell`) mounts Google Drive,
clones the course into ``MyDrive/cs_nn`` the first time, and calls :func:`setup_colab`, which
installs that clone editable, puts it first on ``sys.path`` and works from its
``notebooks/`` folder. Run anywhere but Colab, both do nothing.

This module uses only the standard library: the cell imports it from the Drive clone before
``cs_nn`` is installed.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

DRIVE = "/content/drive"
COURSE_DIR = f"{DRIVE}/MyDrive/cs_nn"


def on_colab() -> bool:
    """Whether this Python runs inside Google Colab."""
    if "google.colab" in sys.modules:
        return True
    try:
        return importlib.util.find_spec("google.colab") is not None
    except (ImportError, ValueError):
        return False


def _installed_from(folder: Path) -> bool:
    """Whether cs_nn is pip-installed (editable) from ``folder`` in this runtime."""
    from importlib import metadata

    try:
        text = metadata.distribution("cs_nn").read_text("direct_url.json") or "{}"
    except metadata.PackageNotFoundError:
        return False
    url = json.loads(text).get("url", "")
    return url.removeprefix("file://").rstrip("/") == str(folder).rstrip("/")


def _mount_drive(drive_root: str) -> None:
    from google.colab import drive  # only importable on Colab

    if not os.path.isdir(f"{drive_root}/MyDrive"):
        drive.mount(drive_root)


def _run(cmd: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True)


def setup_colab(repo_url: str, folder: str | os.PathLike[str] | None = None,
                drive_root: str | None = None,
                run: Callable[[list[str]], object] | None = None) -> Path | None:
    """On Colab: mount Drive, clone ``repo_url`` into ``folder`` (default ``MyDrive/cs_nn``)
    once, install it editable, work from its notebooks/ folder; print one line saying so.
    Elsewhere: do nothing.

    Returns the course folder on Colab, else None. ``run`` runs the git and pip commands
    (default: :func:`subprocess.run`, failing on a non-zero exit)."""
    if not on_colab():
        return None
    drive_root = drive_root or DRIVE
    run = run or _run
    _mount_drive(drive_root)
    course = Path(folder) if folder is not None else Path(drive_root) / "MyDrive" / "cs_nn"
    fresh = not (course / "pyproject.toml").is_file()
    if fresh:
        if course.exists() and any(course.iterdir()):
            raise RuntimeError(
                f"{course} exists but holds no course (no pyproject.toml): rename or remove "
                "it in Google Drive, then run this cell again")
        run(["git", "clone", "--quiet", repo_url, str(course)])
    if not _installed_from(course):
        run([sys.executable, "-m", "pip", "install", "--quiet", "-e", str(course)])
    if str(course) not in sys.path:
        sys.path.insert(0, str(course))
    os.chdir(course / "notebooks")
    what = "cloned the course into" if fresh else "using your course folder"
    print(f"Colab: {what} {course} in your Google Drive; your code in cs_nn/ and your "
          "output_files/ are kept there across notebooks and runtime resets.")
    return course


def setup_cell(repo_url: str) -> str:
    """The source of every release notebook's setup cell (a bootstrap, then setup_colab)."""
    return f'''\
# Setup. On Google Colab this keeps your copy of the course in your Google Drive
# (MyDrive/cs_nn: cloned once, installed from there), so your code and output_files/
# persist across notebooks and runtime resets. Run locally, it does nothing.
import sys

REPO_URL = "{repo_url}"

if "google.colab" in sys.modules:
    import os
    import subprocess

    from google.colab import drive

    drive.mount("{DRIVE}")
    if not os.path.isdir("{COURSE_DIR}"):
        subprocess.run(["git", "clone", "--quiet", REPO_URL, "{COURSE_DIR}"], check=True)
    sys.path.insert(0, "{COURSE_DIR}")
    from cs_nn.course.colab import setup_colab

    setup_colab(REPO_URL)
'''
