"""A full disk during a backup: no partial archive, earlier backups intact, a clear journal entry.

The destination is a real 20 MB tmpfs (mounted here; root is needed). The disk is filled up by
"somebody else" once the backup has started, from the progress callback, so the failure happens
mid-write rather than at the up-front space check, which is tested separately.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from trayapp.backup import catalog
from trayapp.backup.progress import Progress
from trayapp.backup.service import run_backup
from trayapp.backup.verify import verify_archive
from trayapp.config import parse
from trayapp.journal import Journal, read
from trayapp.paths import AppPaths


@pytest.fixture
def small_disk(tmp_path: Path):
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        image = tmp_path / "disk.img"
        with open(image, "wb") as f:
            f.truncate(20 << 20)
        made = subprocess.run(["mkfs.ext4", "-q", str(image)], capture_output=True)
        done = subprocess.run(["mount", "-o", "loop", str(image), str(mount)], capture_output=True)
        if made.returncode or done.returncode:
            pytest.skip(f"cannot mount a small filesystem here (needs root): {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=True)


@pytest.fixture
def setup(tmp_path: Path, small_disk: Path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "notes.md").write_text("small and precious\n")
    paths = AppPaths(tmp_path / "cfg", tmp_path / "state", tmp_path / "logs", tmp_path / "appdata")
    paths.ensure()
    config = parse(f'[backup]\npaths = ["{data}"]\ndest = "{small_disk / "backups"}"\n',
                   environ={"HOME": str(tmp_path / "home")})
    return config, paths, data, small_disk


def test_disk_fills_up_during_the_backup(setup) -> None:
    config, paths, data, disk = setup
    journal = Journal(paths.journal_file)
    earlier = run_backup(config, paths, journal)
    assert earlier.ok, earlier.error
    for i in range(6):  # incompressible, so the archive really needs the room
        (data / f"photo{i}.raw").write_bytes(os.urandom(1_500_000))

    filler = disk / "someone-elses-download"

    def fill_the_disk(progress: Progress) -> None:
        if not filler.exists():
            with open(filler, "wb") as f:
                try:
                    while True:
                        f.write(b"\0" * 65536)
                        f.flush()
                except OSError:
                    pass  # the disk is full now, with the backup half written

    result = run_backup(config, paths, journal, progress=fill_the_disk)
    assert not result.ok
    assert "filled up" in str(result.error or "") and "earlier backups are untouched" in str(result.error or "")
    backups_dir = disk / "backups"
    assert sorted(os.listdir(backups_dir)) == sorted([earlier.path.name, ".trayapp-backup.lock"])
    assert [b.path for b in catalog.list_backups(backups_dir)] == [earlier.path]
    assert verify_archive(earlier.path).ok
    journal.flush()
    entry = read(paths.journal_file)[-1]
    assert entry["event"] == "backup" and entry["ok"] is False and "filled up" in entry["error"]


def test_refuses_up_front_when_the_estimate_does_not_fit(setup) -> None:
    config, paths, data, disk = setup
    (data / "huge.raw").write_bytes(os.urandom(25_000_000))
    journal = Journal(paths.journal_file)
    result = run_backup(config, paths, journal)
    journal.flush()
    assert not result.ok and "not enough room" in str(result.error or "")
    assert result.fix and "bigger drive" in str(result.fix)
    assert sorted(os.listdir(disk / "backups")) == [".trayapp-backup.lock"]
    assert read(paths.journal_file)[-1]["ok"] is False


def test_refuses_when_the_disk_watcher_says_critical(setup) -> None:
    config, paths, data, disk = setup
    result = run_backup(config, paths, disk_ok=lambda: False)
    assert not result.ok and "critically full" in str(result.error or "")
    assert not (disk / "backups").exists() or catalog.list_backups(disk / "backups") == []


def test_leftovers_of_a_killed_backup_are_cleaned_by_the_next_one(setup) -> None:
    config, paths, data, disk = setup
    backups_dir = disk / "backups"
    backups_dir.mkdir(mode=0o700)
    (backups_dir / ".trayapp-backup-x1y2.partial").write_bytes(b"half an archive")
    (backups_dir / ".trayapp-work-abc").mkdir()
    result = run_backup(config, paths)
    assert result.ok
    assert sorted(os.listdir(backups_dir)) == sorted([result.path.name, ".trayapp-backup.lock"])
