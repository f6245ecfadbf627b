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
from collections.abc import Sequence
from pathlib import Path

# How long to wait for a writer's lock before giving up on one database.
BUSY_TIMEOUT = 60.0


def copy_database(src: Path, dst: Path, busy_timeout: float = BUSY_TIMEOUT) -> int:
    """Copy the database at `src` to a new file `dst` (0600). Returns the copy's size in bytes.

    Raises sqlite3.Error or OSError. `dst` must not exist.
    """
    os.close(os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    # mode=rw: a database that vanished since the plan is an error, never a new empty file in the
    # user's data folder (a plain connect() would create one). rw, not ro: a WAL database may need
    # its -shm file made; query_only below keeps this connection from writing anything else.
    source = sqlite3.connect(f"{Path(src).resolve().as_uri()}?mode=rw", uri=True, timeout=busy_timeout)
    try:
        source.execute("PRAGMA query_only = 1")  # belt and braces: this connection never writes
        target = sqlite3.connect(dst)
        try:
            source.backup(target)  # pages=-1: one step, one read transaction, one snapshot
        finally:
            target.close()
    finally:
        source.close()
    return dst.stat().st_size


def integrity_problems(path: Path) -> list[str]:
    """`PRAGMA integrity_check` on a copy we own; [] when it says "ok"."""
    try:
        conn = sqlite3.connect(path)
        try:
            rows = conn.execute("PRAGMA integrity_check").fetchall()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return [f"not a readable SQLite database: {exc}"]
    return [] if rows == [("ok",)] else [str(r[0]) for r in rows[:10]]


class DatabaseCopier:
    """Copies databases on a background thread while the archive writer handles other files.

    `start()` launches the thread; `wait(src)` (archive-writer thread) blocks until that
    database's copy is ready and returns its path, or raises what the copy raised.
    """

    def __init__(self, sources: Sequence[Path], workdir: Path) -> None:
        self._jobs = {src: workdir / f"db-{n}.sqlite" for n, src in enumerate(sources)}
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
                self._errors[src] = RuntimeError("cancelled")
            else:
                try:
                    copy_database(src, dst)
                except BaseException as exc:  # handed to the writer thread, which reports it
                    self._errors[src] = exc
            self._done[src].set()

    def wait(self, src: Path) -> Path:
        self._done[src].wait()
        if src in self._errors:
            raise self._errors[src]
        return self._jobs[src]

    def close(self) -> None:
        """Stop after the current copy and wait for the thread; the caller deletes the workdir."""
        self._cancel.set()
        if self._thread.is_alive():
            self._thread.join()
