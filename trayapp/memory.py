"""Hand memory that a heavy job freed back to the system, so the instance returns to its idle size.

And keep a long run flat: with glibc's defaults (up to 8 heap arenas per core, freed pages kept
for reuse) 10,000 crash-restarts - three short-lived threads each - left trayapp 1.4 MiB bigger
although the Python heap was flat; with two arenas and a 128 KiB trim threshold, 0.3 MiB
(bench/soak.py, issue 15).

A backup reads and compresses hundreds of megabytes through buffers that Python frees at the end,
but glibc keeps freed heap pages mapped for reuse: the instance held 5 MiB more after each
"Back up now" (issue 15). malloc_trim(0) returns them. Elsewhere (macOS, Windows, musl) the
allocator returns large blocks by itself and there is nothing to call.
"""

from __future__ import annotations

import ctypes
import gc
import sys

# mallopt() parameters (glibc's malloc.h)
_M_TRIM_THRESHOLD = -1
_M_ARENA_MAX = -8
_ARENAS = 2
_TRIM_ABOVE = 128 * 1024


def give_back() -> None:
    """Collect cycles, then (glibc) return free heap pages to the system. Any thread; never raises."""
    gc.collect()
    if sys.platform.startswith("linux"):
        _malloc_trim()


def tune_allocator() -> None:
    """For the long-running instance, before it starts threads (glibc): few arenas, and free
    memory at the top of the heap goes back at once. Never raises."""
    if sys.platform.startswith("linux"):
        _mallopt(_M_ARENA_MAX, _ARENAS)
        _mallopt(_M_TRIM_THRESHOLD, _TRIM_ABOVE)


def _malloc_trim() -> None:
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim): nothing to hand back
        return
    trim(0)


def _mallopt(param: int, value: int) -> None:
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc: its own defaults stand
        return
    mallopt(param, value)
