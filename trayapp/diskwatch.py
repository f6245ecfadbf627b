"""Free space on the volumes trayapp writes to: its logs, its backups, the assistant's data dirs.

Levels: warn below 10% free or 2 GB, whichever is larger; critical below 3% or 500 MB (all in
[disk]). The fixed sizes are capped at half (warn) and a quarter (critical) of the volume, so a
small volume is not "critical" forever. A level is left only once free space is 10% above the
threshold (hysteresis), so a disk hovering at the line is reported once per crossing, not on
every check. Each crossing is journalled as a `disk` entry {level, path, free, total}, which the
Notifier turns into a notification; listeners (the log writer) hear of every crossing.

The threshold logic (`thresholds`, `classify`) is pure; `DiskWatch` adds the probe
(shutil.disk_usage) and the bookkeeping.
"""

from __future__ import annotations

import enum
import logging
import os
import shutil
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from trayapp.config import DiskConfig
from trayapp.i18n import _, english
from trayapp.units import format_size

if TYPE_CHECKING:
    from trayapp.config import Config
    from trayapp.paths import AppPaths

log = logging.getLogger(__name__)

HYSTERESIS = 0.10  # leave a level only at 110% of its threshold
WARN_CAP, CRITICAL_CAP = 0.5, 0.25  # fixed sizes never exceed this share of the volume
FAST_INTERVAL = 10.0  # check this often (at most) while a volume is low, so logs resume soon


class Level(enum.StrEnum):
    OK = "ok"
    WARN = "warn"
    CRITICAL = "critical"


_RANK = {Level.OK: 0, Level.WARN: 1, Level.CRITICAL: 2}


class _Recorder(Protocol):
    def record(self, event: str, program: str | None = None, **fields: Any) -> object: ...


class DiskUsage(Protocol):
    """What `shutil.disk_usage` returns, as far as the watch reads it."""

    @property
    def total(self) -> int: ...

    @property
    def free(self) -> int: ...


def thresholds(cfg: DiskConfig, total: int) -> tuple[float, float]:
    """(warn_below, critical_below) in free bytes for a volume of `total` bytes."""
    warn = max(total * cfg.warn_percent / 100, min(cfg.warn_free, total * WARN_CAP))
    critical = max(total * cfg.critical_percent / 100, min(cfg.critical_free, total * CRITICAL_CAP))
    return warn, min(critical, warn)


def classify(free: int, total: int, previous: Level, cfg: DiskConfig) -> Level:
    """The level for `free` bytes, given the level before (hysteresis)."""
    warn, critical = thresholds(cfg, total)
    up = 1 + HYSTERESIS
    if free < critical or (previous is Level.CRITICAL and free < critical * up):
        return Level.CRITICAL
    if free < warn or (previous is not Level.OK and free < warn * up):
        return Level.WARN
    return Level.OK


@dataclass(frozen=True)
class Crossing:
    """A volume changed level. `path` is its mount point."""

    path: str
    old: Level
    new: Level
    free: int
    total: int


@dataclass
class _Volume:
    mount: str
    watched: list[Path]
    level: Level = Level.OK
    free: int | None = None
    total: int | None = None


def mount_point(path: Path) -> Path:
    """The mount point holding `path`; a path that does not exist yet counts as its parent's."""
    path = Path(os.path.abspath(path))
    while not path.exists() and path != path.parent:
        path = path.parent
    try:
        dev = path.stat().st_dev
        while path != path.parent and path.parent.stat().st_dev == dev:
            path = path.parent
    except OSError:
        pass
    return path


class DiskWatch:
    """Watches the volumes holding `paths`.

    `check()` runs on whichever thread calls it (the diskwatch thread via `run`, or the lead's
    timer); listeners run there too and must be quick. `level`, `is_critical()` and `refusal()`
    may be read from any thread.
    """

    def __init__(self, cfg: DiskConfig, paths: Iterable[Path], *, journal: _Recorder | None = None,
                 usage: Callable[[str], DiskUsage] = shutil.disk_usage) -> None:
        self.cfg = cfg
        self._journal = journal
        self._usage = usage
        self._lock = threading.Lock()
        self._listeners: list[Callable[[Crossing], None]] = []
        self._volumes = self._group(paths)

    @staticmethod
    def _group(paths: Iterable[Path]) -> dict[str, _Volume]:
        volumes: dict[str, _Volume] = {}
        for path in paths:
            mount = str(mount_point(path))
            volumes.setdefault(mount, _Volume(mount, [])).watched.append(Path(path))
        return volumes

    def add_listener(self, callback: Callable[[Crossing], None]) -> Callable[[], None]:
        """Call `callback(crossing)` on every level change (e.g. pause log writes at critical)."""
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback) if callback in self._listeners else None

    # -- reading ----------------------------------------------------------------------------

    @property
    def level(self) -> Level:
        """The worst level over all watched volumes (for the tray)."""
        with self._lock:
            return max((v.level for v in self._volumes.values()), key=_RANK.__getitem__, default=Level.OK)

    def level_of(self, path: Path) -> Level:
        """The level of the volume that holds `path` (OK if it is not watched)."""
        mount = str(mount_point(path))
        with self._lock:
            volume = self._volumes.get(mount)
            return volume.level if volume else Level.OK

    def is_critical(self, path: Path | None = None) -> bool:
        """True when the volume holding `path` (any watched volume if None) is critically full."""
        return (self.level if path is None else self.level_of(path)) is Level.CRITICAL

    def refusal(self, path: Path | None = None) -> str | None:
        """Why a backup to `path` must not start now, in plain words; None when it may."""
        if not self.is_critical(path):
            return None
        with self._lock:
            low = [v for v in self._volumes.values() if v.level is Level.CRITICAL]
        where = ", ".join(_("{path} ({size} free)").format(path=v.mount, size=format_size(v.free or 0)) for v in low)
        return _("the disk is almost full: {where}; free some space and try again").format(where=where)

    def snapshot(self) -> list[dict[str, Any]]:
        """Every volume: {path, level, free, total, watched} (for status and doctor)."""
        with self._lock:
            return [{"path": v.mount, "level": str(v.level), "free": v.free, "total": v.total,
                     "watched": [str(p) for p in v.watched]} for v in self._volumes.values()]

    # -- checking ---------------------------------------------------------------------------

    def check(self) -> Level:
        """Probe every volume once, record crossings, tell listeners. Returns the worst level."""
        for volume in list(self._volumes.values()):
            crossing = self._probe(volume)
            if crossing is not None:
                self._announce(crossing)
        return self.level

    def _probe(self, volume: _Volume) -> Crossing | None:
        try:
            usage = self._usage(volume.mount)
        except OSError as exc:
            log.debug("cannot read free space of %s: %s", volume.mount, exc)
            return None
        free, total = int(usage.free), int(usage.total)
        with self._lock:
            old = volume.level
            volume.free, volume.total = free, total
            volume.level = classify(free, total, old, self.cfg) if total > 0 else Level.OK
            new = volume.level
        return None if new is old else Crossing(volume.mount, old, new, free, total)

    def _announce(self, crossing: Crossing) -> None:
        with english():  # sizes as the log writes them, whatever the user's language
            free, total = format_size(crossing.free), format_size(crossing.total)
        log.warning("disk %s: %s free of %s on %s", crossing.new, free, total, crossing.path)
        if self._journal is not None:
            self._journal.record("disk", None, level=str(crossing.new), path=crossing.path,
                                 free=crossing.free, total=crossing.total)
        for callback in list(self._listeners):
            try:
                callback(crossing)
            except Exception:
                log.exception("disk listener %r failed", callback)

    def next_interval(self) -> float:
        """Seconds until the next check: sooner while a volume is low."""
        return self.cfg.interval if self.level is Level.OK else min(self.cfg.interval, FAST_INTERVAL)

    def run(self, stop: threading.Event) -> None:
        """Thread body: check, then wait for the next check or `stop`."""
        while not stop.is_set():
            try:
                self.check()
            except Exception:
                log.exception("disk check failed")
            stop.wait(self.next_interval())


def app_paths(config: "Config", paths: "AppPaths") -> list[Path]:
    """The folders whose volumes matter: logs, backups, state (journal), every program's data."""
    data = [d for program in config.programs.values() for d in program.data_dirs]
    return [paths.log_dir, config.backup.dest or paths.backup_dir, paths.state_dir, *data]
