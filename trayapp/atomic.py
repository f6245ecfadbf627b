"""Atomic file writes: temp file in the same folder, fsync, rename, fsync the folder."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


@contextlib.contextmanager
def atomic_open(path: Path, mode: int = 0o600, *, binary: bool = False, durable: bool = True) -> Iterator[IO]:
    """Yield a file to write; on success it replaces `path` in one rename, else it vanishes.

    durable=False skips the fsyncs: still never a half-written file, but after a power cut the
    previous content may come back. For small state that is rewritten often (the pid file).
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if sys.platform != "win32":  # Windows has no permission bits to set (and no fchmod before 3.13)
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb" if binary else "w", encoding=None if binary else "utf-8") as f:
            yield f
            f.flush()
            if durable:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    if durable:
        fsync_dir(path.parent)


def atomic_write(path: Path, data: str | bytes, mode: int = 0o600, *, durable: bool = True) -> None:
    """Write all of `data` to `path` atomically with the given permission bits."""
    with atomic_open(path, mode, binary=isinstance(data, bytes), durable=durable) as f:
        f.write(data)


def fsync_dir(folder: Path) -> None:
    """Make a rename inside `folder` durable. A no-op where folders cannot be opened (Windows)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
