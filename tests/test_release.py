"""The student release: stubs in place of solutions, no solution line left, tests fail only
with the stubs' NotImplementedError, and the reference solution put back makes them pass."""

from __future__ import annotations

import ast
import json
import shutil

import pytest
from synthetic_submissions import ROOT

from cs_nn.course.repo import links_to
from cs_nn.instructor.answer_scan import notebook_lines, scan_release, secret_lines
from cs_nn.instructor.regions import ReleaseError, find_regions, solution_lines
from cs_nn.instructor.release import MARKER_FILE, build_release, init_git
from cs_nn.instructor.release_files import is_instructor_only
from cs_nn.instructor.release_verify import check_import, check_install, run_tests
from cs_nn.instructor.stubbing import declared_notebooks, leaked_lines, notebook_for, strip_source

#: Not shipped to learners: tests of the release tool itself.
INSTRUCTOR_ONLY = True
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

    with pytest.raises(NotImplementedError, match=r"^implement f in cs_nn/layers/linear\.py "
                                                  r"\(notebook 02_linear_and_activations\)$"):
        ns["f"](np.ones(3))
    with pytest.raises(ValueError, match="1-D"):
        ns["f"](np.ones((2, 2)))
    with pytest.raises(NotImplementedError, match="implement Net.loss in"):
        ns["Net"]().loss(1)
    text, _ = strip_source(SOURCE, "layers/linear.py", {"f": "section 2"})
    assert "implement f in cs_nn/layers/linear.py (notebook 02_linear_and_activations, " \
           "section 2)" in text


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


URL = "https://github.com/example-org/nn-course-2027"


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    out = tmp_path_factory.mktemp("rel") / "student"
    stubs = build_release(out, repo_url=URL)
    return out, stubs


def test_release_contents(release):
    out, stubs = release
    assert stubs and (out / MARKER_FILE).is_file() and (out / "pyproject.toml").is_file()
    assert [p.name for p in (out / "output_files").iterdir()] == [".gitkeep"]
    assert (out / "cs_nn" / "course" / "selfcheck.json").is_file()
    assert not (out / ".git").exists() and not (out / ".ci").exists()
    assert not list(out.rglob("answer_key*")) and not list(out.rglob("__pycache__"))
    assert not (out / "benchmarks").exists()
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


def test_release_imports_fails_only_with_stubs_and_passes_with_solutions(release, tmp_path):
    out, stubs = tmp_path / "release", release[1]
    shutil.copytree(release[0], out)  # the solutions are put back into this copy only
    tests = [t for t in FAST_TESTS if (out / t).is_file()][:2]
    assert tests, f"none of {FAST_TESTS} exist: nothing would prove the release works"
    assert check_install(out) == "" and check_import(out) == ""
    assert not (out / "build").exists() and not list(out.glob("*.egg-info"))  # built a copy
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
        build_release(tmp_path, repo_url=URL)
    with pytest.raises(ReleaseError, match="not a release this command wrote"):
        build_release(tmp_path, force=True, repo_url=URL)
    with pytest.raises(ReleaseError, match="outside the project"):
        build_release(ROOT / "release_here", repo_url=URL)


def test_instructor_material_is_held_back(release):
    out, _ = release
    info = json.loads((out / MARKER_FILE).read_text())
    flagged = [p.relative_to(ROOT).as_posix() for p in sorted((ROOT / "tests").glob("*.py"))
               if is_instructor_only(p)]
    assert {"tests/test_optim.py", "tests/test_release.py"} <= set(flagged)
    for rel in flagged:
        assert not (out / rel).exists() and rel in info["held_back"], rel
    shipped = sorted(p.name for p in (out / "tests").glob("test_*.py"))
    assert "test_linear.py" in shipped and len(shipped) >= 10
    # the course's trained FER2013 models are answers to seed 000 Q5/Q6; the CIFAR-10 CNN that
    # stands in for ImageNet weights in notebook 14 ships
    for rel in ("cs_nn/course/assets/fer2013_mlp.npz", "cs_nn/pytorch/weights/fer_cnn.npz"):
        assert (ROOT / rel).is_file() and not (out / rel).exists(), rel
        assert rel in info["held_back"], rel
    assert (out / "cs_nn/pytorch/weights/cifar10_cnn.npz").is_file()
    # folders whose every file stays behind are not left empty (cs_nn/_fast/)
    empty = [p.relative_to(out).as_posix() for p in out.rglob("*")
             if p.is_dir() and not any(p.iterdir())]
    assert empty == [] and not (out / "cs_nn" / "_fast").exists(), empty
    # the instructor README stays behind: the release has the student README
    readme = (out / "README.md").read_text()
    assert "For developers" not in readme and "BEGIN SOLUTION" not in readme
    assert "## What you implement" in readme and "cs-nn status" in readme


def test_student_readme_table_comes_from_the_stubs_and_questions(release):
    out, _ = release
    readme = (out / "README.md").read_text()
    row = next(ln for ln in readme.splitlines() if ln.startswith("| 02 |"))
    for piece in ("`cs_nn/layers/linear.py`", "`linear_forward`", "`relu_backward`",
                  "`linear_backward_out_dw.csv`", f"{URL[len('https://github.com/'):]}/blob/main/"
                  "notebooks/02_linear_and_activations.ipynb"):
        assert piece in row, piece
    assert f"git clone {URL}" in readme


def _cells(out, name):
    return json.loads((out / "notebooks" / f"{name}.ipynb").read_text())["cells"]


def test_every_notebook_opens_with_its_task_setup_and_autoreload(release):
    out, stubs = release
    names = sorted(p.stem for p in (out / "notebooks").glob("*.ipynb"))
    assert len(names) >= 10
    for name in names:
        cells = _cells(out, name)
        tags = [c["metadata"].get("tags", []) for c in cells[:4]]
        assert tags[1:] == [["your-task"], ["setup"], ["autoreload"]], name
        task, setup, reload = ("".join(c["source"]) for c in cells[1:4])
        assert f'REPO_URL = "{URL}"' in setup and "setup_colab(REPO_URL)" in setup
        assert "%autoreload 2" in reload
        assert sum("google.colab" in "".join(c["source"]) for c in cells) == 1, name
        for s in stubs:
            if s.notebook == name:
                module = s.file[:-3].replace("/", ".")
                assert f"`{s.function.removeprefix(module + '.')}`" in task, (name, s.function)
    task = "".join(_cells(out, "02_linear_and_activations")[1]["source"])
    assert "| `linear_forward` | `cs_nn/layers/linear.py` | section 1. The linear layer |" in task
    assert "`pytest tests/test_activations.py tests/test_linear.py`" in task


def test_repo_url_sets_every_link(release):
    out, _ = release
    texts = [(out / "README.md").read_text()]
    texts += [p.read_text() for p in (out / "notebooks").glob("*.ipynb")]
    assert all(links_to(t) == {URL.removeprefix("https://github.com/")} for t in texts)
    badge = "colab.research.google.com/github/example-org/nn-course-2027/blob/main/notebooks/"
    assert all(badge in t for t in texts[1:])


@pytest.mark.parametrize("url", ["http://github.com/a/b", "https://gitlab.com/a/b",
                                 "https://github.com/a", "github.com/a/b", "https://github.com/a/b/c"])
def test_bad_repo_url_is_refused(tmp_path, url):
    with pytest.raises(ValueError, match="not a GitHub repository URL"):
        build_release(tmp_path / "r", repo_url=url)


def test_no_repo_url_warns_and_uses_the_placeholder(tmp_path, monkeypatch):
    import cs_nn.instructor.release as release_module

    monkeypatch.setattr(release_module, "held_back", lambda src: (_ for _ in ()).throw(
        RuntimeError("stop after the URL check")))
    with pytest.warns(UserWarning, match="placeholder"), pytest.raises(RuntimeError, match="stop"):
        build_release(tmp_path / "r")


def test_answers_are_held_back_into_the_answer_key(release):
    out, _ = release
    key = (out.parent / f"{out.name}-answer-key.md").read_text()
    src = json.loads((ROOT / "notebooks" / "02_linear_and_activations.ipynb").read_text())
    answers = ["".join(c["source"]) for c in src["cells"]
               if "answer" in c["metadata"].get("tags", [])]
    assert answers, "notebook 02 has no answer cell: nothing would prove answers stay out"
    cells = _cells(out, "02_linear_and_activations")
    text = "\n".join("".join(c["source"]) for c in cells)
    prompts = [c for c in cells if "answer-prompt" in c["metadata"].get("tags", [])]
    assert len(prompts) == len(answers) and "Your answer" in "".join(prompts[0]["source"])
    for answer in answers:
        body = answer.split("**Rubric:**")[0].strip()
        assert body[:200] not in text and body[:200] in key
    assert key.count("**Rubric:** ") >= len(answers) and "dead" in key
    assert "## 02_linear_and_activations" in key


def test_answer_scan_is_clean_and_finds_planted_answers(release, tmp_path):
    out, _ = release
    assert scan_release(out, ROOT) == []
    planted = tmp_path / "planted"
    shutil.copytree(out, planted)
    secret = sorted(secret_lines(ROOT))
    assert len(secret) >= 30, "too few distinctive solution lines: the scan would be vacuous"
    line = next(s for s in secret if "@" in s or "np." in s)
    test = planted / "tests" / "test_linear.py"
    test.write_text(test.read_text() + f"\n\ndef reference(x, w, b):\n    {line}\n")
    shutil.copy2(ROOT / "tests" / "test_optim.py", planted / "tests" / "test_optim.py")
    answer, _ = notebook_lines(ROOT / "notebooks")
    nb = planted / "notebooks" / "02_linear_and_activations.ipynb"
    data = json.loads(nb.read_text())
    data["cells"][-1]["source"] += "\n" + sorted(answer)[0]
    nb.write_text(json.dumps(data))
    (planted / "answer_key.md").write_text("x")
    kinds = {(f.path, f.kind) for f in scan_release(planted, ROOT)}
    assert ("tests/test_linear.py", "solution code") in kinds
    assert ("tests/test_optim.py", "instructor material") in kinds
    assert ("notebooks/02_linear_and_activations.ipynb", "written answer") in kinds
    assert ("answer_key.md", "instructor material") in kinds


def test_release_as_a_git_repository(release, tmp_path):
    import subprocess

    out, _ = release
    copy = tmp_path / "repo"
    shutil.copytree(out, copy)
    commit = init_git(copy)
    assert len(commit) == 40
    listed = subprocess.run(["git", "ls-files"], cwd=copy, capture_output=True, text=True,
                            check=True).stdout.split()
    assert "README.md" in listed and "cs_nn/layers/linear.py" in listed
    assert subprocess.run(["git", "status", "--porcelain"], cwd=copy, capture_output=True,
                          text=True, check=True).stdout == ""
    with pytest.raises(ReleaseError, match="already a git repository"):
        init_git(copy)


def test_answer_cells_group_into_one_prompt_with_rubrics():
    import nbformat

    from cs_nn.instructor.answers import answer_key_markdown, hold_back_answers

    def cell(kind, text, *tags):
        c = (nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell)(text)
        c.metadata["tags"] = list(tags)
        return c

    nb = nbformat.v4.new_notebook(cells=[
        cell("markdown", "## 2. Questions\n\n### (a) Why?\n\n*Question.* Why is the sky blue?"),
        cell("markdown", "*Answer.* Rayleigh scattering.\n\nRubric: 1 point: names scattering.",
             "answer"),
        cell("code", "print(1 / 4)", "answer"),
        cell("markdown", "Half a point for the wavelength.", "rubric"),
        cell("code", "x = 1"),
        cell("code", "y = 2", "answer"),
    ])
    answers = hold_back_answers(nb, "99_test")
    assert [c.metadata["tags"] for c in nb.cells] == [[], ["answer-prompt"], [], ["answer-prompt"]]
    assert nb.cells[1].cell_type == "markdown" and nb.cells[3].cell_type == "code"
    first = answers[0]
    assert first.section == "2. Questions / (a) Why?" and "sky blue" in first.question
    assert first.parts == (("markdown", "*Answer.* Rayleigh scattering."), ("code", "print(1 / 4)"))
    assert first.rubric == "1 point: names scattering. Half a point for the wavelength."
    key = answer_key_markdown(answers, "0")
    assert "```python\nprint(1 / 4)\n```" in key and "none given" in key  # the second has none



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
        build_release(tmp_path, src, force=True, repo_url=URL)
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
        build_release(out, ROOT, force=True, repo_url=URL)
    assert (out / "keep.txt").read_text() == "mine"


def test_force_refuses_a_link_inside_the_release(tmp_path):
    out = tmp_path / "rel"
    out.mkdir()
    (tmp_path / "outside.txt").write_text("mine")
    (out / "link").symlink_to(tmp_path / "outside.txt")
    (out / MARKER_FILE).write_text(json.dumps({"files": [MARKER_FILE, "link"]}))
    with pytest.raises(ReleaseError, match="link"):
        build_release(out, ROOT, force=True, repo_url=URL)
    assert (tmp_path / "outside.txt").read_text() == "mine" and (out / "link").is_symlink()


def test_release_onto_a_file_is_refused_before_any_work(tmp_path):
    target = tmp_path / "release.txt"
    target.write_text("mine")
    with pytest.raises(ReleaseError, match="is a file"):
        build_release(target, ROOT, force=True, repo_url=URL)
    with pytest.raises(ReleaseError, match="is a file"):
        build_release(target / "sub", ROOT, repo_url=URL)
    assert target.read_text() == "mine"


def test_force_replaces_its_own_release_and_nothing_added_to_it(tmp_path):
    out = tmp_path / "rel"
    build_release(out, ROOT, repo_url=URL)
    listed = json.loads((out / MARKER_FILE).read_text())["files"]
    assert "cs_nn/__init__.py" in listed and MARKER_FILE in listed
    readme = (out / "README.md").read_text()
    (out / "README.md").write_text("edited by hand")  # a file it wrote may be replaced
    build_release(out, ROOT, force=True, repo_url=URL)
    assert (out / "README.md").read_text() == readme
    (out / "notebooks" / "my_notes.txt").write_text("mine")
    with pytest.raises(ReleaseError, match="notebooks/my_notes.txt"):
        build_release(out, ROOT, force=True, repo_url=URL)
    assert (out / "notebooks" / "my_notes.txt").read_text() == "mine"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp left
