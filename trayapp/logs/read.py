"""Reading trayapp's log files back: tail, follow across rotation, open .gz, parse a line.

Used by `trayapp logs` and the log viewer. Nothing here reads a whole plain file: tail() reads
backwards in blocks, so the last 1,000 lines of a 1 GB log cost a few blocks, not a gigabyte.
"""

from __future__ import annotations

import gzip
import io
import os
import threading
import zlib
from collections import deque
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import NamedTuple, TextIO

from trayapp.errors import TrayAppError
from trayapp.logs.rotation import gz_files, pending_files
from trayapp.paths import cause, open_private

BLOCK = 1 << 16
FOLLOW_INTERVAL = 0.25  # seconds between looks at a quiet file


class LogLine(NamedTuple):
    time: datetime
    stream: str  # stdout | stderr | trayapp
    text: str


def parse_line(line: str) -> LogLine | None:
    """Split `2026-11-21T23:59:01.123+01:00 stdout the text`; None when the line is not in that form."""
    line = line.rstrip("\r\n")
    parts = line.split(" ", 2)
    if len(parts) < 2 or not parts[1].isalpha() or not parts[0][:4].isdigit():
        return None
    try:
        when = datetime.fromisoformat(parts[0])
    except ValueError:
        return None
    return LogLine(when, parts[1], parts[2] if len(parts) == 3 else "")


def rotated_files(path: Path) -> list[Path]:
    """All files of one log, newest first: program.log, files awaiting compression, .1.gz, .2.gz ..."""
    path = Path(path)
    live = [path] if path.is_file() and not path.is_symlink() else []  # a planted link is not ours
    return live + pending_files(path) + gz_files(path)


def open_any(path: Path) -> TextIO:
    """Open a log file for reading text, .gz or not. Bad UTF-8 becomes U+FFFD; lines end at \\n only."""
    path = Path(path)
    if path.name.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8", errors="replace", newline="\n")
    return open(open_private(path, os.O_RDONLY), encoding="utf-8", errors="replace", newline="\n")


def tail(path: Path, n: int) -> list[str]:
    """The last n lines of the log at `path` (oldest first, no newlines), reaching into rotated files
    when the live one holds fewer."""
    if n <= 0:
        return []
    lines: list[str] = []
    for file in rotated_files(path) or [Path(path)]:
        need = n - len(lines)
        try:
            older = _tail_gz(file, need) if file.name.endswith(".gz") else _tail_plain(file, need)
        except FileNotFoundError:  # rotated or compressed while we looked
            continue
        except (OSError, EOFError, zlib.error) as exc:  # unreadable, or a damaged .gz: say so, go on
            why = cause(exc) if isinstance(exc, OSError) else str(exc)
            older = [f"[trayapp: {file.name} could not be read: {why}]"]
        lines = older + lines
        if len(lines) >= n:
            break
    return lines[-n:]


def _tail_plain(path: Path, n: int) -> list[str]:
    with open(open_private(path, os.O_RDONLY), "rb") as f:
        return [b.decode("utf-8", "replace") for b in _last_lines(f, n, os.fstat(f.fileno()).st_size)]


def _tail_gz(path: Path, n: int) -> list[str]:
    """A .gz cannot be read backwards; stream it once keeping only the last n lines."""
    with open_any(path) as f:
        return [line.rstrip("\n") for line in deque(f, maxlen=n)]


def _last_lines(f: io.BufferedReader, n: int, end: int) -> list[bytes]:
    """The last n lines of f[:end], read backwards one block at a time."""
    chunks: list[bytes] = []
    newlines = 0
    pos = end
    while pos > 0 and newlines <= n:
        step = min(BLOCK, pos)
        pos -= step
        f.seek(pos)
        chunk = f.read(step)
        chunks.append(chunk)
        newlines += chunk.count(b"\n")
    data = b"".join(reversed(chunks))
    if data.endswith(b"\n"):
        data = data[:-1]
    lines = data.split(b"\n") if data else []
    if pos > 0:
        lines = lines[1:]  # the first one may be cut
    return lines[-n:]


def follow(path: Path, stop_event: threading.Event, *, last: int = 0,
           interval: float = FOLLOW_INTERVAL) -> Iterator[str]:
    """Yield lines appended to the log at `path` until stop_event is set, across rotation.

    `last` > 0 first yields that many existing lines, read on the same open file so nothing falls
    between them and what follows. Rotation (the name now points at a new file) is seen by its inode,
    truncation by the size going down; the old file is read to its end before switching. A file that
    does not exist yet is waited for and then read from its start. If the log rotates twice within
    one interval (only in a flood), the lines of the file in between are in the rotated files only.
    Runs on the caller's thread; a quiet file is looked at every `interval` seconds.
    """
    path = Path(path)
    existed = path.exists()
    f = _wait_open(path, stop_event, interval)
    if f is None:
        return
    try:
        size = os.fstat(f.fileno()).st_size if existed else 0  # a file that appeared later: all of it is new
        for line in _last_lines(f, last, size) if last > 0 else ():
            yield line.decode("utf-8", "replace")
        f.seek(size)
        carry: bytes | None = b""
        # a partial last line was already shown by `last`; do not repeat it when its newline comes
        if last > 0 and size and _ends_without_newline(f, size):
            carry = None
        while not stop_event.is_set():
            data = f.read(BLOCK)
            if data:
                carry, lines = _complete_lines(carry, data)
                yield from lines
                continue
            changed = _rotated_or_truncated(path, f)
            if changed == "rotated":
                rest = f.read()  # what was written just before the rename
                if rest:
                    carry, lines = _complete_lines(carry, rest)
                    yield from lines
                f.close()
                f = _wait_open(path, stop_event, interval)
                if f is None:
                    return
                carry = b""
                continue
            if changed == "truncated":
                f.seek(0)
                carry = b""
                continue
            stop_event.wait(interval)
    finally:
        if f is not None:
            f.close()


def _complete_lines(carry: bytes | None, data: bytes) -> tuple[bytes, list[str]]:
    """Join the carried partial line with new data; return (new partial, complete lines).

    carry None means "skip up to the next newline" (that part was shown already).
    """
    if carry is None:
        cut = data.find(b"\n")
        if cut < 0:
            return None, []  # type: ignore[return-value]
        data = data[cut + 1:]
        carry = b""
    buf = carry + data
    *lines, rest = buf.split(b"\n")
    return rest, [line.decode("utf-8", "replace") for line in lines]


def _ends_without_newline(f: io.BufferedReader, size: int) -> bool:
    f.seek(size - 1)
    ends = f.read(1) != b"\n"
    f.seek(size)
    return ends


def _rotated_or_truncated(path: Path, f: io.BufferedReader) -> str | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None  # between the rename and the new file: wait
    mine = os.fstat(f.fileno())
    if (st.st_dev, st.st_ino) != (mine.st_dev, mine.st_ino):
        return "rotated"
    if st.st_size < f.tell():
        return "truncated"
    return None


def _wait_open(path: Path, stop_event: threading.Event, interval: float) -> io.BufferedReader | None:
    """Open `path` for reading, waiting while it does not exist yet. None if stopped first."""
    while not stop_event.is_set():
        try:
            return open(open_private(path, os.O_RDONLY), "rb")
        except FileNotFoundError:
            stop_event.wait(interval)
        except OSError as exc:  # a link or a foreign file where the log should be
            raise TrayAppError(f"cannot read {path}: {cause(exc)}", fix=f"remove {path}; trayapp makes a new one") from None
    return None
