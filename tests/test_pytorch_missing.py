"""Without PyTorch: clear errors for the torch track, the numpy questions keep working."""

from __future__ import annotations

import subprocess
import sys
import textwrap

# a python that cannot import torch: sys.modules["torch"] = None makes both find_spec and
# import see it as missing
PRELUDE = "import sys; sys.modules['torch'] = None\n"


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PRELUDE + textwrap.dedent(code)],
                          capture_output=True, text=True)


def test_importing_the_track_says_how_to_install():
    r = _run("import cs_nn.pytorch")
    assert r.returncode != 0
    assert 'pip install -e ".[dev,torch]"' in r.stderr


def test_test_deep_fer_model_says_how_to_install(tmp_path):
    r = _run(f"import cs_nn; cs_nn.test_deep_fer_model({str(tmp_path)!r})")
    assert r.returncode != 0 and "needs PyTorch" in r.stderr


def test_outputs_skips_torch_questions_with_a_note(tmp_path):
    r = _run(f"""
        from cs_nn.cli import main
        raise SystemExit(main(["outputs", "--out", {str(tmp_path)!r}]))
    """)
    assert r.returncode == 0, r.stderr
    assert "need torch, which is not installed" in r.stdout
    assert "torch_mlp_grads" in r.stdout.split("note:")[1]
    written = {p.name for p in tmp_path.iterdir()}
    assert "linear_forward_out.csv" in written
    assert not any(name.startswith("torch_") for name in written)


def test_train_with_torch_framework_says_how_to_install():
    r = _run("""
        from cs_nn.cli import main
        raise SystemExit(main(["train", "--framework", "torch", "--quiet"]))
    """)
    assert r.returncode == 1 and 'pip install -e ".[dev,torch]"' in r.stderr
