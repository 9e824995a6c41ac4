"""The student release: stubs in place of solutions, no solution line left, tests fail only
with the stubs' NotImplementedError, and the reference solution put back makes them pass."""

from __future__ import annotations

import ast
import json
import shutil

import pytest
from synthetic_submissions import ROOT, instructor_only

from cs_nn.instructor.release import (
    MARKER_FILE,
    ReleaseError,
    build_release,
    declared_notebooks,
    find_regions,
    leaked_lines,
    notebook_for,
    solution_lines,
    strip_source,
)
from cs_nn.instructor.release_verify import check_import, check_install, run_tests

pytestmark = instructor_only
#: Fast test modules of stubbed code; the first two that exist are run on the release.
FAST_TESTS = ("tests/test_dropout.py", "tests/test_linear.py", "tests/test_activations.py",
              "tests/test_losses.py")

SOURCE = '''
import numpy as np

NOTEBOOK = "02_linear_and_activations"

def f(x: np.ndarray) -> np.ndarray:
    """Doc: x (N,)."""
    if x.ndim != 1:
        raise ValueError("x must be 1-D")
    # BEGIN SOLUTION
    out = 2 * x
    # END SOLUTION
    return out


class Net:
    def loss(self, X):
        for _ in range(2):
            # BEGIN SOLUTION
            X = X + 1
            # END SOLUTION
        return X
'''


def test_strip_source_keeps_signature_docstring_validation():
    text, stubs = strip_source(SOURCE, "layers/linear.py")
    ast.parse(text)
    assert "2 * x" not in text and "X = X + 1" not in text and "SOLUTION" not in text
    assert 'raise ValueError("x must be 1-D")' in text and '"""Doc: x (N,)."""' in text
    assert [s.function for s in stubs] == ["cs_nn.layers.linear.f", "cs_nn.layers.linear.Net.loss"]
    ns: dict = {}
    exec(compile(text, "m", "exec"), ns)  # our own generated source, not a submission
    import numpy as np

    with pytest.raises(NotImplementedError, match=r"linear\.f: implement this in notebook "
                                                  "02_linear_and_activations"):
        ns["f"](np.ones(3))
    with pytest.raises(ValueError, match="1-D"):
        ns["f"](np.ones((2, 2)))
    with pytest.raises(NotImplementedError, match="Net.loss"):
        ns["Net"]().loss(1)


@pytest.mark.parametrize("bad, match", [
    ("# BEGIN SOLUTION\nx = 1\n# END SOLUTION\n", "inside a function"),
    ("def f():\n    # BEGIN SOLUTION\n    return 1\n", "never closed"),
    ("def f():\n    return 1\n    # END SOLUTION\n", "without a"),
    ("def f():\n    # BEGIN SOLUTION\n    # BEGIN SOLUTION\n    return 1\n", "inside the region"),
])
def test_bad_markers_are_refused(bad, match):
    with pytest.raises(ReleaseError, match=match):
        strip_source(bad, "x.py")


def _source(rel: str) -> str:
    return (ROOT / "cs_nn" / rel).read_text(encoding="utf-8")


def test_notebook_map():
    assert notebook_for(_source("layers/pool.py"), "cs_nn.layers.pool.max_pool_forward") == \
        "09_pooling_and_convnets"
    assert notebook_for(_source("layers/conv_naive.py"), "m.max_pool_forward_naive") == \
        "09_pooling_and_convnets"
    assert notebook_for(_source("layers/conv_naive.py"), "m.conv_forward_naive") == \
        "08_convolution"
    assert notebook_for(_source("nn/containers.py"), "m.Sequential.forward") == \
        "05_fully_connected_nets"
    assert notebook_for("def g():\n    pass\n", "m.g") == "the course notebooks"


def test_every_module_with_solution_regions_names_an_existing_notebook():
    for path in sorted((ROOT / "cs_nn").rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        if not find_regions(source.splitlines(), str(path)):
            continue
        default, by_prefix = declared_notebooks(source)
        assert default is not None, f"{path}: add NOTEBOOK = \"NN_name\" (the notebook teaching it)"
        for nb in (default, *by_prefix.values()):
            assert (ROOT / "notebooks" / f"{nb}.ipynb").is_file(), f"{path}: no notebook {nb}"


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    out = tmp_path_factory.mktemp("rel") / "student"
    stubs = build_release(out)
    return out, stubs


def test_release_contents(release):
    out, stubs = release
    assert stubs and (out / MARKER_FILE).is_file() and (out / "pyproject.toml").is_file()
    assert [p.name for p in (out / "output_files").iterdir()] == [".gitkeep"]
    assert (out / "cs_nn" / "course" / "selfcheck.json").is_file()
    assert not (out / ".git").exists() and not (out / ".ci").exists()
    assert not list(out.rglob("answer_key*")) and not list(out.rglob("__pycache__"))
    for nb in (out / "notebooks").glob("*.ipynb"):
        cells = json.loads(nb.read_text())["cells"]
        assert all(not c.get("outputs") and c.get("execution_count") is None
                   for c in cells if c["cell_type"] == "code"), nb.name
    stubbed = {s["file"] for s in json.loads((out / MARKER_FILE).read_text())["stubs"]}
    assert "cs_nn/layers/linear.py" in stubbed
    for rel in stubbed:
        ast.parse((out / rel).read_text())


def test_no_solution_line_survives(release, tmp_path):
    out, _ = release
    inside, outside = solution_lines(ROOT / "cs_nn")
    secret = inside - outside
    assert len(secret) >= 30, "too few distinctive solution lines: the check would be vacuous"
    assert leaked_lines(ROOT, out) == []
    # the check does find lines when they are there: an unstripped copy leaks them all
    shutil.copytree(ROOT / "cs_nn", tmp_path / "cs_nn",
                    ignore=shutil.ignore_patterns("__pycache__"))
    leaks = leaked_lines(ROOT, tmp_path)
    assert secret <= set(leaks)


def test_release_imports_fails_only_with_stubs_and_passes_with_solutions(release):
    out, stubs = release
    tests = [t for t in FAST_TESTS if (out / t).is_file()][:2]
    assert tests, f"none of {FAST_TESTS} exist: nothing would prove the release works"
    assert check_install(out) == "" and check_import(out) == ""
    before = run_tests(out, tests)
    assert before.other_failures == [] and before.not_implemented > 0, before.summary()
    for rel in {s.file for s in stubs}:
        shutil.copy2(ROOT / rel, out / rel)
    after = run_tests(out, tests)
    assert after.other_failures == [] and after.not_implemented == 0, after.summary()
    assert after.passed == before.passed + before.not_implemented


def test_release_refuses_to_overwrite(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(ReleaseError, match="not empty"):
        build_release(tmp_path)
    with pytest.raises(ReleaseError, match="not a release this command wrote"):
        build_release(tmp_path, force=True)
    with pytest.raises(ReleaseError, match="outside the project"):
        build_release(ROOT / "release_here")


def _fake_project(root):
    (root / "cs_nn").mkdir(parents=True)
    (root / "cs_nn" / "__init__.py").write_text("")
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    return root


def test_force_never_deletes_the_source_project(tmp_path):
    """Issue 13 case 1: P holds a RELEASE.json and the source is P/proj."""
    (tmp_path / MARKER_FILE).write_text(json.dumps({"files": [MARKER_FILE]}))
    src = _fake_project(tmp_path / "proj")
    with pytest.raises(ReleaseError, match="contains the project"):
        build_release(tmp_path, src, force=True)
    assert (src / "cs_nn" / "__init__.py").is_file() and (tmp_path / MARKER_FILE).is_file()


@pytest.mark.parametrize("marker", [
    None,  # no marker at all
    "{}",  # an old or hand-made marker that lists no files
    "not json",
    json.dumps({"files": [MARKER_FILE]}),  # lists only itself; keep.txt is foreign
])
def test_force_refuses_folders_holding_files_it_did_not_write(tmp_path, marker):
    out = tmp_path / "rel"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    if marker is not None:
        (out / MARKER_FILE).write_text(marker)
    with pytest.raises(ReleaseError, match="not a release this command wrote"):
        build_release(out, ROOT, force=True)
    assert (out / "keep.txt").read_text() == "mine"


def test_force_refuses_a_link_inside_the_release(tmp_path):
    out = tmp_path / "rel"
    out.mkdir()
    (tmp_path / "outside.txt").write_text("mine")
    (out / "link").symlink_to(tmp_path / "outside.txt")
    (out / MARKER_FILE).write_text(json.dumps({"files": [MARKER_FILE, "link"]}))
    with pytest.raises(ReleaseError, match="link"):
        build_release(out, ROOT, force=True)
    assert (tmp_path / "outside.txt").read_text() == "mine" and (out / "link").is_symlink()


def test_release_onto_a_file_is_refused_before_any_work(tmp_path):
    target = tmp_path / "release.txt"
    target.write_text("mine")
    with pytest.raises(ReleaseError, match="is a file"):
        build_release(target, ROOT, force=True)
    with pytest.raises(ReleaseError, match="is a file"):
        build_release(target / "sub", ROOT)
    assert target.read_text() == "mine"


def test_force_replaces_its_own_release_and_nothing_added_to_it(tmp_path):
    out = tmp_path / "rel"
    build_release(out, ROOT)
    listed = json.loads((out / MARKER_FILE).read_text())["files"]
    assert "cs_nn/__init__.py" in listed and MARKER_FILE in listed
    (out / "README.md").write_text("edited by hand")  # a file it wrote may be replaced
    build_release(out, ROOT, force=True)
    assert (out / "README.md").read_text() == (ROOT / "README.md").read_text()
    (out / "notebooks" / "my_notes.txt").write_text("mine")
    with pytest.raises(ReleaseError, match="notebooks/my_notes.txt"):
        build_release(out, ROOT, force=True)
    assert (out / "notebooks" / "my_notes.txt").read_text() == "mine"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp left
