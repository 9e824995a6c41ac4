"""cs_nn/_fast/_memory.py: the speed path keeps freed memory, so steps stop faulting pages."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from cs_nn._fast import _memory

INSTRUCTOR_ONLY = True  # not shipped in the student release

linux_glibc = pytest.mark.skipif(_memory._libc() is None, reason="mallopt is glibc's (Linux)")


def _child(code: str, **env: str) -> str:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    environ.update(env)
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, env=environ, timeout=300, check=True)
    return done.stdout.strip()


@linux_glibc
def test_a_conv_step_stops_faulting_pages_once_the_speed_path_is_imported():
    # The pattern that faulted ~3,000 pages per call by default (the 7x7 data layer's
    # forward + backward, one BLAS thread): none once the settings are in effect.
    out = _child("""
        import resource
        import numpy as np
        from threadpoolctl import threadpool_limits
        from cs_nn._fast import _memory, conv
        rng = np.random.default_rng(0)
        x = rng.standard_normal((50, 3, 32, 32)).astype(np.float32)
        w = (0.1 * rng.standard_normal((32, 3, 7, 7))).astype(np.float32)
        b = np.zeros(32, np.float32)
        with threadpool_limits(1, user_api="blas"):
            for _ in range(3):
                conv.conv_backward(*conv.conv_forward(x, w, b, {"stride": 1, "pad": 3}))
            before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            for _ in range(5):
                conv.conv_backward(*conv.conv_forward(x, w, b, {"stride": 1, "pad": 3}))
            after = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        print(_memory.keep_freed_memory(), (after - before) / 5)
    """)
    applied, faults = out.split()
    assert applied == "True"
    assert float(faults) < 50, f"{faults} page faults per call"


@linux_glibc
def test_the_users_own_malloc_settings_win():
    out = _child("from cs_nn._fast import _memory; print(_memory.keep_freed_memory())",
                 MALLOC_TOP_PAD_="0")
    assert out == "False"


def test_nothing_happens_off_linux(monkeypatch):
    monkeypatch.setattr(_memory.sys, "platform", "darwin")
    assert _memory._libc() is None
