"""Append-only history of what happened (JSONL): starts, exits, restarts, backups, alerts."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from trayapp.events import EventBus, Recorded
from trayapp.paths import cause, open_private

log = logging.getLogger(__name__)

# Past this size the journal is rotated once to journal.jsonl.1; history stays bounded.
MAX_BYTES = 5_000_000


class Journal:
    """Writes one JSON object per line and publishes each as a `Recorded` event.

    `record` may be called from any thread. Each batch is one write() on an O_APPEND file and one
    fsync, so a crash of trayapp never leaves a half line behind a complete one.

    background=True (the running instance): lines go to a writer thread and `record` never waits
    for the disk, so the supervisor restarts a crashed program without waiting on fsync; `flush()`
    waits until everything queued is on disk. Otherwise (commands, tests) `record` writes at once.
    """

    def __init__(self, path: Path, bus: EventBus | None = None,
                 wall: Callable[[], float] | None = None, *, background: bool = False) -> None:
        self.path = path
        self._bus = bus
        self._wall = wall or (lambda: datetime.now(timezone.utc).timestamp())
        self._cond = threading.Condition()
        self._pending: list[bytes] = []
        self._queued = self._written = 0
        self._writer: threading.Thread | None = None
        self._background = background
        self._failing = False

    def record(self, event: str, program: str | None = None, **fields: Any) -> dict[str, Any]:
        entry: dict[str, Any] = {"ts": _iso(self._wall()), "event": event}
        if program is not None:
            entry["program"] = program
        entry.update(fields)
        line = json.dumps(entry, default=str, ensure_ascii=False) + "\n"
        if not self._background:
            with self._cond:
                self._write(line.encode("utf-8"))
        else:
            self._enqueue(line.encode("utf-8"))
        if self._bus is not None:
            self._bus.publish(Recorded(entry))
        return entry

    def _enqueue(self, data: bytes) -> None:
        with self._cond:
            self._pending.append(data)
            self._queued += 1
            if self._writer is None:
                self._writer = threading.Thread(target=self._write_forever, name="journal", daemon=True)
                self._writer.start()
            self._cond.notify_all()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every recorded line is on disk (or was dropped by a full disk)."""
        with self._cond:
            target = self._queued
            return self._cond.wait_for(lambda: self._written >= target, timeout)

    def _write_forever(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: bool(self._pending))
                batch, self._pending = self._pending, []
            self._write(b"".join(batch))
            with self._cond:
                self._written += len(batch)
                self._cond.notify_all()

    def _write(self, data: bytes) -> None:
        """A failed write (a full disk, a planted link) must not stop supervision: the events still
        reach the bus. In the running instance the first failure after a success goes to trayapp.log,
        in words; a command (background=False) stays quiet and reports its own outcome."""
        try:
            self._append(data)
        except OSError as exc:
            if self._background and not self._failing:
                log.warning("cannot write the journal %s: %s; history is not being saved", self.path, cause(exc))
            self._failing = True
        else:
            self._failing = False

    def _append(self, data: bytes) -> None:
        """One write on an O_APPEND file, never through a link, 0600 (an older 0644 is tightened)."""
        fd = open_private(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT)
        try:
            if os.fstat(fd).st_size > MAX_BYTES:
                os.replace(self.path, self.path.with_name(self.path.name + ".1"))
                os.close(fd)
                fd = open_private(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT)
            os.write(fd, _fresh_line(fd) + data)
            os.fsync(fd)
        finally:
            os.close(fd)


def _fresh_line(fd: int) -> bytes:
    """b"\n" when the file ends inside a line (a torn write, junk): else the next entry would be
    glued to it and lost with it when read."""
    size = os.fstat(fd).st_size
    if not size:
        return b""
    os.lseek(fd, size - 1, os.SEEK_SET)  # reads only: O_APPEND still writes at the very end
    return b"" if os.read(fd, 1) == b"\n" else b"\n"


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch).astimezone().isoformat(timespec="milliseconds")


def read(path: Path, last: int | None = None, program: str | None = None) -> list[dict[str, Any]]:
    """The journal's entries, oldest first; the last `last` of them if given. Bad lines are skipped."""
    keep: deque[dict[str, Any]] = deque(maxlen=last) if last else deque()
    for entry in _entries(path):
        if program is None or entry.get("program") in (program, None):
            keep.append(entry)
    return list(keep)


def _entries(path: Path) -> Iterator[dict[str, Any]]:
    for candidate in (path.with_name(path.name + ".1"), path):
        try:
            with open(open_private(candidate, os.O_RDONLY), encoding="utf-8", errors="replace") as f:
                yield from (entry for line in f if (entry := _parse(line)) is not None)
        except FileNotFoundError:
            continue
        except OSError:
            continue  # a link or another user's file where the journal should be: not ours to read


def _parse(line: str) -> dict[str, Any] | None:
    """One entry, or None for a torn line. An entry glued to a torn one by an older trayapp
    (before appends started on a fresh line) is still found: every entry begins with {"ts": ."""
    for start in (0, line.rfind('{"ts": ')):
        try:
            entry = json.loads(line[start:]) if start >= 0 else None
        except ValueError:
            continue
        if isinstance(entry, Mapping):
            return dict(entry)
    return None


_TEMPLATES = {
    "start": "started (pid {pid})",
    "running": "up and running (pid {pid})",
    "exit": "{text}",
    "backoff": "restarting in {delay}s (failure {failures})",
    "restart": "restart ({reason})",
    "gave_up": "{reason}",
    "spawn_failed": "{error}",
    "stop": "stop requested by {by}",
    "kill": "SIGKILL to the whole tree: {reason}",
    "health": "health {status}: {detail}",
    "limit": "{kind} {value} over the limit of {limit} -> {action}",
    "external": "{detail}",
    "orphan": "leftover pid {pid} from an earlier trayapp: {action}",
    "adopt": "adopted pid {pid}",
}


def describe(entry: Mapping[str, Any]) -> str:
    """One line for `trayapp history`: what happened, in plain words."""
    kind = str(entry.get("event", "?"))
    who = entry.get("program")
    text = entry.get("message")
    if not text and kind in _TEMPLATES:
        try:
            text = _TEMPLATES[kind].format(**entry)
        except (KeyError, IndexError, ValueError):
            text = None
    if not text:
        skip = {"ts", "event", "program", "message"}
        text = ", ".join(f"{k}={v}" for k, v in entry.items() if k not in skip and v not in (None, ""))
        text = f"{kind}" + (f": {text}" if text else "")
    if kind == "exit" and entry.get("last_stderr"):
        text += f" — {entry['last_stderr']}"
    return f"{who}: {text}" if who else text
