"""What the dashboard needs of the running app, declared: `App` satisfies `DashboardHost`.

The dashboard never imports trayapp.app. Commands only enqueue (they never block a request thread
on a program); reads return snapshots. Every method is safe from any thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from trayapp.backup.instance import Instance
from trayapp.hostparts import BackupsView, DiskView, InstanceView, PauseControl
from trayapp.journal import Journal
from trayapp.metrics import SampleStore


DashboardNotifier = PauseControl
DashboardDisk = DiskView


class DashboardBackups(BackupsView, Protocol):
    """The instance's backup jobs (backup/jobs.py), with the jobs the Backups page starts."""

    def info(self) -> dict[str, Any]: ...

    def start_backup(self) -> str:
        """Back up now; raises BackupBusy (a BackupError) while a backup, verify or restore runs."""

    def verify(self, archive: Path) -> str:
        """Verify on a thread of the instance; raises BackupBusy while another job runs."""

    def restore(self, archive: Path, instance: Instance) -> str:
        """Restore on a thread of the instance (stop, swap, start); raises BackupBusy while busy."""


class DashboardHost(InstanceView, Protocol):
    @property
    def journal(self) -> Journal: ...

    @property
    def notifier(self) -> DashboardNotifier: ...

    @property
    def backups(self) -> DashboardBackups: ...

    @property
    def disk(self) -> DashboardDisk: ...

    @property
    def samples(self) -> SampleStore:
        """Memory and CPU samples per program, kept across restarts of trayapp (trayapp/metrics.py)."""

    def command(self, verb: str, program: str | None) -> str:
        """start | stop | restart for one program (or all): enqueues and returns what was asked, in
        words; raises ControlError with the reason when trayapp may not (attached, unknown)."""

    def reload(self) -> dict[str, Any]: ...

    def log_file(self, program: str) -> Path:
        """The live log file of `program` (its rotated files sit beside it)."""
