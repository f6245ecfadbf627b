"""A real SQLite database with a writer thread committing during the backup.

The copy must pass integrity_check and hold every row committed before the copy started.
"""

from __future__ import annotations

import hashlib
import sqlite3
import tarfile
import threading
from pathlib import Path

import pytest

from trayapp.backup.service import run_backup
from trayapp.backup.sqlite_copy import copy_database, integrity_problems
from trayapp.config import parse
from trayapp.journal import Journal
from trayapp.paths import AppPaths


class Writer(threading.Thread):
    """Commits one row at a time; each row carries the sha256 of its payload, so torn rows show."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.committed = 0
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            db = sqlite3.connect(self.path, timeout=60)
            while not self.stop.is_set():
                payload = hashlib.sha256(str(self.committed).encode()).hexdigest() * 30
                with db:
                    db.execute("INSERT INTO rows(payload, digest) VALUES (?, ?)",
                               (payload, hashlib.sha256(payload.encode()).hexdigest()))
                self.committed += 1  # only after the commit returned
            db.close()
        except BaseException as exc:
            self.error = exc


def make_database(path: Path, journal_mode: str, mb: int = 12) -> None:
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA journal_mode={journal_mode}")
    db.execute("CREATE TABLE rows(id INTEGER PRIMARY KEY, payload TEXT, digest TEXT)")
    db.execute("CREATE TABLE bulk(blob BLOB)")
    with db:
        db.executemany("INSERT INTO bulk VALUES (randomblob(4096))", [()] * (mb * 256))
    db.close()


def check_copy(copy: Path, committed_before: int) -> int:
    assert integrity_problems(copy) == []
    db = sqlite3.connect(copy)
    ids = [r[0] for r in db.execute("SELECT id FROM rows ORDER BY id")]
    for payload, digest in db.execute("SELECT payload, digest FROM rows"):
        assert hashlib.sha256(payload.encode()).hexdigest() == digest
    db.close()
    assert ids[:committed_before] == list(range(1, committed_before + 1))
    return len(ids)


@pytest.fixture
def writer_db(tmp_path: Path, request: pytest.FixtureRequest):
    data = tmp_path / "data"
    data.mkdir()
    db = data / "state.sqlite"
    make_database(db, request.param)
    writer = Writer(db)
    writer.start()
    while writer.committed < 20 and writer.error is None:
        threading.Event().wait(0.01)  # waits for a real thread to make progress, not for time
    yield db, writer
    writer.stop.set()
    writer.join(30)
    assert writer.error is None


@pytest.mark.parametrize("writer_db", ["wal", "delete"], indirect=True)
def test_online_copy_while_a_writer_commits(writer_db, tmp_path: Path) -> None:
    db, writer = writer_db
    before = writer.committed
    copy_database(db, tmp_path / "copy.sqlite")
    assert check_copy(tmp_path / "copy.sqlite", before) >= before
    assert writer.error is None


@pytest.mark.parametrize("writer_db", ["wal"], indirect=True)
def test_backup_archive_holds_a_consistent_database_and_no_raw_wal(writer_db, tmp_path: Path) -> None:
    db, writer = writer_db
    paths = AppPaths(tmp_path / "cfg", tmp_path / "state", tmp_path / "logs", tmp_path / "appdata")
    paths.ensure()
    config = parse(f'[backup]\npaths = ["{db.parent}"]\n', environ={"HOME": str(tmp_path / "home")})
    assert Path(f"{db}-wal").exists()  # the database is live, its WAL is on disk
    before = writer.committed
    result = run_backup(config, paths, Journal(paths.journal_file), verify=True)
    progressed = writer.committed - before
    assert result.ok, result.error
    assert result.verified is True and result.databases == 1
    with tarfile.open(result.path) as tar:
        names = tar.getnames()
        assert "data/state.sqlite" in names
        assert not any(n.endswith(("-wal", "-shm")) for n in names)
        tar.extract("data/state.sqlite", tmp_path / "out", filter="data")
    assert check_copy(tmp_path / "out" / "data" / "state.sqlite", before) >= before
    assert progressed > 0  # the writer really kept committing during the backup
