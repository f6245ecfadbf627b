"""Low disk for real: a 20 MB tmpfs is mounted, filled up, and emptied again.

Default thresholds on a 20 MB volume: warn below 10 MB free (10%, or 2 GB capped at half the
volume), critical below 5 MB (3%, or 500 MB capped at a quarter); levels are left at 110%.
Needs root for mount(8); skipped otherwise unless TRAYAPP_REQUIRE_DESKTOP asks for everything.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from trayapp.config import DiskConfig
from trayapp.diskwatch import Crossing, DiskWatch, Level
from trayapp.events import EventBus, Recorded
from trayapp.journal import Journal, read

MB = 1_000_000


def _can_mount() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("mount") is not None


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    if not _can_mount():
        if os.environ.get("TRAYAPP_REQUIRE_DESKTOP"):
            pytest.fail("this test needs root to mount a small tmpfs")
        pytest.skip("needs root to mount a small tmpfs")
    mount = tmp_path / "small"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=20m,mode=0700", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill_to(folder: Path, free_bytes: int) -> None:
    """Write (or shrink) folder/filler so that the volume has about `free_bytes` free."""
    filler = folder / "filler.bin"
    filler.touch()
    target = max(0, filler.stat().st_size + shutil.disk_usage(folder).free - free_bytes)
    with open(filler, "r+b") as f:
        if target < f.seek(0, os.SEEK_END):
            f.truncate(target)
        while f.tell() < target:  # real bytes: tmpfs allocates what is written
            f.write(b"\0" * min(1 << 20, target - f.tell()))
        f.flush()
        os.fsync(f.fileno())


def test_filling_a_real_volume_crosses_warn_and_critical_once_each_and_recovers(small_disk: Path,
                                                                               tmp_path: Path) -> None:
    logs, backups = small_disk / "logs", small_disk / "backups"
    logs.mkdir()
    bus = EventBus()
    heard: list[dict] = []
    bus.subscribe(Recorded, lambda ev: heard.append(dict(ev.entry)) if ev.kind == "disk" else None)
    journal = Journal(tmp_path / "journal.jsonl", bus)  # the journal lives elsewhere: it must not fill up
    watch = DiskWatch(DiskConfig(), [logs, backups], journal=journal)
    crossings: list[Crossing] = []
    watch.add_listener(crossings.append)

    assert watch.check() is Level.OK
    fill_to(logs, 8 * MB)
    assert watch.check() is Level.WARN
    assert watch.check() is Level.WARN  # checked again: no second entry
    fill_to(logs, 3 * MB)
    assert watch.check() is Level.CRITICAL
    assert watch.is_critical(backups) and "almost full" in (watch.refusal(backups) or "")
    fill_to(logs, int(5.3 * MB))  # above the line but inside the margin: still critical
    assert watch.check() is Level.CRITICAL
    fill_to(logs, 15 * MB)
    assert watch.check() is Level.OK and not watch.is_critical()

    entries = [e for e in read(tmp_path / "journal.jsonl") if e["event"] == "disk"]
    assert [e["level"] for e in entries] == ["warn", "critical", "ok"]
    assert all(e["path"] == str(small_disk) and 19 * MB < e["total"] <= 21 * MB for e in entries)
    assert entries[1]["free"] < 5 * MB and entries[2]["free"] > 11 * MB
    assert [(c.old, c.new) for c in crossings] == [(Level.OK, Level.WARN), (Level.WARN, Level.CRITICAL),
                                                    (Level.CRITICAL, Level.OK)]
    assert [e["level"] for e in heard] == ["warn", "critical", "ok"]


def test_the_watch_thread_pauses_and_resumes_a_writer_by_itself(small_disk: Path, tmp_path: Path) -> None:
    """The lead's hook: at critical, log writes pause; when space returns they resume."""
    writes_paused = threading.Event()

    def on_crossing(crossing: Crossing) -> None:
        if crossing.new is Level.CRITICAL:
            writes_paused.set()
        elif crossing.old is Level.CRITICAL:
            writes_paused.clear()

    watch = DiskWatch(DiskConfig(interval=0.1), [small_disk], journal=Journal(tmp_path / "j.jsonl"))
    watch.add_listener(on_crossing)
    stop = threading.Event()
    thread = threading.Thread(target=watch.run, args=(stop,), daemon=True)
    thread.start()
    try:
        fill_to(small_disk, 2 * MB)
        assert _within(5, writes_paused.is_set), "writes were not paused at critical"
        fill_to(small_disk, 18 * MB)
        assert _within(5, lambda: not writes_paused.is_set()), "writes did not resume"
        assert watch.level is Level.OK
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()


def _within(seconds: float, predicate) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False
