"""Progress of long backup work, and a throttle so callers are told a few times a second at most."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    phase: str  # "backup" | "verify" | "restore"
    done: int  # bytes handled so far
    total: int  # bytes expected (an estimate while backing up live data)
    path: str = ""  # the member being handled

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / self.total) if self.total > 0 else 0.0


ProgressFn = Callable[[Progress], None]


class Reporter:
    """Counts bytes and calls `callback` at most every `interval` seconds, plus once at the end.

    Runs on the thread doing the work; the callback must be quick (the tray only stores it).
    """

    def __init__(self, phase: str, total: int, callback: ProgressFn | None, interval: float = 0.2,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.phase, self.total, self._callback = phase, total, callback
        self._interval, self._clock = interval, clock
        self.done = 0
        self.path = ""
        self._last = float("-inf")

    def advance(self, nbytes: int, path: str | None = None) -> None:
        self.done += nbytes
        if path is not None:
            self.path = path
        if self._callback is not None and self._clock() - self._last >= self._interval:
            self._emit()

    def finish(self) -> None:
        if self._callback is not None:
            self.total = max(self.total, self.done)
            self._emit()

    def _emit(self) -> None:
        self._last = self._clock()
        assert self._callback is not None
        self._callback(Progress(self.phase, self.done, self.total, self.path))
