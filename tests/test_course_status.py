"""`cs-nn status` on a small project laid out like a release: stubs read from the source,
learner tests (last run or run now), graded files through the self-check, milestones, and
the next step; the pytest plugin that remembers test outcomes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cs_nn.course.status import project_progress, record_milestone, render
from cs_nn.course.stubs import find_stubs, is_stub_error, stub_message, stubbed_names

ROOT = Path(__file__).resolve().parent.parent
STUB = stub_message("double", "cs_nn/toy.py", "02_linear_and_activations", "section 1")
TOY_STUB = f'''
def double(x):
    """2 x."""
    raise NotImplementedError(
        "{STUB}")


def half(x):
    return x / 2
'''
TOY_DONE = "def double(x):\n    return 2 * x\n\n\ndef half(x):\n    return x / 2\n"
TEST = '''
from cs_nn.toy import double


def test_double():
    assert double(3) == 6


def test_double_zero():
    assert double(0) == 0
'''


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "course"
    (root / "cs_nn").mkdir(parents=True)
    (root / "cs_nn" / "__init__.py").write_text("")
    (root / "cs_nn" / "toy.py").write_text(TOY_STUB)
    (root / "tests").mkdir()
    (root / "tests" / "test_toy.py").write_text(TEST)
    shutil.copytree(ROOT / "input_files", root / "input_files")
    (root / "output_files").mkdir()
    task = {"name": "double", "module": "cs_nn.toy", "file": "cs_nn/toy.py",
            "notebook": "02_linear_and_activations", "section": "1. The linear layer"}
    (root / "RELEASE.json").write_text(json.dumps({"tasks": [task]}))
    return root


def _nb(progress, name="02_linear_and_activations"):
    return next(nb for nb in progress.notebooks if nb.notebook == name)


def test_stub_messages_are_recognised():
    assert STUB == ("implement double in cs_nn/toy.py (notebook 02_linear_and_activations, "
                    "section 1)")
    assert is_stub_error(f"NotImplementedError: {STUB}") and not is_stub_error(STUB)
    assert not is_stub_error("NotImplementedError: something else")
    assert stubbed_names(f"E NotImplementedError: {STUB}\n{STUB}") == ["double"]


def test_stubs_are_found_in_the_source(project):
    assert [(s.file, s.name) for s in find_stubs(project)] == [("cs_nn/toy.py", "double")]
    (project / "cs_nn" / "toy.py").write_text(TOY_DONE)
    assert find_stubs(project) == []


def test_an_untouched_project(project):
    p = project_progress(project, files=False)
    nb = _nb(p)
    assert [t["name"] for t in nb.todo] == ["double"] and nb.done == []
    assert p.next_step() == ("implement double in cs_nn/toy.py (notebook "
                             "02_linear_and_activations, section 1. The linear layer)")
    assert "not run yet" in p.tests_note and p.milestones == []
    text = render(p)
    assert "02_linear_and_activations        0/1" in text and "next: implement double" in text


def test_tests_run_now_are_classified(project):
    p = project_progress(project, tests=True, files=False)
    assert dict(_nb(p).tests) == {"not implemented": 2}
    (project / "cs_nn" / "toy.py").write_text(TOY_DONE.replace("2 * x", "x + x + 1"))
    p = project_progress(project, tests=True, files=False)
    nb = _nb(p)
    assert nb.todo == [] and dict(nb.tests) == {"failed": 2}
    assert p.next_step().startswith("fix what tests/test_toy.py::test_double")


def test_graded_files_and_milestones(project):
    from cs_nn.course.graded import load_inputs
    from cs_nn.course.questions import get_question
    from cs_nn.io import write_csv

    (project / "cs_nn" / "toy.py").write_text(TOY_DONE)
    q = get_question("linear_forward")
    write_csv(project / "output_files" / "linear_forward_out.csv",
              q.reference(load_inputs(q, project / "input_files"))[""])
    (project / "output_files" / "relu_forward_out.csv").write_text("not a number\n")
    p = project_progress(project)
    nb = _nb(p)
    assert nb.files["ok"] == ["linear_forward_out.csv"]
    assert nb.files["malformed"] == ["relu_forward_out.csv"]
    assert "relu_forward_out.csv" in nb.reasons  # says why it is malformed
    assert p.next_step() == ("run notebook 01_computational_graphs to the end: it writes "
                             "graph_f1_out.csv")  # earlier notebooks first
    run = project / "runs" / "mnist-mlp"
    run.mkdir(parents=True)
    (run / "summary.json").write_text(json.dumps(
        {"config": {"dataset": "mnist", "model": "mlp"}, "accuracies": {"test": 0.9712}}))
    assert record_milestone("cifar2", 0.81, 0.8, "your ConvNet beats 80% on CIFAR-2",
                            project / "output_files")
    assert not record_milestone("digits", 0.5, 0.9, "never", project / "output_files")
    earned = project_progress(project, files=False).milestones
    assert earned == ["your MLP reaches 97% on MNIST (97.1%, mnist-mlp)",
                      "your ConvNet beats 80% on CIFAR-2 (0.81)"]


def test_the_plugin_remembers_the_last_run(tmp_path):
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["cs_nn.course.pytest_results"]\n')
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text(
        f'def test_stub():\n    raise NotImplementedError("{STUB}")\n\n\n'
        'def test_pass():\n    pass\n\n\ndef test_fail():\n    assert 1 == 2\n')
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o",
                    "addopts=", "tests"], cwd=tmp_path, env=env, capture_output=True,
                   check=False, timeout=300)
    data = json.loads((tmp_path / ".cs_nn" / "test_results.json").read_text())
    status = {k.split("::")[1]: v["status"] for k, v in data["tests"].items()}
    assert data["tests"]["tests/test_a.py::test_stub"]["message"] == "double"
    assert status == {"test_stub": "not implemented", "test_pass": "passed",
                      "test_fail": "failed"}
