"""Memory and CPU samples per program, kept across restarts of trayapp and bounded in size.

Two tiers per program: the last hour at full resolution (one sample per published snapshot, thinned
to at most one every MIN_GAP seconds) and the last day as one point a minute (min / average / max).
Both are appended to state_dir/samples/<program>.jsonl, one JSON array a line:

    ["s", ts, rss_bytes|null, cpu_pct|null]                          one sample
    ["m", minute_ts, n, mem_min, mem_avg, mem_max, cpu_min, cpu_avg, cpu_max]   one minute

Bound: a file is rewritten with only what is still live once it passes COMPACT_AT (1 MB); what is
live is at most ~1,800 samples and 1,440 minutes (about 220 KB), so a file never grows past
1 MB plus one batch. A file with nothing from the last day is deleted when trayapp starts.
A damaged line (a torn write, garbage) is skipped: the rest of the file is still read.

Threads: `on_status` runs on the publisher's thread and only touches memory; `flush` (the writer
thread every FLUSH_EVERY seconds, and `close`) does the file I/O; `series` and `handle` from any.
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from trayapp.events import StatusChanged
from trayapp.paths import open_private, private_dir

log = logging.getLogger(__name__)

HOUR = 3600.0
DAY = 86400.0
MINUTE = 60.0
MIN_GAP = 2.0  # samples closer than this to the last kept one only count toward their minute
FLUSH_EVERY = 30.0
COMPACT_AT = 1_000_000  # bytes per program file


class Point(NamedTuple):
    """One point of a chart: the average over its time and, for a minute or more, the extremes."""

    ts: float
    memory: float | None
    cpu: float | None
    memory_min: float | None = None
    memory_max: float | None = None
    cpu_max: float | None = None


@dataclass
class _Minute:
    ts: float
    n: int = 0
    mem: tuple[float, float, float, int] | None = None  # min, sum, max, count
    cpu: tuple[float, float, float, int] | None = None

    def add(self, memory: float | None, cpu: float | None) -> None:
        self.n += 1
        self.mem, self.cpu = _fold(self.mem, memory), _fold(self.cpu, cpu)

    def merge(self, other: _Minute) -> None:
        self.n += other.n
        self.mem, self.cpu = _join(self.mem, other.mem), _join(self.cpu, other.cpu)

    def line(self) -> list[Any]:
        return ["m", self.ts, self.n, *_triple(self.mem), *_triple(self.cpu)]

    def point(self) -> Point:
        mem, cpu = _triple(self.mem), _triple(self.cpu)
        return Point(self.ts, mem[1], cpu[1], mem[0], mem[2], cpu[2])


def _fold(acc: tuple[float, float, float, int] | None, value: float | None) -> tuple[float, float, float, int] | None:
    if value is None:
        return acc
    if acc is None:
        return value, value, value, 1
    return min(acc[0], value), acc[1] + value, max(acc[2], value), acc[3] + 1


def _join(a: tuple[float, float, float, int] | None,
          b: tuple[float, float, float, int] | None) -> tuple[float, float, float, int] | None:
    if a is None or b is None:
        return a or b
    return min(a[0], b[0]), a[1] + b[1], max(a[2], b[2]), a[3] + b[3]


def _triple(acc: tuple[float, float, float, int] | None) -> tuple[float | None, float | None, float | None]:
    if acc is None:
        return None, None, None
    return acc[0], round(acc[1] / acc[3], 2), acc[2]


class _Series:
    """One program's two tiers, in memory. Under the store's lock."""

    def __init__(self) -> None:
        self.samples: deque[tuple[float, float | None, float | None]] = deque()
        self.minutes: dict[float, _Minute] = {}
        self.open: _Minute | None = None

    def add(self, ts: float, memory: float | None, cpu: float | None) -> list[list[Any]]:
        """Takes one sample; returns the lines to append (a kept sample, a closed minute)."""
        lines: list[list[Any]] = []
        start = ts - ts % MINUTE
        if self.open is not None and self.open.ts != start:
            lines.append(self._close())
            self._prune_minutes(ts)  # once a minute, not at every sample
        if self.open is None:
            self.open = _Minute(start)
        self.open.add(memory, cpu)
        if not self.samples or ts - self.samples[-1][0] >= MIN_GAP:
            self.samples.append((ts, memory, cpu))
            lines.append(["s", ts, memory, cpu])
        return lines

    def _close(self) -> list[Any]:
        assert self.open is not None
        minute, self.open = self.open, None
        self.put(minute)
        return minute.line()

    def put(self, minute: _Minute) -> None:
        known = self.minutes.get(minute.ts)
        if known is None:
            self.minutes[minute.ts] = minute
        else:
            known.merge(minute)  # the same minute before and after a restart of trayapp

    def prune(self, now: float) -> None:
        while self.samples and self.samples[0][0] < now - HOUR:
            self.samples.popleft()

    def _prune_minutes(self, now: float) -> None:
        for ts in [ts for ts in self.minutes if ts < now - DAY]:
            del self.minutes[ts]

    def lines(self) -> list[list[Any]]:
        """Everything live, for a compacted file (the open minute included)."""
        minutes = [m.line() for m in sorted(self.minutes.values(), key=lambda m: m.ts)]
        if self.open is not None:
            minutes.append(self.open.line())
        return [*minutes, *(["s", *s] for s in self.samples)]

    def newest(self) -> float | None:
        stamps = [self.samples[-1][0]] if self.samples else []
        stamps += list(self.minutes)
        return max(stamps, default=None)


class SampleStore:
    """Memory and CPU samples per program, persisted and bounded (see the module docstring)."""

    def __init__(self, folder: Path, clock: Callable[[], float] = time.time) -> None:
        self._folder, self._clock = folder, clock
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._series: dict[str, _Series] = {}
        self._pending: dict[str, list[list[Any]]] = {}
        self._load_all()

    # -- taking samples (publisher's thread: memory only) -----------------------------------

    def on_status(self, event: StatusChanged) -> None:
        new, old = event.new, event.old
        if new.memory is None and new.cpu is None:
            return
        if old is not None and (old.memory, old.cpu) == (new.memory, new.cpu):
            return  # a state change without a new sample
        self.add(new.program, self._clock(), new.memory, new.cpu)

    def add(self, program: str, ts: float, memory: float | None, cpu: float | None) -> None:
        with self._lock:
            series = self._series.setdefault(program, _Series())
            lines = series.add(ts, memory, cpu)
            series.prune(ts)
            self._pending.setdefault(program, []).extend(lines)

    # -- reading ----------------------------------------------------------------------------

    def programs(self) -> list[str]:
        with self._lock:
            return sorted(self._series)

    def series(self, program: str, span_seconds: float, now: float) -> list[Point]:
        """Points from `now - span_seconds` to `now`, oldest first: raw samples for an hour or
        less, one point a minute beyond."""
        since = now - span_seconds
        with self._lock:
            series = self._series.get(program)
            if series is None:
                return []
            if span_seconds <= HOUR:
                return [Point(ts, m, c, m, m, c) for ts, m, c in series.samples if since <= ts <= now]
            minutes = sorted(series.minutes.values(), key=lambda m: m.ts)
            if series.open is not None:
                minutes.append(series.open)
            return [m.point() for m in minutes if since <= m.ts <= now]

    def handle(self, request: Mapping[str, Any]) -> dict[str, list[list[Any]]]:
        """Control command `metrics` ({"program"?: name, "span"?: seconds}): {name: [[ts, rss, cpu], ...]}."""
        span = float(request.get("span") or HOUR)
        now = self._clock()
        program = request.get("program")
        names = [str(program)] if program else self.programs()
        return {name: [[p.ts, p.memory, p.cpu] for p in self.series(name, span, now)] for name in names}

    # -- the disk (writer thread and close) --------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """The writer thread: a batch every FLUSH_EVERY seconds, and the rest once `stop` is set."""
        while not stop.wait(FLUSH_EVERY):
            self.flush()
        self.flush()

    def close(self) -> None:
        """Writes what is pending, the open minutes included, so a restart keeps them."""
        with self._lock:
            for name, series in self._series.items():
                if series.open is not None:
                    self._pending.setdefault(name, []).append(series._close())
        self.flush()

    def flush(self) -> None:
        with self._write_lock:
            with self._lock:
                pending, self._pending = self._pending, {}
            for name, lines in pending.items():
                self._write(name, lines)

    def _write(self, program: str, lines: list[list[Any]]) -> None:
        path = self._folder / f"{program}.jsonl"
        try:
            private_dir(self._folder)
            size = path.stat().st_size if path.exists() else 0
            if size + _size(lines) > COMPACT_AT:
                _rewrite(path, self._live(program))
            else:
                _append(path, lines)
        except OSError as exc:  # a full disk or a damaged folder: the samples in memory still serve
            log.warning("could not save %s's memory and CPU samples: %s", program, exc)

    def _live(self, program: str) -> list[list[Any]]:
        """Everything live; what is pending for it since is in there too, so it is not appended twice."""
        with self._lock:
            self._pending.pop(program, None)
            return self._series[program].lines()

    # -- loading (at start) -----------------------------------------------------------------

    def _load_all(self) -> None:
        now = self._clock()
        if self._folder.is_symlink():
            log.warning("%s is a link, which trayapp does not follow: its samples are not read", self._folder)
            return
        try:
            files = sorted(self._folder.glob("*.jsonl"))
        except OSError:
            return
        for path in files:
            self._load(path, now)

    def _load(self, path: Path, now: float) -> None:
        series = _Series()
        for line in _read_lines(path):
            _restore(series, line)
        series.prune(now)
        series._prune_minutes(now)
        newest = series.newest()
        try:
            if newest is None:
                path.unlink()  # aged out: a removed program's samples go after a day
                return
            _rewrite(path, series.lines())
        except OSError as exc:
            log.warning("could not tidy %s: %s", path, exc)
        self._series[path.name[: -len(".jsonl")]] = series


def _size(lines: Iterable[list[Any]]) -> int:
    return sum(len(_dump(line)) for line in lines)


def _dump(line: list[Any]) -> bytes:
    return (json.dumps(line, separators=(",", ":")) + "\n").encode("ascii")


def _append(path: Path, lines: Sequence[list[Any]]) -> None:
    data = b"".join(_dump(line) for line in lines)
    fd = open_private(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        if os.fstat(fd).st_size and not _ends_with_newline(path):
            data = b"\n" + data  # after a torn line, start afresh so the next one parses
        os.write(fd, data)
    finally:
        os.close(fd)


def _ends_with_newline(path: Path) -> bool:
    fd = open_private(path, os.O_RDONLY)
    try:
        os.lseek(fd, -1, os.SEEK_END)
        return os.read(fd, 1) == b"\n"
    finally:
        os.close(fd)


def _rewrite(path: Path, lines: Sequence[list[Any]]) -> None:
    """Atomically: a new file beside it, then a rename over it."""
    tmp = path.with_name(path.name + ".tmp")
    fd = open_private(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        os.write(fd, b"".join(_dump(line) for line in lines))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def _read_lines(path: Path) -> Iterable[list[Any]]:
    try:
        with open(open_private(path, os.O_RDONLY), "rb") as f:
            for raw in f:
                try:
                    line = json.loads(raw)
                except ValueError:
                    continue  # a torn or damaged line: the rest of the file is still good
                if isinstance(line, list):
                    yield line
    except OSError as exc:
        log.warning("could not read %s: %s", path, exc)


def _restore(series: _Series, line: list[Any]) -> None:
    """One line from disk into `series`; a line with the wrong shape is ignored."""
    values = [_number(v) for v in line[1:]]
    if line[:1] == ["s"] and len(values) == 3 and values[0] is not None:
        if not series.samples or values[0] > series.samples[-1][0]:
            series.samples.append((values[0], values[1], values[2]))
    elif line[:1] == ["m"] and len(values) == 8 and values[0] is not None and values[1]:
        series.put(_minute(values))


def _minute(values: list[float | None]) -> _Minute:
    n = int(values[1] or 0)
    return _Minute(values[0] or 0.0, n, _acc(values[2:5], n), _acc(values[5:8], n))


def _acc(triple: list[float | None], n: int) -> tuple[float, float, float, int] | None:
    low, avg, high = triple
    if low is None or avg is None or high is None:
        return None
    return low, avg * n, high, n


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) and value >= 0 else None


def downsample(points: Sequence[Point], most: int) -> list[Point]:
    """At most `most` points: consecutive points merged, averages averaged, extremes kept."""
    if len(points) <= most:
        return list(points)
    size = math.ceil(len(points) / most)
    return [_merge(points[i:i + size]) for i in range(0, len(points), size)]


def _merge(group: Sequence[Point]) -> Point:
    def mean(values: list[float | None]) -> float | None:
        known = [v for v in values if v is not None]
        return sum(known) / len(known) if known else None

    def pick(values: list[float | None], how: Callable[[list[float]], float]) -> float | None:
        known = [v for v in values if v is not None]
        return how(known) if known else None

    return Point(group[-1].ts, mean([p.memory for p in group]), mean([p.cpu for p in group]),
                 pick([p.memory_min for p in group], min), pick([p.memory_max for p in group], max),
                 pick([p.cpu_max for p in group], max))
