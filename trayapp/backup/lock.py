"""One backup job per destination at a time, across processes (the tray and the CLI)."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from trayapp.errors import BackupError
from trayapp.i18n import N_
from trayapp.message import Message

LOCK_NAME = ".trayapp-backup.lock"
_local = threading.Lock()  # two "Back up now" clicks in one process


@contextlib.contextmanager
def destination_lock(dest: Path) -> Iterator[None]:
    """Hold an exclusive lock on `dest` or raise BackupError at once; never waits."""
    if not _local.acquire(blocking=False):
        raise _busy(dest)
    try:
        fd = os.open(dest / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            _flock(fd, dest)
            yield
        finally:
            os.close(fd)  # closing drops the lock
    finally:
        _local.release()


def _flock(fd: int, dest: Path) -> None:
    if sys.platform == "win32":  # no flock: the in-process lock is what we have
        return
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise _busy(dest) from None


def _busy(dest: Path) -> BackupError:
    return BackupError(Message(N_("another backup, restore or prune is already running in {folder}"), folder=str(dest)),
                       fix=Message(N_("wait for it to finish, then try again")))
