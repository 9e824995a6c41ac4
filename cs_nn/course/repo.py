"""Where the course lives on GitHub: the one home of the instructor repository's URL, and the
Colab links derived from a repository URL.

``REPO_URL`` is the instructor's repository (``[project.urls]`` in pyproject.toml says the
same; a test keeps them, the README and every notebook in step). A student release is
published at a URL of its own, given to ``cs-nn release --repo-url``, which rewrites every
link of the copy with :func:`rewrite_repo_url`.
"""

from __future__ import annotations

import re

REPO_URL = "https://github.com/cs-nn/cs_nn"
BRANCH = "main"
#: The release's URL when the instructor gives none: obviously not a real repository.
PLACEHOLDER_URL = "https://github.com/YOUR-GITHUB-ORG/YOUR-COURSE-RELEASE"
COLAB = "https://colab.research.google.com/github"
BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"

_GITHUB = re.compile(r"https://github\.com/(?P<owner>[A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))/"
                     r"(?P<repo>[A-Za-z0-9._-]{1,100}?)(?:\.git)?/?")


def validate_repo_url(url: str) -> str:
    """``url`` as ``https://github.com/OWNER/REPO``; ValueError saying why it cannot be used.

    Colab opens notebooks straight from GitHub, so the release must live there."""
    m = _GITHUB.fullmatch(url.strip())
    if not m or m["repo"] in (".", ".."):
        raise ValueError(f"--repo-url {url!r} is not a GitHub repository URL: give it as "
                         "https://github.com/OWNER/REPO (Colab badges open notebooks from "
                         "GitHub, so the release must be published there)")
    return f"https://github.com/{m['owner']}/{m['repo']}"


def repo_path(url: str) -> str:
    """``OWNER/REPO`` of a GitHub URL."""
    return validate_repo_url(url).removeprefix("https://github.com/")


def colab_url(repo_url: str, notebook: str, branch: str = BRANCH) -> str:
    """The Colab link that opens ``notebooks/<notebook>.ipynb`` of the repository."""
    return f"{COLAB}/{repo_path(repo_url)}/blob/{branch}/notebooks/{notebook}.ipynb"


def colab_badge(repo_url: str, notebook: str, branch: str = BRANCH) -> str:
    """The markdown "Open In Colab" badge of a notebook."""
    return f"[![Open In Colab]({BADGE_IMAGE})]({colab_url(repo_url, notebook, branch)})"


def rewrite_repo_url(text: str, new_url: str, old_url: str = REPO_URL,
                     branch: str = BRANCH, old_branch: str = BRANCH) -> str:
    """``text`` with every link to ``old_url`` (plain, clone or Colab) pointing at ``new_url``."""
    old, new = repo_path(old_url), repo_path(new_url)
    text = text.replace(f"/github/{old}/blob/{old_branch}/", f"/github/{new}/blob/{branch}/")
    return re.sub(rf"https://github\.com/{re.escape(old)}(?=\.git(?![\w-])|(?![\w.-]))",
                  f"https://github.com/{new}", text)


def links_to(text: str) -> set[str]:
    """``OWNER/REPO`` of every GitHub repository ``text`` links to (plain or via Colab)."""
    found = {f"{m['owner']}/{m['repo']}" for m in
             re.finditer(r"https://github\.com/(?P<owner>[\w-]+)/(?P<repo>[\w.-]+?)"
                         r"(?:\.git)?(?=[/\"')\s]|$)", text)}
    found |= {m[1] for m in re.finditer(r"colab\.research\.google\.com/github/([\w-]+/[\w.-]+)"
                                        r"/blob/", text)}
    return found
