"""Time, injected: schedule on monotonic(), show and stamp with time()."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float:
        """For every deadline, timeout and backoff."""

    def time(self) -> float:
        """Wall clock (epoch seconds): only for display, journal lines and file names."""


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()
