"""Consistent copies of live SQLite databases, with SQLite's online backup API.

Copying a database file (or its -wal) byte by byte while the assistant writes can capture a
half-written transaction. The backup API copies from one read transaction instead: every row
committed before the copy starts is in it, nothing half-done is. In WAL mode the assistant keeps
writing meanwhile; in rollback mode its writers wait (with their busy timeout) for the copy.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from trayapp.backup.holders import open_by
from trayapp.i18n import N_
from trayapp.message import Duration, Message

# How long to wait for another program's lock before giving up on one database ([backup] lock_timeout).
LOCK_TIMEOUT = 30.0
# How long one backup step waits for the lock; between steps the deadline and a cancel are checked.
STEP_WAIT = 0.5
_BUSY, _LOCKED = 5, 6  # SQLITE_BUSY, SQLITE_LOCKED


class DatabaseLocked(Exception):
    """Another program held a lock on the database for the whole lock timeout."""

    def __init__(self, path: Path, waited: float, holders: Sequence[str]) -> None:
        if holders:
            self.said = Message(N_("the database {path} was locked by {holders} for {waited}"), path=str(path),
                                holders=", ".join(holders), waited=Duration(waited))
        else:
            self.said = Message(N_("the database {path} was locked by another program for {waited}"),
                                path=str(path), waited=Duration(waited))
        super().__init__(str(self.said))
        self.path, self.waited, self.holders = path, waited, tuple(holders)


class CopyCancelled(Exception):
    """The backup stopped (interrupted or failed elsewhere) while this copy waited or ran."""


def copy_database(src: Path, dst: Path, lock_timeout: float = LOCK_TIMEOUT,
                  cancel: threading.Event | None = None,
                  clock: Callable[[], float] = time.monotonic) -> int:
    """Copy the database at `src` to a new file `dst` (0600). Returns the copy's size in bytes.

    Raises DatabaseLocked when another program keeps it locked for `lock_timeout` seconds,
    CopyCancelled when `cancel` is set, sqlite3.Error or OSError. `dst` must not exist.
    """
    os.close(os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    # mode=rw: a database that vanished since the plan is an error, never a new empty file in the
    # user's data folder (a plain connect() would create one). rw, not ro: a WAL database may need
    # its -shm file made; query_only below keeps this connection from writing anything else.
    source = sqlite3.connect(f"{Path(src).resolve().as_uri()}?mode=rw", uri=True,
                             timeout=min(lock_timeout, STEP_WAIT))
    try:
        source.execute("PRAGMA query_only = 1")  # belt and braces: this connection never writes
        target = sqlite3.connect(dst)
        try:
            _backup(source, target, src, lock_timeout, cancel, clock)
        finally:
            target.close()
    finally:
        source.close()
    return dst.stat().st_size


def _backup(source: sqlite3.Connection, target: sqlite3.Connection, src: Path, lock_timeout: float,
            cancel: threading.Event | None, clock: Callable[[], float]) -> None:
    """pages=-1: one read transaction, one snapshot. While the lock is busy, sqlite3 retries the
    step for ever; the callback runs after each try and is the one place to stop it."""
    deadline = clock() + lock_timeout

    def after_step(status: int, remaining: int, total: int) -> None:
        if cancel is not None and cancel.is_set():
            raise CopyCancelled(str(src))
        if status in (_BUSY, _LOCKED) and clock() >= deadline:
            raise _TimedOut

    try:
        source.backup(target, progress=after_step)
    except _TimedOut:
        raise DatabaseLocked(src, lock_timeout, open_by(src)) from None


class _TimedOut(Exception):
    pass


def integrity_problems(path: Path) -> list[Message | str]:
    """`PRAGMA integrity_check` on a copy we own; [] when it says "ok"."""
    try:
        conn = sqlite3.connect(path)
        try:
            rows = conn.execute("PRAGMA integrity_check").fetchall()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return [Message(N_("not a readable SQLite database: {error}"), error=str(exc))]
    return [] if rows == [("ok",)] else [str(r[0]) for r in rows[:10]]


class DatabaseCopier:
    """Copies databases on a background thread while the archive writer handles other files.

    `start()` launches the thread; `wait(src)` (archive-writer thread) blocks until that
    database's copy is ready and returns its path, or raises what the copy raised.
    """

    def __init__(self, sources: Sequence[Path], workdir: Path, lock_timeout: float = LOCK_TIMEOUT) -> None:
        self._jobs = {src: workdir / f"db-{n}.sqlite" for n, src in enumerate(sources)}
        self._lock_timeout = lock_timeout
        self._done: dict[Path, threading.Event] = {src: threading.Event() for src in sources}
        self._errors: dict[Path, BaseException] = {}
        self._cancel = threading.Event()
        self._thread = threading.Thread(target=self._run, name="backup-sqlite", daemon=True)

    def start(self) -> None:
        if self._jobs:
            self._thread.start()

    def _run(self) -> None:
        for src, dst in self._jobs.items():
            if self._cancel.is_set():
                self._errors[src] = CopyCancelled(str(src))
            else:
                try:
                    copy_database(src, dst, self._lock_timeout, self._cancel)
                except BaseException as exc:  # handed to the writer thread, which reports it
                    self._errors[src] = exc
            self._done[src].set()

    def wait(self, src: Path) -> Path:
        self._done[src].wait()
        if src in self._errors:
            raise self._errors[src]
        return self._jobs[src]

    def close(self) -> None:
        """Stop the current copy (at its next step) and wait for the thread; the caller deletes the workdir."""
        self._cancel.set()
        if self._thread.is_alive():
            self._thread.join()
