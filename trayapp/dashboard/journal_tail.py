"""The journal read backwards, newest entry first, a block at a time from the end of the file.

The events page asks for the newest 200 of a journal that may hold 5 MB (and its rotated .1 file):
reading 64 KB blocks from the end and stopping when the caller has enough never loads it whole.
Lines that do not parse (a torn write) are skipped, as trayapp.journal.read skips them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from trayapp.paths import open_private

BLOCK = 65536


def newest_first(path: Path) -> Iterator[dict[str, Any]]:
    """Entries of the journal and then of its rotated file, newest first."""
    for candidate in (path, path.with_name(path.name + ".1")):
        for line in _lines_backwards(candidate):
            entry = parse(line)
            if entry is not None:
                yield entry


def parse(line: bytes) -> dict[str, Any] | None:
    """One entry; an entry glued behind a torn one (an older trayapp) is found by its {"ts": start."""
    for start in (0, line.rfind(b'{"ts": ')):
        if start < 0:
            continue
        try:
            entry = json.loads(line[start:])
        except ValueError:
            continue
        if isinstance(entry, Mapping):
            return dict(entry)
    return None


def epoch(entry: Mapping[str, Any]) -> float | None:
    """The entry's time in epoch seconds (the journal writes ISO 8601 with the offset)."""
    stamp = entry.get("ts")
    if not isinstance(stamp, str):
        return None
    try:
        return datetime.fromisoformat(stamp).timestamp()
    except ValueError:
        return None


def _lines_backwards(path: Path) -> Iterator[bytes]:
    try:
        fd = open_private(path, os.O_RDONLY)
    except OSError:
        return  # missing, a link or not ours: nothing to read
    try:
        yield from _blocks_backwards(fd)
    finally:
        os.close(fd)


def _blocks_backwards(fd: int) -> Iterator[bytes]:
    end = os.fstat(fd).st_size
    rest = b""
    while end > 0:
        start = max(0, end - BLOCK)
        os.lseek(fd, start, os.SEEK_SET)
        chunk = os.read(fd, end - start) + rest
        end = start
        lines = chunk.split(b"\n")
        rest = lines.pop(0) if end > 0 else b""  # the first piece may be half a line: keep it for the next block
        yield from (line for line in reversed(lines) if line.strip())
    if rest.strip():
        yield rest
