"""Backups inside the running instance: "Back up now" and the schedule, one at a time.

Runs on its own thread; the tray, the dashboard and the control channel only ask. One job at a
time: a backup, a verification or a restore (the last two on a short-lived thread of their own).
Progress is kept as numbers and a short line for the tooltip, and announced through `on_change` at
most twice a second (a burst of progress must not republish the tray menu many times a second);
the result is a journal entry, which the notifier announces.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trayapp.i18n import N_, _
from trayapp.config import Config
from trayapp.errors import BackupError, TrayAppError, logged
from trayapp.journal import Journal
from trayapp.memory import give_back
from trayapp.paths import AppPaths
from trayapp.units import format_size
from trayapp.message import Message

if TYPE_CHECKING:
    from trayapp.backup.instance import Instance
    from trayapp.backup.progress import Progress

log = logging.getLogger(__name__)

# The schedule is re-checked at least this often, so a backup missed while the laptop slept
# (monotonic waits stop during sleep; wall time does not) starts soon after wake.
RECHECK = 60.0
# At most this often (seconds) is a change of progress announced; starts and ends always are.
PUBLISH_EVERY = 0.5
_VERBS = {"backup": N_("backing up {percent} of {size}"), "verify": N_("verifying {percent} of {size}"),
          "restore": N_("restoring {percent} of {size}")}


# What is running when another job is asked for; {doing} is its progress line.
_BUSY = {"backup": N_("a backup is already running ({doing})"), "verify": N_("a verification is running ({doing})"),
         "restore": N_("a restore is running ({doing})")}


class BackupBusy(BackupError):
    """Another backup, verification or restore is running in this instance."""


@dataclass(frozen=True)
class Activity:
    """The job that runs now, as numbers and one line a person reads."""

    job: str  # what was asked: "backup" | "verify" | "restore"
    phase: str  # the step now: "starting" | "backup" | "verify" | "restore" (a restore verifies first)
    percent: int | None  # None while the step has no measure (stopping the assistant, say)
    words: str  # "backing up 45% of 2MB"
    started: float  # wall time the job began

    def to_dict(self) -> dict[str, Any]:
        return {"job": self.job, "phase": self.phase, "percent": self.percent, "words": self.words, "started": self.started}


class BackupJobs:
    """Public methods are safe from any thread and never block on a backup."""

    def __init__(self, config: Config, paths: AppPaths, journal: Journal, *,
                 disk_refusal: Callable[[], str | None] = lambda: None,
                 after_backup: Callable[[Any], None] | None = None,
                 on_change: Callable[[], None] = lambda: None,
                 wall: Callable[[], float] = time.time,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.config, self.paths, self.journal = config, paths, journal
        self._disk_refusal = disk_refusal
        self._after = after_backup
        self._on_change = on_change
        self._wall, self._clock = wall, clock
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._activity: Activity | None = None  # None: idle
        self._asked = False
        self._published = float("-inf")
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
        try:
            return self.start_backup()
        except BackupBusy as exc:
            return exc.message

    def start_backup(self) -> str:
        """Back up now; raises BackupBusy (with the reason) while another job runs."""
        self._claim("backup", _("starting a backup"))  # claimed now, so a second click is refused at once
        with self._lock:
            self._asked = True
        self._wake.set()
        return _("backup started")

    def verify(self, archive: Path) -> str:
        """Verify `archive` on a thread of its own; the result goes to the journal and its sidecar.
        Raises BackupBusy while another job runs."""
        self._claim("verify", _("verifying {archive}").format(archive=archive.name))
        self._spawn("backup-verify", lambda: self._verify(archive))
        return _("verifying {archive}; the result shows in the list and in the events").format(archive=archive.name)

    def restore(self, archive: Path, instance: Instance) -> str:
        """Restore `archive` as `trayapp backup restore --yes` does, on a thread of its own: stop the
        assistant through `instance`, swap the data, start it again. Raises BackupBusy while busy."""
        self._claim("restore", _("checking {archive} before restoring it").format(archive=archive.name))
        self._spawn("backup-restore", lambda: self._restore(archive, instance))
        return _("restoring {archive}; the assistant is stopped and started again around it").format(
            archive=archive.name)

    @property
    def activity(self) -> Activity | None:
        return self._activity

    def info(self) -> dict[str, Any]:
        now = self._activity
        numbers = now.to_dict() if now else dict.fromkeys(("job", "phase", "percent", "words", "started"))
        return {"running": now is not None and now.job == "backup", "busy": now is not None,
                "progress": self.progress, "last_ok_at": self.last_ok_at, "next_due": self.next_due,
                "schedule": self.config.backup.schedule, **numbers}

    def _refuse_if_busy(self) -> None:
        """Under the lock."""
        now = self._activity
        if now is not None:
            raise BackupBusy(Message(_BUSY.get(now.job, _BUSY["backup"]), doing=self.progress or now.words),
                             fix=Message(N_("wait until it has finished, then try again")))

    def _claim(self, phase: str, words: str) -> None:
        with self._lock:
            self._refuse_if_busy()
            # "starting": the job's first progress is a new step, so the page sees it at once
            self._activity = Activity(phase, "starting", None, words, self._wall())
        self._publish(force=True)

    def _release(self) -> None:
        with self._lock:
            self._activity, self.progress = None, None
        self._publish(force=True)
        self._wake.set()  # a backup asked for meanwhile starts now

    def _spawn(self, name: str, work: Callable[[], None]) -> None:
        def run() -> None:
            try:
                work()
            except Exception:
                log.exception("%s failed unexpectedly", name)
            finally:
                self._release()

        threading.Thread(target=run, name=name, daemon=True).start()

    def _publish(self, force: bool = False) -> None:
        """Tell the listeners, at most every PUBLISH_EVERY seconds unless `force`."""
        now = self._clock()
        if force or now - self._published >= PUBLISH_EVERY:
            self._published = now
            self._on_change()

    def _run(self, stop: threading.Event) -> None:
        self._sweep()
        while not stop.is_set():
            self._wake.clear()  # before looking: a request made after this wakes the wait below
            scheduled = self._due()
            with self._lock:
                # Asked: start_backup claimed the slot. Due: take it, unless a verify or restore
                # has it (its end wakes us and the schedule is looked at again).
                go = self._asked or (scheduled and self._activity is None)
                if go and not self._asked:
                    self._activity = Activity("backup", "starting", None, _("starting a scheduled backup"), self._wall())
                self._asked = False
            if go:
                self._publish(force=True)
                self._backup(scheduled)
                give_back()  # the archive's buffers are freed: hand the pages back (issue 15)
            self._wake.wait(self._sleep_for())

    def _sweep(self) -> None:
        """At start: journal and remove what a backup killed with trayapp left behind."""
        from trayapp.backup.catalog import destination, leftovers

        folder = destination(self.config, self.paths)
        if not folder.is_dir() or next(leftovers(folder), None) is None:
            return  # the usual case: the archive writer (1.4 MiB of modules) is not loaded for nothing
        from trayapp.backup import interrupted
        from trayapp.backup.lock import destination_lock

        try:
            with destination_lock(folder):  # busy: a backup from the command line runs; it sweeps
                interrupted.sweep(folder, self.journal, self._wall)
        except Exception as exc:
            log.warning("could not look for interrupted backups in %s: %s", folder, logged(exc))

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
                self._activity, self.progress = None, None
            self._publish(force=True)

    def _prune(self) -> None:
        """After a scheduled backup. Its failure is its own, never the (good) backup's."""
        from trayapp.backup.service import prune_backups, said

        try:
            prune_backups(self.config, self.paths, self.journal)
        except Exception as exc:
            log.warning("pruning old backups failed: %s", logged(exc))
            reason = exc.said if isinstance(exc, TrayAppError) else str(exc)
            self.journal.record("prune", ok=False, error=str(reason),
                                **said("error", reason))

    def _verify(self, archive: Path) -> None:
        """The verify thread."""
        from trayapp.backup.service import verify

        report = verify(archive, self._progress, self._wall)
        self.journal.record("verify", ok=report.ok, archive=str(archive), files=report.files,
                            databases=report.databases, problems=[str(p) for p in report.problems[:20]],
                            problems_message=[p.to_json() if isinstance(p, Message) else p for p in report.problems[:20]])

    def _restore(self, archive: Path, instance: Instance) -> None:
        """The restore thread: verify and plan, then carry it out; one `restore` journal entry."""
        from trayapp.backup import restore
        from trayapp.backup.service import record_restore

        began = self._clock()
        try:
            plan = restore.prepare(archive, self.config, self.paths, progress=self._progress)
        except TrayAppError as exc:
            result = restore.RestoreResult(error=exc.said, notes=[Message(N_("nothing was changed"))])
        else:
            self._step("restore", None, _("restoring {archive}: stopping the assistant and replacing its data").format(
                archive=archive.name))
            result = restore.execute(plan, instance)
        record_restore(self.journal, archive, result, self._clock() - began, None)

    def _step(self, phase: str, percent: int | None, words: str) -> None:
        """The job's thread: a new step (always announced) or progress within one (throttled)."""
        with self._lock:
            before = self._activity
            if before is None:
                return
            self._activity = Activity(before.job, phase, percent, words, before.started)
            self.progress = words
        self._publish(force=before.phase != phase)

    def _progress(self, progress: "Progress") -> None:
        """The job's thread, a few times a second: numbers for the dashboard, a line for the tooltip."""
        percent = int(progress.fraction * 100)
        template = _(_VERBS.get(progress.phase, _VERBS["backup"]))
        text = template.format(percent=f"{percent}%", size=format_size(progress.total))
        if text != self.progress:
            self._step(progress.phase, percent, text)
