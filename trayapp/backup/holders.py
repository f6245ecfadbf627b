"""Which other processes have a file open, to name who keeps a database locked.

psutil reads the open files of the user's own processes on Linux, macOS and Windows; processes
it may not look at are passed over, so the answer is "as far as can be told", never an error.
"""

from __future__ import annotations

import os
from pathlib import Path

import psutil

MAX_NAMED = 3


def open_by(path: Path, side_files: tuple[str, ...] = ("-journal", "-wal")) -> list[str]:
    """"name (pid N)" (or "pid N") for each other process holding `path` (or one of its side files) open."""
    real = os.path.realpath(path)
    wanted = {real, *(real + side for side in side_files)}
    found: list[str] = []
    for proc in psutil.process_iter(["name"]):
        if proc.pid != os.getpid() and _holds(proc, wanted):
            name = proc.info.get("name")
            found.append(f"{name} (pid {proc.pid})" if name else f"pid {proc.pid}")  # no words: any language
            if len(found) == MAX_NAMED:
                break
    return found


def _holds(proc: psutil.Process, wanted: set[str]) -> bool:
    try:
        return any(f.path in wanted for f in proc.open_files())
    except (psutil.Error, OSError):  # gone, or not ours to look at
        return False
