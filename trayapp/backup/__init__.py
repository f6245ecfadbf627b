"""Backups of everything the user would hate to lose: create, verify, restore, prune, schedule.

Modules, one job each: sources (what to back up), sqlite_copy (online backup API, with a lock
deadline), holders (who has a file open), compress (gzip on its own thread), archive (tar
writing, temp + fsync + rename), manifest, catalog (names, listing, verified marks), verify,
links (where a symlink really leads), extract (safe extraction), space (will a restore fit),
restore, prune (retention), schedule (when the next backup is due), interrupted (backups that
did not finish), service (run_backup: the entry point for the tray and the schedule). Heavy
modules are imported lazily, so `import trayapp.backup.schedule` is cheap.
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
