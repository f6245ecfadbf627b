"""One program's log as pages for the dashboard: files across rotation, cursors, backwards paging,
jumping to a time, reading forward.

A cursor is "<file identity>.<byte offset>.<time in ms>". A file's identity is a hash of its first
line, so it survives every rename rotation makes (live -> pending -> .1.gz -> .2.gz keep the same
content, and offsets count uncompressed bytes). A cursor whose file is gone (deleted by the size
cap: always the oldest) means the start of the log has been reached, not an error.
Plain files are read backwards in blocks, never whole; a .gz file is streamed (it is small: one
rotated piece of max_size).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import stat
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from trayapp.logs.levels import Level, LevelTracker
from trayapp.logs.read import parse_line, rotated_files
from trayapp.logs.rotation import PENDING
from trayapp.paths import open_private

BLOCK = 1 << 16
CONTEXT = 64  # lines read before a chunk only so a traceback's level carries into it
CHUNK = 500
CHUNK_GZ = 20_000  # a .gz is streamed from its start for every chunk: take big ones
SCAN_LINES = 200_000  # one filtered page stops after this many lines and says where to go on


class CursorError(ValueError):
    """A cursor that is not one this module made."""


@dataclass(frozen=True)
class LogFile:
    path: Path
    ident: str
    end: int  # plain files: the end of the last complete line when listed; .gz: -1 (to the end)

    @property
    def gz(self) -> bool:
        return self.path.name.endswith(".gz")


class Row(NamedTuple):
    file: LogFile
    offset: int
    raw: bytes
    ts: float | None
    stream: str
    text: str
    level: Level

    @property
    def cursor(self) -> str:
        return make_cursor(self.file.ident, self.offset, self.ts)


def make_cursor(ident: str, offset: int, ts: float | None) -> str:
    return f"{ident}.{offset}.{-1 if ts is None else int(ts * 1000)}"


def parse_cursor(cursor: str) -> tuple[str, int, float | None]:
    """(file identity, offset, time) of a cursor; CursorError for anything else."""
    parts = cursor.split(".")
    try:
        ident, offset, ms = parts[0], int(parts[1]), int(parts[2])
    except (IndexError, ValueError):
        raise CursorError(cursor) from None
    if len(parts) != 3 or len(ident) != 16 or offset < 0:
        raise CursorError(cursor)
    return ident, offset, None if ms < 0 else ms / 1000


def log_files(live: Path, folder: Path) -> list[LogFile]:
    """Every file of the log at `live`, newest first, each a regular file directly in `folder`."""
    home = folder.resolve()
    found: list[LogFile] = []
    for path in rotated_files(live):
        try:
            st = path.lstat()
            if not stat.S_ISREG(st.st_mode) or path.resolve().parent != home:
                continue  # a link, or somewhere else: never read
            file = _describe(path, st.st_size)
        except (OSError, EOFError, zlib.error):
            continue  # rotated away while listing, or unreadable: the others still count
        if file.ident and not _compressed_copy(file, found):
            found.append(file)
    return found


def _compressed_copy(file: LogFile, listed: list[LogFile]) -> bool:
    """For a moment a pending file and the .1.gz made from it both exist: list it once."""
    return file.gz and any(other.ident == file.ident and PENDING in other.path.name for other in listed)


def _describe(path: Path, size: int) -> LogFile:
    with _open_bytes(path) as f:
        first = f.readline(256)
        if path.name.endswith(".gz"):
            return LogFile(path, _ident(first), -1)
        end = size
        if size:
            f.seek(max(0, size - BLOCK))
            tail = f.read(size - max(0, size - BLOCK))
            cut = tail.rfind(b"\n")
            end = size - len(tail) + cut + 1 if cut >= 0 else (0 if size <= BLOCK else size)
    return LogFile(path, _ident(first), end)


def _ident(first: bytes) -> str:
    return hashlib.blake2b(first, digest_size=8).hexdigest() if first else ""


@contextmanager
def _open_bytes(path: Path) -> Iterator[io.BufferedIOBase]:
    """A log file's bytes, uncompressed when it is a .gz; opened without following a link."""
    raw = open(open_private(path, os.O_RDONLY), "rb")
    try:
        if path.name.endswith(".gz"):
            with gzip.GzipFile(fileobj=raw, mode="rb") as unpacked:
                yield unpacked
        else:
            yield raw
    finally:
        raw.close()


def find(files: Sequence[LogFile], ident: str) -> int | None:
    return next((i for i, f in enumerate(files) if f.ident == ident), None)


# -- reading lines -------------------------------------------------------------------------------

def lines_before(file: LogFile, end: int, n: int) -> list[tuple[int, bytes]]:
    """The last n lines (offset, bytes) of `file` that start before `end`, oldest first."""
    if file.gz:
        kept: deque[tuple[int, bytes]] = deque(maxlen=n)
        for offset, raw in lines_from(file, 0):
            if offset >= end:
                break
            kept.append((offset, raw))
        return list(kept)
    return _plain_before(file.path, min(end, file.end), n)


def _plain_before(path: Path, end: int, n: int) -> list[tuple[int, bytes]]:
    with open(open_private(path, os.O_RDONLY), "rb") as f:
        pos, data = end, b""
        while pos > 0 and data.count(b"\n") <= n:
            step = min(BLOCK * 4, pos)
            pos -= step
            f.seek(pos)
            data = f.read(step) + data
    if data.endswith(b"\n"):
        data = data[:-1]
    found: list[tuple[int, bytes]] = []
    offset = pos
    for raw in data.split(b"\n") if data else []:
        found.append((offset, raw))
        offset += len(raw) + 1
    if pos > 0:
        found = found[1:]  # the first one may be cut
    return found[-n:] if n > 0 else []


def lines_from(file: LogFile, start: int) -> Iterator[tuple[int, bytes]]:
    """Lines (offset, bytes) of `file` from the first one starting at or after `start`."""
    with _open_bytes(file.path) as f:
        offset = 0
        if not file.gz and start:
            f.seek(start - 1)
            offset = start - 1
            offset += len(f.readline())  # to the start of the next whole line
        limit = file.end if not file.gz else -1
        while limit < 0 or offset < limit:
            try:
                raw = f.readline()
            except (EOFError, zlib.error, OSError):
                return  # a damaged .gz: what came before the damage is all there is
            if not raw or not raw.endswith(b"\n"):
                return
            if offset >= start:
                yield offset, raw[:-1]
            offset += len(raw)


def to_row(file: LogFile, offset: int, raw: bytes, tracker: LevelTracker) -> Row:
    line = raw.decode("utf-8", "replace")
    parsed = parse_line(line)
    if parsed is None:
        return Row(file, offset, raw, None, "", line, tracker.level(line))
    return Row(file, offset, raw, parsed.time.timestamp(), parsed.stream, parsed.text, tracker.level(parsed.text))


def rows_backwards(files: Sequence[LogFile], index: int, end: int) -> Iterator[Row]:
    """Rows newest first from files[index] before offset `end`, then every older file."""
    for i in range(index, len(files)):
        file = files[i]
        pos = end if i == index else (file.end if not file.gz else 1 << 62)
        while pos > 0:
            got = lines_before(file, pos, (CHUNK_GZ if file.gz else CHUNK) + CONTEXT)
            if not got:
                break
            context = 0 if got[0][0] == 0 else min(CONTEXT, len(got) - 1)
            tracker = LevelTracker()
            rows = [to_row(file, off, raw, tracker) for off, raw in got]
            yield from reversed(rows[context:])
            pos = rows[context].offset


def rows_forward(files: Sequence[LogFile], index: int, start: int, tracker: LevelTracker) -> Iterator[Row]:
    """Rows oldest first from files[index] at `start`, then every newer file."""
    for i in range(index, -1, -1):
        file = files[i]
        for off, raw in lines_from(file, start if i == index else 0):
            yield to_row(file, off, raw, tracker)


# -- pages ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Page:
    rows: list[Row]  # oldest first
    before: str | None  # where an older page starts; None at the start of the log
    after: str | None  # where a newer page starts (forward reads)
    low: float | None  # the time span the page covers, for journal marks: [low, high)
    high: float | None


def page_before(files: Sequence[LogFile], cursor: str | None, limit: int,
                keep: Callable[[Row], bool]) -> Page:
    """Up to `limit` kept rows before `cursor` (or the end of the log), newest pages first."""
    if not files:
        return Page([], None, None, None, None)
    index, end, high = 0, files[0].end if not files[0].gz else 1 << 62, None
    if cursor is not None:
        ident, end, high = parse_cursor(cursor)
        found = find(files, ident)
        if found is None:  # rotated away for good (the cap deletes the oldest first): nothing older
            return Page([], None, None, None, high)
        index = found
    return _collect(rows_backwards(files, index, end), limit, keep, high)


def _collect(rows: Iterator[Row], limit: int, keep: Callable[[Row], bool], high: float | None) -> Page:
    kept: list[Row] = []
    last: Row | None = None
    for scanned, row in enumerate(rows):
        last = row
        if keep(row):
            kept.append(row)
        if len(kept) >= limit or scanned >= SCAN_LINES:
            break
    else:
        return Page(kept[::-1], None, None, None, high)  # reached the start of the log
    assert last is not None
    return Page(kept[::-1], last.cursor, None, last.ts, high)


def page_after(files: Sequence[LogFile], cursor: str, limit: int, keep: Callable[[Row], bool]) -> Page:
    """Up to `limit` kept rows from `cursor` on, oldest first, toward the live file."""
    ident, start, low = parse_cursor(cursor)
    index = find(files, ident)
    if index is None:
        index, start = len(files) - 1, 0  # its file is gone: go on from the oldest there is
    kept: list[Row] = []
    after = cursor
    for scanned, row in enumerate(rows_forward(files, index, start, LevelTracker())):
        if keep(row):
            kept.append(row)
        after = make_cursor(row.file.ident, row.offset + len(row.raw) + 1, row.ts)
        if len(kept) >= limit or scanned >= SCAN_LINES:
            break
    high = parse_cursor(after)[2] if kept else low
    return Page(kept, None, after, low, high)


# -- jumping to a time ---------------------------------------------------------------------------

def seek_time(files: Sequence[LogFile], at: float) -> tuple[int, int]:
    """(file index, offset) of the first line at or after `at`: the newest file that started
    before `at`, searched by halving (plain) or scanning (.gz)."""
    for i, file in enumerate(files):
        first = _first_time(file)
        if first is not None and first <= at:
            return i, (_scan_gz(file, at) if file.gz else _bisect(file, at))
    return len(files) - 1, 0


def _first_time(file: LogFile) -> float | None:
    for _, raw in lines_from(file, 0):
        return _time_of(raw)
    return None


def _time_of(raw: bytes) -> float | None:
    parsed = parse_line(raw[:64].decode("utf-8", "replace") + " ")
    return parsed.time.timestamp() if parsed is not None else None


def _scan_gz(file: LogFile, at: float) -> int:
    offset = 0
    for offset, raw in lines_from(file, 0):
        ts = _time_of(raw)
        if ts is not None and ts >= at:
            return offset
    return offset


def _bisect(file: LogFile, at: float) -> int:
    """The offset of the first line at or after `at` in a plain file, by halving byte ranges."""
    low, high = 0, file.end
    while high - low > BLOCK:
        mid = (low + high) // 2
        line = next(lines_from(file, mid), None)
        ts = _time_of(line[1]) if line is not None else None
        if ts is not None and ts < at:
            low = mid
        else:
            high = mid
    for offset, raw in lines_from(file, low):
        ts = _time_of(raw)
        if (ts is not None and ts >= at) or offset >= high:
            return offset
    return file.end


def page_around(files: Sequence[LogFile], at: float, limit: int, keep: Callable[[Row], bool]) -> Page:
    """`limit` kept rows around the time `at`: half before it, half from it on."""
    if not files:
        return Page([], None, None, None, None)
    index, offset = seek_time(files, at)
    start = make_cursor(files[index].ident, offset, at)
    older = page_before(files, start, max(1, limit // 2), keep)
    newer = page_after(files, start, limit - len(older.rows), keep)
    return Page(older.rows + newer.rows, older.before, newer.after, older.low, newer.high)


def time_label(ts: float, now: float) -> str:
    """"14:02:03" today, "Nov 29 14:02:03" on another day (local time)."""
    when, today = time.localtime(ts), time.localtime(now)
    if when[:3] == today[:3]:
        return time.strftime("%H:%M:%S", when)
    return time.strftime("%b %d %H:%M:%S", when)
