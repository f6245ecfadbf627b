"""A real second process that holds `BEGIN EXCLUSIVE` on a rollback-journal SQLite database."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HOLDER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.read()  # holds the lock until its stdin closes
db.execute("COMMIT")
"""
# Without a lock timeout a backup waits for the lock for ever; releasing it after this long lets
# such a backup finish (and its test fail on what it produced) instead of hanging the suite.
RELEASE_AFTER = 25.0


def make_rollback_database(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=delete")
    db.execute("CREATE TABLE memory(id INTEGER PRIMARY KEY, text TEXT)")
    with db:
        db.executemany("INSERT INTO memory(text) VALUES (?)", [(f"fact {n}",) for n in range(100)])
    db.close()


@contextmanager
def held_exclusively(db: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holds an exclusive lock on `db` for the body (at most RELEASE_AFTER seconds)."""
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(db)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdin is not None and holder.stdout is not None
    release = threading.Timer(RELEASE_AFTER, holder.stdin.close)
    try:
        assert holder.stdout.readline().strip() == "locked"
        release.start()
        yield holder
    finally:
        release.cancel()
        if not holder.stdin.closed:
            holder.stdin.close()
        holder.wait(30)
