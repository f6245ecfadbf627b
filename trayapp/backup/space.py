"""Will a restore fit? The expanded size of each target, summed per volume, against free space.

Checked before anything is written: a 2 MB archive of zeros may expand to gigabytes, and a
restore that fills the disk halfway helps nobody. Sizes come from the verified manifest (every
member was checked against it); extraction then refuses to write more than the manifest lists.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from trayapp.backup.manifest import Manifest
from trayapp.errors import BackupError
from trayapp.i18n import N_
from trayapp.message import Message, Size

BLOCK = 4096  # a small file still takes a whole block; a folder or link takes one
MARGIN = 1_000_000  # room left over for the filesystem's own needs

FreeBytes = Callable[[Path], int]


@dataclass(frozen=True)
class Need:
    label: str
    dest: Path  # the restore target; its staging folder is made beside it


def expanded_size(manifest: Manifest, label: str) -> int:
    """Bytes on disk for everything under `label`, rounded up to whole blocks."""
    return sum(-(-r.size // BLOCK) * BLOCK or BLOCK for r in manifest.files
               if r.path == label or r.path.startswith(label + "/"))


def total_size(manifest: Manifest) -> int:
    """The file bytes the manifest lists: the most an honest extraction writes."""
    return sum(r.size for r in manifest.files if r.type == "file")


@dataclass(frozen=True)
class Room:
    """One volume a restore writes to: the bytes it needs there and the bytes free."""

    folder: Path
    need: int
    free: int

    @property
    def fits(self) -> bool:
        return self.need + MARGIN <= self.free


def rooms(manifest: Manifest, needs: Iterable[Need], free: FreeBytes | None = None) -> list[Room]:
    """What a restore needs per volume (targets on one volume are summed) and what is free there."""
    free = free or _free_bytes
    volumes: dict[int, tuple[Path, int]] = {}
    for need in needs:
        folder = _existing(need.dest.parent)
        device = os.stat(folder).st_dev
        _, before = volumes.get(device, (folder, 0))
        volumes[device] = (folder, before + expanded_size(manifest, need.label))
    return [Room(folder, size, free(folder)) for folder, size in volumes.values()]


def check_room(manifest: Manifest, needs: Iterable[Need], free: FreeBytes | None = None) -> None:
    """Raise BackupError naming the folder, the size needed and the space free, when it does not fit."""
    for room in rooms(manifest, needs, free):
        if not room.fits:
            raise BackupError(Message(N_("not enough room to restore into {folder}: the backup expands to {need} "
                                         "and {free} is free there; nothing was changed"),
                                      folder=str(room.folder), need=Size(room.need), free=Size(room.free)),
                              fix=Message(N_("free some space there, or restore elsewhere with --to DIR on a "
                                             "bigger drive")))


def _existing(path: Path) -> Path:
    """The nearest folder that exists: staging folders are created below it."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _free_bytes(folder: Path) -> int:
    return shutil.disk_usage(folder).free
