"""Who still writes into a program's output pipes (Linux, from /proc).

A descendant that double-forked away *and* cleared its environment carries no mark, but if it kept
the program's stdout it still holds the write end of our pipe: that alone proves where it came
from, and it is what keeps the log pumps (a thread and a pipe each) alive after the program is
gone. As trayapp is the subreaper, such a process is still one of trayapp's descendants.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterable

WRITE_ONLY = 0o1  # O_WRONLY in the octal "flags:" line of /proc/PID/fdinfo/FD


def pipe_ids(fds: Iterable[int]) -> frozenset[int]:
    """The pipe inodes behind our read ends (both ends of a pipe share one inode)."""
    if sys.platform != "linux":
        return frozenset()
    ids = set()
    for fd in fds:
        with contextlib.suppress(OSError):
            ids.add(os.fstat(fd).st_ino)
    return frozenset(ids)


def writers(pipes: frozenset[int]) -> list[tuple[int, float]]:
    """(pid, create time) of trayapp's descendants that hold a write end of one of `pipes`."""
    import psutil

    from trayapp.supervisor.marks import descendant_pids

    if not pipes or sys.platform != "linux":
        return []
    found = []
    for pid in descendant_pids(os.getpid()):
        with contextlib.suppress(psutil.Error):
            if _writes_to(pid, pipes):
                found.append((pid, psutil.Process(pid).create_time()))
    return found


def _writes_to(pid: int, pipes: frozenset[int]) -> bool:
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    return any(_pipe_of(pid, fd) in pipes and _write_end(pid, fd) for fd in fds)


def _pipe_of(pid: int, fd: str) -> int | None:
    try:
        link = os.readlink(f"/proc/{pid}/fd/{fd}")
    except OSError:
        return None
    return int(link[6:-1]) if link.startswith("pipe:[") and link.endswith("]") else None


def _write_end(pid: int, fd: str) -> bool:
    """True for a write end: the log keeper holds read ends of the same pipes and must live."""
    try:
        with open(f"/proc/{pid}/fdinfo/{fd}", encoding="ascii") as info:
            flags = next((line.split()[1] for line in info if line.startswith("flags:")), "0")
    except (OSError, IndexError):
        return False
    return int(flags, 8) & 0o3 == WRITE_ONLY
