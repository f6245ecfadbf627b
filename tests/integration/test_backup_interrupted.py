"""A backup that does not finish is said in the journal and leaves nothing behind (issue 16, item 13).

Ctrl-C and SIGTERM are journalled at once and the unfinished archive removed; after a SIGKILL the
next backup finds the leftovers, says which backup never finished and removes them. The CLI
cases run the real `trayapp backup create`, held mid-backup by a real process locking a database.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.integration.locked_db import held_exclusively, make_rollback_database
from trayapp.backup.progress import Progress
from trayapp.backup.service import run_backup
from trayapp.config import parse
from trayapp.journal import Journal, read
from trayapp.paths import AppPaths

LOCK_FILE = ".trayapp-backup.lock"
CliWorld = tuple[Path, Path, dict[str, str]]  # data folder, TRAYAPP_HOME, environment


def test_ctrl_c_in_the_middle_is_journalled_and_leaves_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for n in range(3):
        (data / f"f{n}.bin").write_bytes(os.urandom(50_000))
    paths = AppPaths(tmp_path / "cfg", tmp_path / "state", tmp_path / "logs", tmp_path / "appdata")
    paths.ensure()
    config = parse(f'[backup]\npaths = ["{data}"]\n', environ={"HOME": str(tmp_path / "home")})

    def cancel(progress: Progress) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_backup(config, paths, Journal(paths.journal_file), progress=cancel)
    assert [p.name for p in paths.backup_dir.iterdir()] == [LOCK_FILE]
    entry = read(paths.journal_file)[-1]
    assert entry["event"] == "backup" and entry["ok"] is False
    assert "interrupted because it was cancelled with Ctrl-C" in entry["error"]
    assert "earlier backups are untouched" in entry["error"]


@pytest.fixture
def cli_world(tmp_path: Path) -> CliWorld:
    data = tmp_path / "data"
    data.mkdir()
    (data / "notes.txt").write_text("keep me")
    make_rollback_database(data / "memory.sqlite")
    home = tmp_path / "th"
    home.mkdir()
    (home / "config.toml").write_text(f'[backup]\npaths = ["{data}"]\nlock_timeout = "10m"\n')
    env = {**os.environ, "TRAYAPP_HOME": str(home), "HOME": str(tmp_path / "home")}
    return data, home, env


def start_backup(env: dict[str, str], home: Path) -> subprocess.Popen[str]:
    """`trayapp backup create`, returned once its unfinished archive exists (it waits for the lock)."""
    proc = subprocess.Popen([sys.executable, "-m", "trayapp", "backup", "create"], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    pause = threading.Event()
    for _ in range(600):  # a real process: wait for it to get there, up to 30 s
        if partials(home) or proc.poll() is not None:
            break
        pause.wait(0.05)
    assert partials(home), f"the backup never started: {proc.poll()} {proc.stderr.read() if proc.stderr else ''}"
    return proc


def partials(home: Path) -> list[str]:
    backups = home / "backups"
    return [p.name for p in backups.iterdir() if p.name.endswith(".partial")] if backups.is_dir() else []


def test_sigterm_during_a_backup_is_journalled_and_cleaned_up(cli_world: CliWorld) -> None:
    data, home, env = cli_world
    with held_exclusively(data / "memory.sqlite"):
        proc = start_backup(env, home)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert sorted(p.name for p in (home / "backups").iterdir()) == [LOCK_FILE], "the unfinished archive is gone"
    entry = read(home / "state" / "journal.jsonl")[-1]
    assert entry["event"] == "backup" and entry["ok"] is False
    assert "trayapp was told to stop (SIGTERM)" in entry["error"]


def test_after_a_kill_the_next_backup_says_which_one_never_finished(cli_world: CliWorld) -> None:
    data, home, env = cli_world
    with held_exclusively(data / "memory.sqlite"):
        proc = start_backup(env, home)
        left = partials(home)
        proc.kill()
        proc.communicate(timeout=60)
    assert partials(home) == left, "a kill runs no clean-up"
    assert read(home / "state" / "journal.jsonl") == []

    again = subprocess.run([sys.executable, "-m", "trayapp", "backup", "create"], env=env, text=True,
                           capture_output=True, timeout=120)
    assert again.returncode == 0, again.stderr
    names = sorted(p.name for p in (home / "backups").iterdir())
    assert len(names) == 2 and names[0] == LOCK_FILE and names[1].endswith(".tar.gz"), names
    killed, made = read(home / "state" / "journal.jsonl")
    assert killed["event"] == "backup" and killed["ok"] is False and killed["interrupted"] is True
    assert "never finished" in killed["error"] and "unfinished archive was removed" in killed["error"]
    assert made["ok"] is True
