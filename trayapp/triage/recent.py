"""The output of one run of a program, both streams in order, bounded by lines and by bytes."""

from __future__ import annotations

import threading
from collections import deque

MAX_LINES = 2000
MAX_BYTES = 256_000
# One line never takes more than this share of the buffer, so a huge line cannot push out the rest.
MAX_LINE_BYTES = 4_000


class RecentOutput:
    """A ring of the newest lines since the program's last start.

    `add` fits the log pump's per-line callback; the stdout and stderr pumps call it from their own
    threads, hence the lock. `lines` and `clear` are called by the supervisor thread. Each line
    keeps its stream: the two pumps interleave freely, so a traceback is whole only in its own.
    """

    def __init__(self, max_lines: int = MAX_LINES, max_bytes: int = MAX_BYTES) -> None:
        self._max_lines = max(1, max_lines)
        self._max_bytes = max(1, max_bytes)
        self._lines: deque[tuple[str, str]] = deque()  # (stream, line)
        self._bytes = 0
        self._lock = threading.Lock()

    def add(self, line: str, stream: str = "") -> None:
        """Keep one line of output (already redacted by the pump); the oldest go when full."""
        line = _cut(line.rstrip("\r\n"), min(MAX_LINE_BYTES, self._max_bytes))
        size = _size(line)
        with self._lock:
            self._lines.append((stream, line))
            self._bytes += size
            while len(self._lines) > self._max_lines or self._bytes > self._max_bytes:
                self._bytes -= _size(self._lines.popleft()[1])

    def lines(self, stream: str | None = None) -> list[str]:
        """A copy of the kept lines (of one stream, if named), oldest first."""
        with self._lock:
            return [line for s, line in self._lines if stream is None or s == stream]

    def clear(self) -> None:
        """Forget everything: called when the program starts again."""
        with self._lock:
            self._lines.clear()
            self._bytes = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._lines)


def _size(line: str) -> int:
    return len(line.encode("utf-8", "replace")) + 1  # the newline it came with


def _cut(line: str, limit: int) -> str:
    """At most `limit` bytes of UTF-8 (minus its newline), cut on a character boundary."""
    data = line.encode("utf-8", "replace")
    if len(data) < limit:
        return line
    return data[: max(0, limit - 4)].decode("utf-8", "ignore") + "…"
