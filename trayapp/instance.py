"""One trayapp per user: an exclusive lock on a file in the state folder, holding our pid."""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path
from typing import IO

from trayapp.paths import FolderError, cause, open_private


class InstanceLock:
    """Held for the life of `trayapp run`. The OS drops it when the process dies, even by SIGKILL."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    def acquire(self) -> bool:
        """True when we now hold it; False when another live trayapp does.

        Raises FolderError when the lock file cannot be opened (a read-only home, a planted link)."""
        f = self._open()
        try:
            _lock(f)
        except OSError:
            f.close()
            return False
        f.seek(0)
        f.truncate()
        f.write(str(os.getpid()))
        f.flush()
        self._file = f
        return True

    def _open(self) -> IO[str]:
        """The lock file, opened without following a link (we truncate and write it) and 0600."""
        try:
            fd = open_private(self.path, os.O_RDWR | os.O_CREAT)
        except OSError as exc:
            why = cause(exc)
            raise FolderError(f"cannot open the lock file {self.path}: {why}", code=exc.errno or errno.EIO,
                              why=why, fix=f"make {self.path.parent} a folder you can write, "
                                           "or set TRAYAPP_HOME to one") from None
        return open(fd, "r+", encoding="utf-8")

    def holder(self) -> int | None:
        """The pid written by whoever holds the lock, if readable."""
        try:
            with open(open_private(self.path, os.O_RDONLY), encoding="utf-8") as f:
                return int(f.read().strip() or 0) or None
        except (OSError, ValueError):
            return None

    def release(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _lock(f: IO[str]) -> None:
    if sys.platform == "win32":
        import msvcrt

        f.seek(0)
        msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)
    else:
        import fcntl

        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
