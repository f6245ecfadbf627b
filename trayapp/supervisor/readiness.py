"""Readiness from output: the first line that matches a program's `ready_log_line` marks it ready.

For programs with no port to probe. The watch sits between the spawner and the program's log, so
the log pumps (one thread per stream) see each line once and nothing reads the output twice.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

from trayapp.supervisor.output import OutputWatch
from trayapp.supervisor.spawn import LogSink


class ReadyLineWatch(OutputWatch):
    """A LogSink that hands everything to the program's log and calls `on_ready` once, on a pump
    thread, for the first line (of either stream) that matches `pattern`."""

    def __init__(self, log: LogSink, pattern: re.Pattern[str], on_ready: Callable[[], None]) -> None:
        super().__init__(log, lambda stream, line: self.saw(line))
        self._pattern, self._on_ready = pattern, on_ready
        self._lock = threading.Lock()
        self._seen = False

    def saw(self, line: str) -> None:
        """One line of output (pump thread). Both pumps may call this at once: the lock keeps it once."""
        if self._seen or not self._pattern.search(line):
            return
        with self._lock:
            if self._seen:
                return
            self._seen = True
        self._on_ready()
