"""Archive names, listing, and the remembered verification result."""

from __future__ import annotations

import gzip
import io
import os
import random
import stat
from datetime import datetime, timezone
from pathlib import Path

from trayapp.backup import catalog
from trayapp.backup.compress import GzipPipe
from trayapp.backup.progress import Progress, Reporter

NOON = datetime(2026, 3, 10, 12, 0, 5, tzinfo=timezone.utc).timestamp()


def test_names_sort_by_time_and_never_collide(tmp_path: Path) -> None:
    first = catalog.new_archive_path(tmp_path, NOON)
    assert first.name == "trayapp-backup-20260310T120005Z.tar.gz"
    first.write_bytes(b"x")
    second = catalog.new_archive_path(tmp_path, NOON)
    assert second.name == "trayapp-backup-20260310T120005Z-2.tar.gz"
    second.write_bytes(b"y")
    assert [b.name for b in catalog.list_backups(tmp_path)] == [first.name, second.name]
    assert catalog.created_from_name(first.name) is not None and abs(catalog.created_from_name(first.name) - NOON) < 1


def test_listing_hides_temp_files_and_strangers(tmp_path: Path) -> None:
    (tmp_path / ".trayapp-backup-abc.partial").write_bytes(b"half")
    (tmp_path / "holiday.tar.gz").write_bytes(b"x")
    assert catalog.list_backups(tmp_path) == []
    assert catalog.list_backups(tmp_path / "missing") == []


def test_verified_mark_is_private_and_goes_stale_when_the_archive_changes(tmp_path: Path) -> None:
    archive = catalog.new_archive_path(tmp_path, NOON)
    archive.write_bytes(b"archive bytes")
    assert catalog.verified_state(archive) is None
    catalog.mark_verified(archive, True, [], NOON)
    assert catalog.verified_state(archive) is True
    assert stat.S_IMODE(catalog.sidecar(archive).stat().st_mode) == 0o600
    archive.write_bytes(b"archive bytes, changed")
    assert catalog.verified_state(archive) is None
    catalog.mark_verified(archive, False, ["bad"], NOON)
    assert catalog.list_backups(tmp_path)[0].verified is False
    catalog.remove(archive)
    assert os.listdir(tmp_path) == []


def test_parallel_gzip_is_one_valid_stream_equal_to_the_input() -> None:
    rng = random.Random(7)
    data = b"".join(rng.choice([os.urandom(5000), b"text " * 3000, b"\0" * 70000]) for _ in range(300))
    out = io.BytesIO()
    pipe = GzipPipe(out, level=6, workers=2)
    for i in range(0, len(data), 12345):
        pipe.write(data[i:i + 12345])
    assert pipe.tell() == len(data)
    pipe.close()
    assert gzip.decompress(out.getvalue()) == data
    assert len(out.getvalue()) < len(gzip.compress(data, 6)) * 1.01  # compresses like gzip -6


class FullDisk(io.RawIOBase):
    def __init__(self, room: int) -> None:
        self.room = room

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        if len(data) > self.room:
            raise OSError(28, "No space left on device")
        self.room -= len(data)
        return len(data)


def test_a_write_error_surfaces_on_the_writing_thread() -> None:
    pipe = GzipPipe(FullDisk(room=200_000), workers=2)  # type: ignore[arg-type]
    try:
        for _ in range(40):
            pipe.write(os.urandom(1 << 20))
        pipe.close()
    except OSError as exc:
        assert exc.errno == 28
    else:
        raise AssertionError("the full disk was not reported")
    finally:
        pipe.abort()


def test_reporter_throttles_and_always_reports_the_end() -> None:
    seen: list[Progress] = []
    now = [0.0]
    reporter = Reporter("backup", 1000, seen.append, interval=1.0, clock=lambda: now[0])
    for _ in range(10):
        reporter.advance(50, "a")
    now[0] = 2.0
    reporter.advance(50, "b")
    reporter.finish()
    assert [p.done for p in seen] == [50, 550, 550]
    assert seen[-1].path == "b" and seen[1].fraction == 0.55
