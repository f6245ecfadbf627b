"""Backups of everything the user would hate to lose: create, verify, restore, prune, schedule.

Modules, one job each: sources (what to back up), sqlite_copy (online backup API), compress
(gzip on its own thread), archive (tar writing, temp + fsync + rename), manifest, catalog
(names, listing, verified marks), verify, extract (safe extraction), restore, prune (retention),
schedule (when the next backup is due), service (run_backup: the entry point for the tray and
the schedule). Heavy modules are imported lazily, so `import trayapp.backup.schedule` is cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trayapp.backup.service import BackupResult, run_backup

__all__ = ["BackupResult", "run_backup"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from trayapp.backup import service

        return getattr(service, name)
    raise AttributeError(name)
