"""The course's repository URL has one home (cs_nn.course.repo.REPO_URL): pyproject.toml,
the README and every notebook agree with it; release URLs are validated and rewritten."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cs_nn.course.repo import (
    REPO_URL,
    colab_url,
    links_to,
    repo_path,
    rewrite_repo_url,
    validate_repo_url,
)

#: Not shipped to learners: it checks the instructor's sources (a release has its own URL).
INSTRUCTOR_ONLY = True
ROOT = Path(__file__).resolve().parent.parent
try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = None


def test_pyproject_names_the_same_repository():
    if tomllib is None:
        pytest.skip("tomllib needs Python 3.11")
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert data["project"]["urls"]["Repository"] == REPO_URL


def _texts():
    yield "README.md", (ROOT / "README.md").read_text(encoding="utf-8")
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        yield nb.name, "\n".join("".join(c["source"]) for c in cells)


@pytest.mark.parametrize("name, text", list(_texts()), ids=lambda v: v if len(v) < 60 else "")
def test_every_link_points_at_the_course_repository(name, text):
    links = links_to(text)
    if name == "README.md" and not links:
        pytest.skip("this README (a student release's) names no repository link")
    assert links <= {repo_path(REPO_URL)}, f"{name} links to {links}: use "\
        "cs_nn.course.repo.rewrite_repo_url to move every link at once"


def test_rewrite_moves_plain_clone_and_colab_links():
    text = (f"git clone {REPO_URL}.git\n[badge]({colab_url(REPO_URL, '02_x')})\n"
            f'REPO_URL = "{REPO_URL}"  # and {REPO_URL}/issues\n{REPO_URL}-extra stays')
    new = rewrite_repo_url(text, "https://github.com/acme/course")
    assert links_to(new) == {"acme/course", "cs-nn/cs_nn-extra"}
    assert "colab.research.google.com/github/acme/course/blob/main/notebooks/02_x.ipynb" in new
    assert 'REPO_URL = "https://github.com/acme/course"' in new


@pytest.mark.parametrize("url, expected", [
    ("https://github.com/acme/course", "https://github.com/acme/course"),
    ("https://github.com/acme/course.git", "https://github.com/acme/course"),
    ("https://github.com/a-b/c.d_e/", "https://github.com/a-b/c.d_e"),
])
def test_valid_urls(url, expected):
    assert validate_repo_url(url) == expected


@pytest.mark.parametrize("url", ["", "https://github.com/acme", "git@github.com:acme/c.git",
                                 "https://github.com/-acme/c", "https://github.com/acme/c d",
                                 "https://github.com/acme/..", "https://evil.com/github.com/a/b"])
def test_invalid_urls_say_what_to_give(url):
    with pytest.raises(ValueError, match="https://github.com/OWNER/REPO"):
        validate_repo_url(url)
