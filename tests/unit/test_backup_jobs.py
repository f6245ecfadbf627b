"""Backups in the running instance: on request and on schedule, one at a time, never blocking."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from trayapp import config as config_mod
from trayapp import journal as journal_mod
from trayapp.backup.jobs import BackupJobs
from trayapp.journal import Journal
from trayapp.paths import AppPaths

Setup = tuple[config_mod.Config, AppPaths, Journal]


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    data = tmp_path / "data"
    data.mkdir()
    (data / "notes.txt").write_text("keep me")
    paths = AppPaths.discover({"TRAYAPP_HOME": str(tmp_path / "home")})
    paths.ensure()
    cfg = config_mod.parse(f'[programs.assistant]\ncommand = ["x"]\ndata_dirs = ["{data}"]\n'
                           f'[backup]\ndest = "{tmp_path / "backups"}"\n', environ={"HOME": str(tmp_path)})
    return cfg, paths, Journal(paths.journal_file)


def wait_idle(jobs: BackupJobs) -> None:
    done = threading.Event()
    for _ in range(400):
        if not jobs.info()["running"] and jobs.last_ok_at is not None:
            return
        done.wait(0.05)
    raise AssertionError("the backup did not finish")


def test_back_up_now_runs_once_and_records_it(setup: Setup, tmp_path: Path) -> None:
    cfg, paths, journal = setup
    changes: list[int] = []
    jobs = BackupJobs(cfg, paths, journal, on_change=lambda: changes.append(1))
    stop = threading.Event()
    jobs.start(stop)
    try:
        assert jobs.request() == "backup started"
        wait_idle(jobs)
    finally:
        stop.set()
    journal.flush()
    entries = [e for e in journal_mod.read(paths.journal_file) if e["event"] == "backup"]
    assert len(entries) == 1 and entries[0]["ok"] is True
    assert list((tmp_path / "backups").glob("*.tar.gz"))
    assert changes, "the tray is told when a backup ends"


def test_a_critical_disk_refuses_the_backup(setup: Setup, tmp_path: Path) -> None:
    cfg, paths, journal = setup
    jobs = BackupJobs(cfg, paths, journal, disk_refusal=lambda: "the disk is almost full")
    stop = threading.Event()
    jobs.start(stop)
    try:
        jobs.request()
        for _ in range(200):
            journal.flush()
            if any(e["event"] == "backup" for e in journal_mod.read(paths.journal_file)):
                break
            stop.wait(0.05)
    finally:
        stop.set()
    entry = [e for e in journal_mod.read(paths.journal_file) if e["event"] == "backup"][0]
    assert entry["ok"] is False and "critically full" in entry["error"]
    assert not list((tmp_path / "backups").glob("*.tar.gz"))


def test_a_due_schedule_runs_without_being_asked(setup: Setup, tmp_path: Path) -> None:
    cfg, paths, journal = setup
    from dataclasses import replace

    cfg = replace(cfg, backup=replace(cfg.backup, schedule="every 6h"))
    jobs = BackupJobs(cfg, paths, journal)
    stop = threading.Event()
    jobs.start(stop)  # never backed up: due at once
    try:
        wait_idle(jobs)
    finally:
        stop.set()
    assert jobs.next_due is not None and jobs.last_ok_at is not None
    assert jobs.next_due > jobs.last_ok_at + 5 * 3600


def test_at_start_a_killed_backup_is_journalled_and_its_leftovers_removed(setup: Setup, tmp_path: Path) -> None:
    from datetime import datetime

    from trayapp.backup.catalog import created_from_name

    cfg, paths, journal = setup
    dest = tmp_path / "backups"
    dest.mkdir(mode=0o700)
    killed = "trayapp-backup-20261130T140000Z.tar.gz"
    partial = dest / f".trayapp-backup-{killed}-k2x9.partial"
    partial.write_bytes(b"half an archive")
    work = dest / ".trayapp-work-k2x9"
    work.mkdir()
    (work / "db-0.sqlite").write_bytes(b"a database copy")
    jobs = BackupJobs(cfg, paths, journal)
    stop = threading.Event()
    jobs.start(stop)  # nothing scheduled, nothing asked: only the look at what was left
    try:
        for _ in range(200):
            journal.flush()
            if journal_mod.read(paths.journal_file):
                break
            stop.wait(0.05)
    finally:
        stop.set()
    [entry] = journal_mod.read(paths.journal_file)
    started = created_from_name(killed)
    assert started is not None
    assert entry["event"] == "backup" and entry["ok"] is False and entry["started_at"] == started
    assert f"the backup started {datetime.fromtimestamp(started):%Y-%m-%d %H:%M} never finished" in entry["error"]
    assert not partial.exists() and not work.exists()
