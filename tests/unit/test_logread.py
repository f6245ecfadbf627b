"""Reading logs back: the line format round-trip, tail across rotated files, follow across rotation."""

from __future__ import annotations

import gzip
import os
import queue
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from trayapp.logs import read as logread
from trayapp.logs.capture import ProgramLog, Stamp
from trayapp.logs.read import LogLine, follow, open_any, parse_line, rotated_files, tail


def test_stamp_has_milliseconds_and_offset_and_parses_back() -> None:
    t = 1_795_301_941.123_9  # any instant; the local zone decides the offset
    text = Stamp(lambda: t).now()
    assert len(text) == len("2026-11-21T23:59:01.123+01:00")
    when = datetime.fromisoformat(text)
    assert abs(when.timestamp() - t) < 0.001
    assert text[19:23] == ".123"


def test_stamp_is_reformatted_only_when_the_millisecond_changes() -> None:
    now = [100.0]
    stamp = Stamp(lambda: now[0])
    first = stamp.now()
    now[0] = 100.0004
    assert stamp.now() is first  # same millisecond: the cached string itself
    now[0] = 100.002
    assert stamp.now() != first


@pytest.mark.parametrize(("line", "expected"), [
    ("2026-11-21T23:59:01.123+01:00 stdout hello world\n", ("stdout", "hello world")),
    ("2026-11-21T23:59:01.123+01:00 stderr   spaced  text", ("stderr", "  spaced  text")),
    ("2026-11-21T23:59:01.123-05:30 trayapp started pid 7", ("trayapp", "started pid 7")),
    ("2026-11-21T23:59:01.123+00:00 stdout ", ("stdout", "")),
])
def test_parse_line(line: str, expected: tuple[str, str]) -> None:
    parsed = parse_line(line)
    assert isinstance(parsed, LogLine)
    assert (parsed.stream, parsed.text) == expected
    assert parsed.time.utcoffset() is not None and parsed.time.microsecond == 123_000


@pytest.mark.parametrize("line", ["", "hello", "not-a-time stdout x", "2026-11-21T23:59:01 123 x",
                                  "Traceback (most recent call last):"])
def test_parse_line_rejects_other_lines(line: str) -> None:
    assert parse_line(line) is None


def test_parse_line_keeps_the_offset() -> None:
    parsed = parse_line("2026-11-21T23:59:01.123+01:00 stdout x")
    assert parsed is not None and parsed.time.utcoffset() == timedelta(hours=1)


def _write_log(path: Path, lines: list[str]) -> None:
    path.write_text("".join(line + "\n" for line in lines))


def test_tail_reads_backwards_without_the_whole_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "p.log"
    _write_log(log, [f"line {i}" for i in range(50_000)])
    reads: list[int] = []
    real_read = logread._last_lines

    def counting(f, n, end):  # type: ignore[no-untyped-def]
        out = real_read(f, n, end)
        reads.append(f.tell())
        return out

    monkeypatch.setattr(logread, "_last_lines", counting)
    assert tail(log, 3) == ["line 49997", "line 49998", "line 49999"]
    assert reads and reads[0] >= log.stat().st_size - logread.BLOCK  # only the last block was read


def test_tail_n_larger_than_a_block_and_edge_cases(tmp_path: Path) -> None:
    log = tmp_path / "p.log"
    _write_log(log, [f"{i:05d} " + "x" * 90 for i in range(3000)])
    got = tail(log, 2500)
    assert len(got) == 2500 and got[0].startswith("00500 ") and got[-1].startswith("02999 ")
    assert tail(log, 0) == []
    assert len(tail(log, 10_000)) == 3000
    (tmp_path / "empty.log").write_text("")
    assert tail(tmp_path / "empty.log", 5) == []
    (tmp_path / "partial.log").write_text("a\nb\nno newline yet")
    assert tail(tmp_path / "partial.log", 2) == ["b", "no newline yet"]


def test_tail_reaches_into_pending_and_gz_files(tmp_path: Path) -> None:
    log = tmp_path / "p.log"
    _write_log(log, ["live 1", "live 2"])
    _write_log(tmp_path / "p.log.pending-200", ["pending 1"])
    with gzip.open(tmp_path / "p.log.1.gz", "wt") as f:
        f.write("gz1 a\ngz1 b\n")
    with gzip.open(tmp_path / "p.log.2.gz", "wt") as f:
        f.write("gz2 a\n")
    (tmp_path / "p.log.x.gz").write_text("not ours")
    (tmp_path / "other.log.1.gz").write_text("not ours")
    assert [p.name for p in rotated_files(log)] == ["p.log", "p.log.pending-200", "p.log.1.gz", "p.log.2.gz"]
    assert tail(log, 4) == ["gz1 b", "pending 1", "live 1", "live 2"]
    assert tail(log, 100) == ["gz2 a", "gz1 a", "gz1 b", "pending 1", "live 1", "live 2"]


def test_open_any_reads_gz_and_plain_and_bad_utf8(tmp_path: Path) -> None:
    with gzip.open(tmp_path / "a.log.1.gz", "wb") as f:
        f.write(b"ok\n\xff\xfe bad\rstill one line\n")
    with open_any(tmp_path / "a.log.1.gz") as f:
        assert list(f) == ["ok\n", "\ufffd\ufffd bad\rstill one line\n"]
    (tmp_path / "b.log").write_bytes(b"x\r\ny\n")
    with open_any(tmp_path / "b.log") as f:
        assert list(f) == ["x\r\n", "y\n"]


def test_tail_of_a_1gb_sparse_file_is_quick_in_reads(tmp_path: Path) -> None:
    """1 GB of zeros then 1,000 lines: tail must not depend on the file size (only a few blocks)."""
    log = tmp_path / "big.log"
    with open(log, "wb") as f:
        f.truncate(1_000_000_000)
        f.seek(0, os.SEEK_END)
        f.write(b"\n")
        f.write(b"".join(b"line %d\n" % i for i in range(1000)))
    got = tail(log, 1000)
    assert got[0] == "line 0" and got[-1] == "line 999" and len(got) == 1000


class _Follower:
    """Runs follow() on a thread and hands its lines over through a queue."""

    def __init__(self, path: Path, **kwargs: object) -> None:
        self.stop = threading.Event()
        self.lines: queue.Queue[str] = queue.Queue()
        self.thread = threading.Thread(target=self._run, args=(path, kwargs), daemon=True)
        self.thread.start()

    def _run(self, path: Path, kwargs: dict) -> None:
        for line in follow(path, self.stop, interval=0.005, **kwargs):
            self.lines.put(line)

    def take(self, n: int) -> list[str]:
        return [self.lines.get(timeout=10) for _ in range(n)]

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=10)
        assert not self.thread.is_alive()


def test_follow_sees_appends_and_rotation(tmp_path: Path) -> None:
    log = tmp_path / "p.log"
    _write_log(log, ["old 1", "old 2"])
    follower = _Follower(log, last=1)
    try:
        assert follower.take(1) == ["old 2"]
        with open(log, "a") as f:
            f.write("new 1\npartial")
        assert follower.take(1) == ["new 1"]
        with open(log, "a") as f:
            f.write(" done\n")
        os.replace(log, tmp_path / "p.log.pending-1")  # rotation: a new inode under the same name
        _write_log(log, ["after rotation"])
        assert follower.take(2) == ["partial done", "after rotation"]
        with open(log, "w") as f:  # truncation
            f.write("truncated\n")
        assert follower.take(1) == ["truncated"]
    finally:
        follower.close()


class _TellingEvent(threading.Event):
    """A stop event that tells the test when follow() starts waiting on it."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = threading.Event()

    def wait(self, timeout: float | None = None) -> bool:
        self.waiting.set()
        return super().wait(timeout)


def test_follow_reads_a_file_that_appears_later_from_its_start(tmp_path: Path) -> None:
    log = tmp_path / "later.log"
    stop = _TellingEvent()
    lines: queue.Queue[str] = queue.Queue()
    thread = threading.Thread(target=lambda: [lines.put(x) for x in follow(log, stop, interval=0.005)], daemon=True)
    thread.start()
    assert stop.waiting.wait(10)  # follow is waiting for the file to exist
    _write_log(log, ["first", "second"])
    assert [lines.get(timeout=10) for _ in range(2)] == ["first", "second"]
    stop.set()
    thread.join(10)
    assert not thread.is_alive()


def test_follow_across_real_program_log_rotation(tmp_path: Path) -> None:
    log = tmp_path / "p.log"
    plog = ProgramLog(log, max_size=2_000, keep=50, total_cap=10**9)
    plog.write("trayapp", "hello")
    follower = _Follower(log, last=1)
    try:
        assert follower.take(1)[0].endswith(" trayapp hello")
        got: list[str] = []
        for batch in range(10):  # ~50 bytes a line, 30 lines a batch: at most one rotation a batch
            for i in range(batch * 30, batch * 30 + 30):
                plog.write("stdout", f"line {i:04d}")
            got += follower.take(30)  # caught up before the next batch can rotate again
        assert [g.split(" ", 2)[2] for g in got] == [f"line {i:04d}" for i in range(300)]
    finally:
        follower.close()
        plog.close()
    assert len(rotated_files(log)) > 5


def test_follow_returns_promptly_when_stopped(tmp_path: Path) -> None:
    log = tmp_path / "p.log"
    _write_log(log, ["x"])
    stop = threading.Event()
    stop.set()
    started = time.monotonic()
    assert list(follow(log, stop, interval=60)) == []
    assert time.monotonic() - started < 30


def test_a_damaged_rotated_file_is_named_not_fatal(tmp_path: Path) -> None:
    from trayapp.logs import read as logread

    log = tmp_path / "a.log"
    log.write_text("2026-01-01T00:00:00.000+00:00 stdout newest\n")
    (tmp_path / "a.log.1.gz").write_bytes(b"\x1f\x8b\x08\x00 this is not really gzip")
    lines = logread.tail(log, 10)
    assert lines[-1].endswith("newest")
    assert any("a.log.1.gz could not be read" in line for line in lines)
