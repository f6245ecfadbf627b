"""Free disk space on the volumes trayapp writes to, available memory, folder sizes."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from trayapp.i18n import N_, _
from trayapp.diskwatch import Level as DiskLevel
from trayapp.diskwatch import app_paths, classify, mount_point
from trayapp.doctor.inputs import Inputs
from trayapp.doctor.report import Check, fail, info, ok, warn
from trayapp.units import format_size

GROUP = N_("disk and memory")
LOW_MEMORY = 256_000_000


def checks(inp: Inputs) -> list[Check]:
    return [*_volumes(inp), _memory(), *_folder_sizes(inp)]


def _volumes(inp: Inputs) -> list[Check]:
    mounts: dict[Path, list[Path]] = {}
    for path in app_paths(inp.config, inp.paths):
        mounts.setdefault(mount_point(path), []).append(path)
    return [_volume(mount, inp) for mount in mounts]


def _volume(mount: Path, inp: Inputs) -> Check:
    try:
        usage = shutil.disk_usage(mount)
    except OSError as exc:
        return warn(GROUP, f"disk {mount}", _("cannot measure free space: {exc}").format(exc=exc),
                    _("check that the volume is mounted"), title=_("disk {path}").format(path=mount))
    level = classify(usage.free, usage.total, DiskLevel.OK, inp.config.disk)
    free, total = format_size(usage.free), format_size(usage.total)
    title = _("disk {path}").format(path=mount)
    evidence = _("{free} free of {total} on {path}").format(free=free, total=total, path=mount)
    if level is DiskLevel.CRITICAL:
        refused = _("{free} free of {total} on {path}: logs pause and backups are refused").format(
            free=free, total=total, path=mount)
        return fail(GROUP, f"disk {mount}", refused, _("free some space (old backups: `trayapp backup prune`)"),
                    title=title)
    if level is DiskLevel.WARN:
        return warn(GROUP, f"disk {mount}", evidence, _("free some space soon"), title=title)
    return ok(GROUP, f"disk {mount}", evidence, title=title)


def _memory() -> Check:
    import psutil

    mem = psutil.virtual_memory()
    evidence = _("{available} available of {total}").format(available=format_size(mem.available),
                                                            total=format_size(mem.total))
    if mem.available < LOW_MEMORY:
        return warn(GROUP, N_("memory"), evidence, _("close programs you do not need; the assistant may be killed "
                      "by the system when memory runs out"))
    return ok(GROUP, N_("memory"), evidence)


def _folder_sizes(inp: Inputs) -> list[Check]:
    from trayapp.backup.service import destination

    return [info(GROUP, N_("log folder"), _("{size} in {log_dir}").format(
        size=format_size(folder_size([inp.paths.log_dir])), log_dir=inp.paths.log_dir)),
            info(GROUP, N_("backup folder"), _sized(destination(inp.config, inp.paths)))]


def _sized(folder: Path) -> str:
    if folder.exists():
        return _("{size} in {path}").format(size=format_size(folder_size([folder])), path=folder)
    return _("{path} (none yet)").format(path=folder)


def folder_size(folders: Iterable[Path]) -> int:
    total = 0
    for folder in folders:
        for root, _dirs, files in os.walk(folder):
            for name in files:
                try:
                    total += os.lstat(os.path.join(root, name)).st_size
                except OSError:
                    continue
    return total
