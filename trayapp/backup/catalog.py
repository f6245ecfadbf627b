"""The backups in a destination folder: names, listing, and the remembered verification result.

An archive is named `trayapp-backup-YYYYMMDDTHHMMSSZ.tar.gz` (UTC, so names sort by time and a
daylight-saving change never reorders them). Whether it was verified is remembered in a small
hidden sidecar, `.NAME.verified.json` (0600, written atomically), which also records the
archive's size and mtime: if the archive changes afterwards, the mark no longer counts.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from trayapp.atomic import atomic_write
from trayapp.message import Message

if TYPE_CHECKING:
    from trayapp.config import Config
    from trayapp.paths import AppPaths

# What a backup in progress keeps beside the archives (archive.py writes them; a kill leaves them).
TEMP_PREFIX = ".trayapp-backup-"
TEMP_SUFFIX = ".partial"
WORK_PREFIX = ".trayapp-work-"

PREFIX = "trayapp-backup-"
SUFFIX = ".tar.gz"
_NAME = re.compile(re.escape(PREFIX) + r"(\d{8}T\d{6}Z)(?:-(\d+))?" + re.escape(SUFFIX))


@dataclass(frozen=True)
class BackupFile:
    """One finished archive in the destination."""

    path: Path
    created: float  # wall time from the name, epoch seconds
    size: int
    verified: bool | None  # True: verified OK; False: verification failed; None: not verified

    @property
    def name(self) -> str:
        return self.path.name

    def to_dict(self, now: float) -> dict[str, Any]:
        return {"name": self.name, "path": str(self.path), "size": self.size, "created": _iso(self.created),
                "age_seconds": max(0, round(now - self.created)), "verified": self.verified}


def new_archive_path(dest: Path, now: float) -> Path:
    """A fresh name for a backup started at `now`; never one that exists already."""
    stamp = datetime.fromtimestamp(now, timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = dest / f"{PREFIX}{stamp}{SUFFIX}"
    n = 2
    while path.exists():
        path = dest / f"{PREFIX}{stamp}-{n}{SUFFIX}"
        n += 1
    return path


def created_from_name(name: str) -> float | None:
    match = _NAME.fullmatch(name)
    if not match:
        return None
    moment = datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    return moment.timestamp() + int(match.group(2) or 1) * 1e-3  # keep same-second backups in order


def list_backups(dest: Path) -> list[BackupFile]:
    """Finished archives in `dest`, oldest first. Temp files of running backups are hidden."""
    found = []
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        for entry in os.scandir(dest):
            created = created_from_name(entry.name)
            if created is None or not entry.is_file(follow_symlinks=False):
                continue
            path = Path(entry.path)
            found.append(BackupFile(path, created, entry.stat().st_size, verified_state(path)))
    return sorted(found, key=lambda b: (b.created, b.name))


def sidecar(archive: Path) -> Path:
    return archive.with_name(f".{archive.name}.verified.json")


def mark_verified(archive: Path, ok: bool, problems: Sequence[Message | str], checked_at: float) -> None:
    """Remember a verification result next to the archive (0600, atomic)."""
    st = archive.stat()
    record = {"ok": ok, "checked_at": _iso(checked_at), "size": st.st_size, "mtime_ns": st.st_mtime_ns,
              "problems": [str(p) for p in problems[:20]]}  # English, like all JSON trayapp keeps
    atomic_write(sidecar(archive), json.dumps(record, indent=1) + "\n", mode=0o600)


def verified_state(archive: Path) -> bool | None:
    """True/False from a sidecar that still matches the archive; None when unknown or stale."""
    try:
        record = json.loads(sidecar(archive).read_text(encoding="utf-8"))
        st = archive.stat()
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("size") != st.st_size or record.get("mtime_ns") != st.st_mtime_ns:
        return None
    return bool(record.get("ok"))


def remove(archive: Path) -> None:
    """Delete an archive and its sidecar."""
    archive.unlink()
    with contextlib.suppress(FileNotFoundError):
        sidecar(archive).unlink()


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch).astimezone().isoformat(timespec="seconds")


def destination(config: Config, paths: AppPaths, dest: Path | None = None) -> Path:
    """Where archives go: --dest, else [backup] dest, else the per-user backups folder."""
    return Path(os.path.abspath(os.path.expanduser(dest or config.backup.dest or paths.backup_dir)))


def leftovers(dest: Path) -> Iterator[Path]:
    """Temp files and work folders of backups that were killed; only safe to delete under the lock."""
    with contextlib.suppress(OSError):
        for entry in os.scandir(dest):
            if (entry.name.startswith(TEMP_PREFIX) and entry.name.endswith(TEMP_SUFFIX)) or \
                    entry.name.startswith(WORK_PREFIX):
                yield Path(entry.path)
