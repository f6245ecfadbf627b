"""What a program says, watched on its way into the log: kept for its crash report, and read for
lines that mean it runs but cannot answer.

The watch sits between the spawner and the program's log, like the ready-line watch, so the two
log pumps (one thread per stream) see each line once and nothing reads the output twice.
"""

from __future__ import annotations

import logging
import threading
import typing
from collections.abc import Callable, Sequence

from trayapp.supervisor import own_ui
from trayapp.supervisor.degraded import Pattern, Verdict
from trayapp.supervisor.spawn import LogSink
from trayapp.triage.excerpt import strip_ansi
from trayapp.triage.recent import RecentOutput

log = logging.getLogger(__name__)
# The same verdict is reported again at most this often (seconds), so a program that logs a 429 on
# every line cannot flood the supervisor's inbox; the verdict's hold time is refreshed by it.
REPORT_EVERY = 30.0


class OutputWatch:
    """A LogSink that hands everything to the program's log and shows each output line, with its
    stream, to `look`, on the pump thread that read it."""

    def __init__(self, log: LogSink, look: Callable[[str, str], None]) -> None:
        self._log, self._look = log, look
        self._failed = False

    def pump(self, stream: str, pipe: typing.IO[bytes],
             on_line: Callable[[str], None] | None = None) -> threading.Thread:
        def each(line: str) -> None:
            if on_line is not None:
                on_line(line)
            self._safely(stream, line)

        return self._log.pump(stream, pipe, each)

    def _safely(self, stream: str, line: str) -> None:
        """A watcher's bug must never stop the pump: the log and the child's pipe matter more."""
        try:
            self._look(stream, line)
        except Exception:
            if not self._failed:
                self._failed = True
                log.exception("watching a program's output failed; its log goes on")

    def write(self, stream: str, text: str) -> None:
        self._log.write(stream, text)  # trayapp's own notes are not the program's output

    def last_line(self, stream: str = "stderr") -> str:
        return self._log.last_line(stream)

    def tail(self, n: int = 20, stream: str | None = None) -> list[str]:
        return self._log.tail(n, stream)


class RunListener:
    """One run's listener: keeps its output for the crash report, reports degraded lines and the
    first web UI the run announces. Called from both pump threads at once."""

    def __init__(self, patterns: Sequence[Pattern], report: Callable[[Verdict], None],
                 clock: Callable[[], float], recent: RecentOutput | None = None,
                 on_ui: Callable[[str], None] | None = None) -> None:
        self.recent = recent or RecentOutput()
        self._patterns, self._report, self._clock = tuple(patterns), report, clock
        self._lock = threading.Lock()
        self._said: Verdict | None = None
        self._said_at = 0.0
        self._on_ui = on_ui

    def __call__(self, stream: str, line: str) -> None:
        self.recent.add(line, stream)
        if self._on_ui is not None:
            self._look_for_ui(line)
        if not self._patterns:
            return
        plain = strip_ansi(line)
        for pattern in self._patterns:
            verdict = pattern.verdict(plain)
            if verdict is not None:
                self._maybe_report(verdict)
                return

    def _look_for_ui(self, line: str) -> None:
        url = own_ui.announced(line)
        with self._lock:
            report, self._on_ui = (self._on_ui, None) if url is not None else (None, self._on_ui)
        if report is not None and url is not None:
            report(url)  # once per run: a program repeating its banner is not news

    def _maybe_report(self, verdict: Verdict) -> None:
        now = self._clock()
        with self._lock:
            if verdict == self._said and now - self._said_at < REPORT_EVERY:
                return
            self._said, self._said_at = verdict, now
        self._report(verdict)
