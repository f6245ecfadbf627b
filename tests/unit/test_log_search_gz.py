"""Searching rotated .gz files: memory stays bounded, the deadline is kept inside the decompression,
and "search on" finds every match exactly once, newest first; levels of hits inside a traceback."""

from __future__ import annotations

import os
import tracemalloc
from pathlib import Path

import pytest

from trayapp.logs import search
from trayapp.logs.pages import CursorError, LogFile, log_files

from .logfolder import write_rotated


def gz_log(tmp_path: Path, lines: list[bytes]) -> list[LogFile]:
    """One rotated .gz holding `lines` and an empty live file."""
    live = write_rotated(tmp_path / "logs", [lines, []], compresslevel=1)
    return log_files(live, live.parent)


def line(n: int, text: str = "tick") -> bytes:
    return f"2026-11-30T14:{n // 60 % 60:02d}:{n % 60:02d}.000+00:00 stdout {n} {text}".encode()


class SteppingClock:
    """Each look at the clock is a second later."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def test_a_large_gz_is_searched_without_holding_it_in_memory(tmp_path: Path) -> None:
    filler = b" " + b"padding " * 30
    files = gz_log(tmp_path, [line(n, "needle" if n % 5000 == 0 else "tick") + filler for n in range(120_000)])
    assert files[0].path.stat().st_size < 2_000_000  # ~30 MB once decompressed
    tracemalloc.start()
    try:
        found = search.search(files, search.matcher("needle", False), limit=5)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [int(row.text.split()[0]) for row in found.rows] == [115_000, 110_000, 105_000, 100_000, 95_000]
    assert peak < 8 * search.BLOCK, f"{peak} bytes at the peak"


def test_the_deadline_is_kept_inside_a_gz_and_search_on_finds_every_match_once(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "BLOCK", 200)  # many blocks in a small file
    files = gz_log(tmp_path, [line(n, "cat" if n % 3 == 0 else "dog") for n in range(300)])
    query = search.matcher("cat", False)
    first = search.search(files, query, limit=1000, clock=SteppingClock(), deadline=6.5)
    assert first.timed_out and not first.done and first.rows == []
    assert first.scanned_bytes < 2000  # stopped a few blocks in, not after decompressing it all
    got, cursor, requests = [], first.cursor, 1
    while cursor is not None:
        found = search.search(files, query, limit=7, cursor=cursor, clock=SteppingClock(), deadline=6.5)
        got += [int(row.text.split()[0]) for row in found.rows]
        cursor, requests = found.cursor, requests + 1
        assert requests < 5000
    assert got == list(range(297, -1, -3))


def test_a_cursor_this_module_did_not_make_is_refused(tmp_path: Path) -> None:
    files = gz_log(tmp_path, [line(0)])
    with pytest.raises(CursorError):
        search.search(files, search.matcher("tick", False), cursor=f"{files[0].ident}.10.-1~x")


@pytest.mark.parametrize("gz", [False, True])
def test_a_matched_traceback_frame_is_an_error_as_on_the_logs_page(tmp_path: Path, gz: bool) -> None:
    texts = ["starting", "Traceback (most recent call last):", '  File "bot.py", line 3, in main',
             "    run()", "ValueError: bad", '  File "docs.txt" is where the manual lives']
    lines = [line(n, text) for n, text in enumerate(texts)]
    folder = tmp_path / "logs"
    if gz:
        files = gz_log(tmp_path, lines)
    else:
        folder.mkdir(mode=0o700)
        (folder / "nanobot.log").write_bytes(b"".join(raw + b"\n" for raw in lines))
        os.chmod(folder / "nanobot.log", 0o600)
        files = log_files(folder / "nanobot.log", folder)
    found = search.search(files, search.matcher('File "', False))
    assert [(row.text.split(" ", 1)[0], row.level) for row in found.rows] == [("5", ""), ("2", "error")]
