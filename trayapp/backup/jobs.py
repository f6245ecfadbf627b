"""Backups inside the running instance: "Back up now" and the schedule, one at a time.

Runs on its own thread; the tray and the control channel only ask. Progress is kept as a short
line for the tooltip; the result is a `backup` journal entry, which the notifier announces.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from trayapp.config import Config
from trayapp.journal import Journal
from trayapp.memory import give_back
from trayapp.paths import AppPaths
from trayapp.units import format_size

if TYPE_CHECKING:
    from trayapp.backup.progress import Progress

log = logging.getLogger(__name__)

# The schedule is re-checked at least this often, so a backup missed while the laptop slept
# (monotonic waits stop during sleep; wall time does not) starts soon after wake.
RECHECK = 60.0


class BackupJobs:
    """Public methods are safe from any thread and never block on a backup."""

    def __init__(self, config: Config, paths: AppPaths, journal: Journal, *,
                 disk_refusal: Callable[[], str | None] = lambda: None,
                 after_backup: Callable[[Any], None] | None = None,
                 on_change: Callable[[], None] = lambda: None,
                 wall: Callable[[], float] = time.time) -> None:
        self.config, self.paths, self.journal = config, paths, journal
        self._disk_refusal = disk_refusal
        self._after = after_backup
        self._on_change = on_change
        self._wall = wall
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._running = False
        self._asked = False
        self.progress: str | None = None  # e.g. "backing up 45%"
        self.last_ok_at: float | None = None
        self._last_failed_at: float | None = None
        self.next_due: float | None = None

    def start(self, stop: threading.Event) -> None:
        from trayapp.backup.history import last_runs

        self.last_ok_at, self._last_failed_at = last_runs(self.paths.journal_file)
        threading.Thread(target=self._run, args=(stop,), name="backups", daemon=True).start()

    def request(self) -> str:
        """Back up now (tray item, `control backup`). Returns what happened, in plain words."""
        with self._lock:
            if self._running:
                return f"a backup is already running ({self.progress or 'starting'})"
            self._asked = True
        self._wake.set()
        return "backup started"

    def info(self) -> dict[str, Any]:
        return {"running": self._running, "progress": self.progress, "last_ok_at": self.last_ok_at,
                "next_due": self.next_due, "schedule": self.config.backup.schedule}

    def _run(self, stop: threading.Event) -> None:
        self._sweep()
        while not stop.is_set():
            scheduled = self._due()
            with self._lock:
                go, self._asked = self._asked or scheduled, False
                self._running = go
            if go:
                self._backup(scheduled)
                give_back()  # the archive's buffers are freed: hand the pages back (issue 15)
            self._wake.wait(self._sleep_for())
            self._wake.clear()

    def _sweep(self) -> None:
        """At start: journal and remove what a backup killed with trayapp left behind."""
        from trayapp.backup import interrupted
        from trayapp.backup.lock import destination_lock
        from trayapp.backup.service import destination

        folder = destination(self.config, self.paths)
        if not folder.is_dir():
            return
        try:
            with destination_lock(folder):  # busy: a backup from the command line runs; it sweeps
                interrupted.sweep(folder, self.journal, self._wall)
        except Exception as exc:
            log.warning("could not look for interrupted backups in %s: %s", folder, exc)

    def _due(self) -> bool:
        spec = self.config.backup.schedule
        if not spec:
            self.next_due = None
            return False
        from trayapp.backup.schedule import next_due

        self.next_due = next_due(spec, self.last_ok_at, self._wall(), last_failure_wall=self._last_failed_at)
        return self.next_due <= self._wall()

    def _sleep_for(self) -> float:
        if self.next_due is None:
            return 3600.0  # nothing scheduled: only "Back up now" wakes us
        return max(1.0, min(RECHECK, self.next_due - self._wall()))

    def _backup(self, scheduled: bool) -> None:
        from trayapp.backup.service import run_backup

        began = self._wall()
        try:
            result = run_backup(self.config, self.paths, self.journal, progress=self._progress,
                                disk_ok=lambda: self._disk_refusal() is None)
            if result.ok:
                self.last_ok_at = began
                if scheduled:
                    self._prune()
            else:
                self._last_failed_at = began
            if self._after is not None:
                self._after(result)
        except Exception:
            log.exception("backup failed unexpectedly")
            self._last_failed_at = began
        finally:
            self._due()  # the next slot counts from this run
            with self._lock:
                self._running, self.progress = False, None
            self._on_change()

    def _prune(self) -> None:
        """After a scheduled backup. Its failure is its own, never the (good) backup's."""
        from trayapp.backup.service import prune_backups

        try:
            prune_backups(self.config, self.paths, self.journal)
        except Exception as exc:
            log.warning("pruning old backups failed: %s", exc)
            self.journal.record("prune", ok=False, error=str(exc))

    def _progress(self, progress: "Progress") -> None:
        """The backup's thread, a few times a second: keep one line for the tooltip."""
        text = f"backing up {int(progress.fraction * 100)}% of {format_size(progress.total)}"
        if text != self.progress:
            self.progress = text
            self._on_change()
