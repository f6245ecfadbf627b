"""BackupJobs as the dashboard uses it: one job at a time (backup, verify, restore), progress as
numbers, announced at most twice a second, results in the journal and the catalog."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.fakes import FakeClock
from trayapp import config as config_mod
from trayapp import journal as journal_mod
from trayapp.backup import catalog
from trayapp.backup.jobs import PUBLISH_EVERY, BackupBusy, BackupJobs
from trayapp.backup.progress import Progress
from trayapp.backup.service import run_backup
from trayapp.journal import Journal
from trayapp.paths import AppPaths


class Changes:
    """Counts on_change calls; `idle` is set whenever a job has ended."""

    def __init__(self) -> None:
        self.count = 0
        self.jobs: BackupJobs | None = None
        self.idle = threading.Event()

    def __call__(self) -> None:
        self.count += 1
        if self.jobs is not None and self.jobs.activity is None:
            self.idle.set()


class NotRunning:
    """No trayapp answers: restore stops nothing (as `trayapp backup restore` without an instance)."""

    def status(self, program: str) -> Mapping[str, Any] | None:
        return None

    def stop(self, program: str) -> None:
        raise AssertionError("nothing may be stopped")

    def start(self, program: str) -> None:
        raise AssertionError("nothing may be started")


@pytest.fixture
def made(tmp_path: Path) -> tuple[BackupJobs, Changes, FakeClock, Path]:
    data = tmp_path / "data"
    data.mkdir()
    (data / "notes.txt").write_text("keep me")
    paths = AppPaths.discover({"TRAYAPP_HOME": str(tmp_path / "home")})
    paths.ensure()
    cfg = config_mod.parse(f'[programs.assistant]\ncommand = ["x"]\ndata_dirs = ["{data}"]\n'
                           f'[backup]\ndest = "{tmp_path / "backups"}"\nverify = false\n',
                           environ={"HOME": str(tmp_path)})
    clock, changes = FakeClock(), Changes()
    jobs = BackupJobs(cfg, paths, Journal(paths.journal_file), on_change=changes, clock=clock.monotonic)
    changes.jobs = jobs
    return jobs, changes, clock, data


def test_progress_is_announced_at_most_twice_a_second(made: tuple[BackupJobs, Changes, FakeClock, Path]) -> None:
    jobs, changes, clock, _ = made
    jobs._claim("backup", "starting a backup")
    before = changes.count
    for done in range(100):  # 10 s of progress, one step every 0.1 s, each a new percent
        jobs._progress(Progress("backup", done, 100))
        clock.advance(0.1)
    assert changes.count - before <= 10 / PUBLISH_EVERY + 1
    assert jobs.info()["percent"] == 99, "the numbers are always current, only announcing is throttled"


def test_while_running_info_carries_percent_phase_and_words(made: tuple[BackupJobs, Changes, FakeClock, Path]) -> None:
    jobs, _, _, _ = made
    assert jobs.info()["percent"] is None and jobs.info()["busy"] is False
    jobs._claim("backup", "starting a backup")
    jobs._progress(Progress("backup", 450_000, 1_000_000))
    info = jobs.info()
    assert (info["running"], info["busy"], info["phase"], info["percent"]) == (True, True, "backup", 45)
    assert info["words"] == "backing up 45% of 1MB" == jobs.progress
    assert isinstance(info["started"], float)


def test_a_new_step_is_announced_at_once(made: tuple[BackupJobs, Changes, FakeClock, Path]) -> None:
    jobs, changes, _, _ = made
    jobs._claim("restore", "checking it")
    jobs._progress(Progress("verify", 1, 10))
    before = changes.count
    jobs._progress(Progress("restore", 2, 10))  # no time passed, but a new phase
    assert changes.count == before + 1


def test_one_job_at_a_time_with_the_reason(made: tuple[BackupJobs, Changes, FakeClock, Path]) -> None:
    jobs, _, _, data = made
    jobs._claim("verify", "verifying x")
    with pytest.raises(BackupBusy, match="a verification is running"):
        jobs.start_backup()
    with pytest.raises(BackupBusy):
        jobs.verify(data / "x.tar.gz")
    assert jobs.request().startswith("a verification is running")


def test_verify_in_the_background_journals_and_marks_the_archive(made: tuple[BackupJobs, Changes, FakeClock, Path]) -> None:
    jobs, changes, _, _ = made
    result = run_backup(jobs.config, jobs.paths)
    assert result.ok and result.path is not None
    assert "verifying" in jobs.verify(result.path)
    assert changes.idle.wait(30), "the verify ended"
    assert catalog.verified_state(result.path) is True
    jobs.journal.flush()
    entry = [e for e in journal_mod.read(jobs.paths.journal_file) if e["event"] == "verify"][-1]
    assert entry["ok"] is True and "intact" in journal_mod.describe(entry)


def test_restore_in_the_background_puts_the_data_back(made: tuple[BackupJobs, Changes, FakeClock, Path]) -> None:
    jobs, changes, _, data = made
    result = run_backup(jobs.config, jobs.paths)
    assert result.path is not None
    (data / "notes.txt").write_text("changed after the backup")
    jobs.restore(result.path, NotRunning())
    assert changes.idle.wait(30), "the restore ended"
    assert (data / "notes.txt").read_text() == "keep me"
    assert list(data.parent.glob("data.before-restore-*")), "the old data is kept aside"
    jobs.journal.flush()
    entry = [e for e in journal_mod.read(jobs.paths.journal_file) if e["event"] == "restore"][-1]
    assert entry["ok"] is True


def test_back_up_now_is_claimed_at_once_so_a_second_click_is_refused(
        made: tuple[BackupJobs, Changes, FakeClock, Path]) -> None:
    jobs, _, _, _ = made
    assert jobs.start_backup() == "backup started"  # the backup thread has not even started
    assert jobs.info()["running"] is True
    with pytest.raises(BackupBusy, match="a backup is already running"):
        jobs.start_backup()
