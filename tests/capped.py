"""Run a snippet in a child process under an address-space cap (``RLIMIT_AS``), to prove a
memory bound: the child reports its peak resident memory; a raw traceback is a failure."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GB = 1024 ** 3

_PRELUDE = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
def _peak():  # VmHWM: this program's own high-water mark (ru_maxrss survives exec)
    with open("/proc/self/status") as f:
        kb = [line.split()[1] for line in f if line.startswith("VmHWM:")][0]
    print(f"PEAK_KB {{kb}}", file=sys.stderr)
import atexit
atexit.register(_peak)
"""


@dataclass
class Capped:
    returncode: int
    stdout: str
    stderr: str
    peak_mb: float

    @property
    def traceback(self) -> bool:
        return "Traceback (most recent call last)" in self.stderr


def run_capped(code: str, limit: int = GB, cwd: Path | None = None, timeout: float = 300,
               args: list[str] | None = None) -> Capped:
    """Run ``code`` (dedented) in a fresh Python with the address space capped at ``limit``."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    source = _PRELUDE.format(limit=int(limit)) + textwrap.dedent(code)
    proc = subprocess.run([sys.executable, "-c", source, *(args or [])], capture_output=True,
                          text=True, timeout=timeout, cwd=cwd, env=env)
    peak = [line for line in proc.stderr.splitlines() if line.startswith("PEAK_KB ")]
    peak_mb = int(peak[-1].split()[1]) / 1024 if peak else float("nan")
    return Capped(proc.returncode, proc.stdout, proc.stderr, peak_mb)


def cli_capped(argv: list[str], limit: int = GB, cwd: Path | None = None,
               timeout: float = 300) -> Capped:
    """``cs-nn ARGV`` under the cap (exit code as returned by the CLI)."""
    return run_capped("from cs_nn.cli import main\nsys.exit(main(sys.argv[1:]))", limit, cwd,
                      timeout, argv)


def sparse_file(path: Path, size: int, head: bytes = b"") -> Path:
    """A file of ``size`` bytes that takes no disk space (a hole after ``head``)."""
    with open(path, "wb") as f:
        f.write(head)
        f.truncate(size)
    return path


def refused_capped(module: str, call: str, error: str = "ValueError",
                   limit: int = GB) -> Capped:
    """Run ``from MODULE import ...`` + ``CALL`` under the cap; an ``error`` raised prints
    ``REFUSED <message>`` on stdout (anything else ends in a traceback, a failure)."""
    return run_capped(f"""
from {module}
try:
    {call}
except {error} as exc:
    print("REFUSED", exc)
""", limit)
