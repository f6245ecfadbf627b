"""One trayapp per user: an exclusive lock on a file in the state folder, holding our pid."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import IO


class InstanceLock:
    """Held for the life of `trayapp run`. The OS drops it when the process dies, even by SIGKILL."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    def acquire(self) -> bool:
        """True when we now hold it; False when another live trayapp does."""
        f = open(self.path, "a+", encoding="utf-8")
        with contextlib.suppress(OSError):
            os.chmod(self.path, 0o600)
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

    def holder(self) -> int | None:
        """The pid written by whoever holds the lock, if readable."""
        try:
            return int(self.path.read_text(encoding="utf-8").strip() or 0) or None
        except (OSError, ValueError):
            return None

    def release(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _lock(f: IO[str]) -> None:
    if os.name == "nt":
        import msvcrt

        f.seek(0)
        msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)
    else:
        import fcntl

        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
