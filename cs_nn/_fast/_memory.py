"""Keep freed memory in the process instead of handing it back to the kernel (glibc only).

Every training step allocates and frees the same few megabyte-sized arrays (im2col columns,
activations, gradients). glibc's malloc serves large requests with fresh ``mmap`` pages, or
trims the heap after a large free, so the next step's arrays land on pages the kernel must
fault in and zero again: about 1.5 µs per 4 KiB page. How often that happens depends on the
order of earlier allocations, so the same conv layer measured 7.8 ms or 15.9 ms per
forward + backward (4,100 page faults per call) depending on what ran before it, and the
7x7 benchmark layer's col2im spent a third of its time in page faults (8.6 -> 5.7 ms; see
PERFORMANCE.md). PyTorch avoids the same cost with its caching allocator.

:func:`keep_freed_memory` sets three documented glibc knobs (``mallopt``) once, when the speed
path is first imported: serve requests below 32 MiB from the heap, trim the heap only when
more than 256 MiB are free at its top, and grow it 64 MiB at a time. The process then keeps up
to that much freed memory for reuse; results are unchanged. Nothing happens off glibc, or
when the user set any of the matching ``MALLOC_*_`` environment variables (theirs win).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

# mallopt parameter numbers, from glibc's <malloc.h>
M_TRIM_THRESHOLD = -1
M_TOP_PAD = -2
M_MMAP_THRESHOLD = -3

#: (parameter, value, the environment variable that sets the same knob)
SETTINGS = ((M_MMAP_THRESHOLD, 32 * 1024 * 1024, "MALLOC_MMAP_THRESHOLD_"),
            (M_TRIM_THRESHOLD, 256 * 1024 * 1024, "MALLOC_TRIM_THRESHOLD_"),
            (M_TOP_PAD, 64 * 1024 * 1024, "MALLOC_TOP_PAD_"))

_STATE = {"done": False}


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    name = ctypes.util.find_library("c") or "libc.so.6"
    try:
        libc = ctypes.CDLL(name)
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "gnu_get_libc_version") else None


def keep_freed_memory() -> bool:
    """Apply :data:`SETTINGS` once per process; True if they are in effect."""
    if _STATE["done"]:
        return True
    if any(var in os.environ for _, _, var in SETTINGS):
        return False
    libc = _libc()
    if libc is None:
        return False
    ok = all(libc.mallopt(ctypes.c_int(param), ctypes.c_int(value)) == 1
             for param, value, _ in SETTINGS)
    _STATE["done"] = ok
    return ok
