"""A database another process keeps locked does not hang a backup (issue 16, item 5).

A real second process holds `BEGIN EXCLUSIVE` on a rollback-journal database; the backup waits
`[backup] lock_timeout`, names the database and the process, and fails or leaves it out as
`[backup] locked` says.
"""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from tests.integration.locked_db import held_exclusively, make_rollback_database
from trayapp import journal as journal_mod
from trayapp.backup.service import run_backup
from trayapp.config import Config, parse
from trayapp.journal import Journal
from trayapp.paths import AppPaths


@pytest.fixture
def world(tmp_path: Path) -> tuple[Path, AppPaths]:
    data = tmp_path / "data"
    data.mkdir()
    (data / "notes.txt").write_text("keep me")
    make_rollback_database(data / "memory.sqlite")
    paths = AppPaths(tmp_path / "cfg", tmp_path / "state", tmp_path / "logs", tmp_path / "appdata")
    paths.ensure()
    return data, paths


def config_for(data: Path, locked: str) -> Config:
    return parse(f'[backup]\npaths = ["{data}"]\nlocked = "{locked}"\nlock_timeout = "1s"\n',
                 environ={"HOME": str(data.parent / "home")})


def test_a_locked_database_fails_the_backup_naming_the_database_and_the_process(world: tuple[Path, AppPaths]) -> None:
    data, paths = world
    with held_exclusively(data / "memory.sqlite") as holder:
        result = run_backup(config_for(data, "fail"), paths, Journal(paths.journal_file))
    assert not result.ok
    assert f"the database {data / 'memory.sqlite'} was locked by " in str(result.error or "")
    assert f"(pid {holder.pid})" in str(result.error or "")
    assert 'locked = "skip"' in str(result.fix or "")
    assert list(paths.backup_dir.iterdir()) == [paths.backup_dir / ".trayapp-backup.lock"], "nothing left behind"
    entry = journal_mod.read(paths.journal_file)[-1]
    assert entry["event"] == "backup" and entry["ok"] is False and f"pid {holder.pid}" in entry["error"]


def test_skip_leaves_the_locked_database_out_with_a_warning(world: tuple[Path, AppPaths]) -> None:
    data, paths = world
    with held_exclusively(data / "memory.sqlite") as holder:
        result = run_backup(config_for(data, "skip"), paths, Journal(paths.journal_file), verify=True)
    assert result.ok and result.verified, result.error
    assert result.path is not None and result.databases == 0
    with tarfile.open(result.path) as tar:
        names = tar.getnames()
    assert "data/notes.txt" in names and "data/memory.sqlite" not in names
    warning = next(str(n) for n in result.notes if "memory.sqlite" in str(n))
    assert "locked by " in warning and f"(pid {holder.pid})" in warning and "next backup tries again" in warning
    assert warning in journal_mod.read(paths.journal_file)[-1]["notes"]


def test_once_the_lock_is_gone_the_database_is_backed_up(world: tuple[Path, AppPaths]) -> None:
    """The control case: the same database and settings, no second process."""
    data, paths = world
    result = run_backup(config_for(data, "fail"), paths, verify=True)
    assert result.ok and result.databases == 1, result.error
