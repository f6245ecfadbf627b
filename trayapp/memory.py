"""Hand memory that a heavy job freed back to the system, so the instance returns to its idle size.

A backup reads and compresses hundreds of megabytes through buffers that Python frees at the end,
but glibc keeps freed heap pages mapped for reuse: the instance held 5 MiB more after each
"Back up now" (issue 15). malloc_trim(0) returns them. Elsewhere (macOS, Windows, musl) the
allocator returns large blocks by itself and there is nothing to call.
"""

from __future__ import annotations

import ctypes
import gc
import sys


def give_back() -> None:
    """Collect cycles, then (glibc) return free heap pages to the system. Any thread; never raises."""
    gc.collect()
    if sys.platform.startswith("linux"):
        _malloc_trim()


def _malloc_trim() -> None:
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim): nothing to hand back
        return
    trim(0)
