"""Restoring an archive without surprises.

    prepare:  verify the archive; decide where each source goes (this machine's configured paths,
              or DIR/<label> with --to); nothing is changed yet.
    execute:  stop the assistant through the running trayapp (if it runs it), extract into
              staging folders beside each target, move the current data aside to
              `<name>.before-restore-<time>` (never deleted), rename the staging folders into
              place, start the assistant again and wait until it is healthy.
              Any failure moves the old data back (the restored copy is kept as
              `<name>.failed-restore-<time>`) and says what happened.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from trayapp.backup import catalog, extract, space
from trayapp.backup import instance as inst
from trayapp.backup.manifest import Manifest
from trayapp.backup.progress import ProgressFn
from trayapp.backup.sources import label_for, preset_config_file
from trayapp.backup.verify import VerifyReport, verify_archive
from trayapp.config import Config
from trayapp.errors import BackupError, TrayAppError
from trayapp.paths import AppPaths
from trayapp.i18n import N_, _, ngettext
from trayapp.message import Message


@dataclass(frozen=True)
class Target:
    label: str
    kind: str  # "dir" | "file"
    original: str  # where it was on the machine that made the backup
    dest: Path  # where it goes now


@dataclass
class RestorePlan:
    archive: Path
    manifest: Manifest
    targets: list[Target]
    program: str | None  # the assistant to stop and start again; None with --to
    report: VerifyReport
    stop_timeout: float = 30.0
    health_timeout: float = 90.0

    def describe(self) -> list[str]:
        """Plain lines for --dry-run and the confirmation prompt."""
        m = self.manifest
        lines = [_("archive {archive}: made {when} on {host} by trayapp {version}, verified OK ({files}, "
                   "{databases})").format(
            archive=self.archive.name, when=f"{datetime.fromtimestamp(m.created):%Y-%m-%d %H:%M}",
            host=m.hostname or "?", version=m.trayapp_version,
            files=ngettext("{n} file", "{n} files", self.report.files).format(n=self.report.files),
            databases=ngettext("{n} database", "{n} databases", self.report.databases).format(
                n=self.report.databases))]
        for t in self.targets:
            said = (_("restore {label} -> {path} (the current one is moved aside, not deleted)") if _exists(t.dest)
                    else _("restore {label} -> {path}"))
            lines.append(said.format(label=t.label, path=t.dest))
        if self.program:
            lines.append(_("the assistant ({program}) is stopped first if trayapp runs it, then started again and "
                           "checked").format(program=self.program))
        return lines


@dataclass
class RestoreResult:
    ok: bool = False
    restored: list[str] = field(default_factory=list)
    moved_aside: dict[str, str] = field(default_factory=dict)  # target -> aside folder
    notes: list[Message | str] = field(default_factory=list)  # Messages: English in JSON, translated when shown
    error: Message | str | None = None
    stopped: bool = False
    healthy: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "restored": self.restored, "moved_aside": self.moved_aside,
                "notes": [str(n) for n in self.notes], "error": None if self.error is None else str(self.error),
                "stopped": self.stopped, "healthy": self.healthy}


@dataclass(frozen=True)
class TargetPreview:
    """One thing a restore would replace, for the dashboard's dry run."""

    label: str
    kind: str  # "dir" | "file"
    dest: Path
    exists: bool  # the current one would be moved aside
    size: int  # bytes on disk once restored
    files: int
    databases: int


@dataclass(frozen=True)
class RestorePreview:
    """What a restore of `archive` would do, as data; nothing is changed to make it."""

    plan: RestorePlan
    targets: tuple[TargetPreview, ...]
    rooms: tuple[space.Room, ...]

    @property
    def fits(self) -> bool:
        return all(room.fits for room in self.rooms)


def preview(archive: Path, config: Config, paths: AppPaths, to: Path | None = None,
            progress: ProgressFn | None = None, free: space.FreeBytes | None = None) -> RestorePreview:
    """Verify `archive` and say what a restore would replace and whether it fits. Raises
    BackupError when the archive is bad or holds data this machine has no place for."""
    report = _verified(archive, progress)
    assert report.manifest is not None  # _verified raised otherwise
    manifest = report.manifest
    targets = [_target(s, config, paths, to) for s in manifest.sources]
    plan = _plan(archive, report, targets, config, to)
    shown = tuple(_preview_target(manifest, t) for t in targets)
    return RestorePreview(plan, shown, tuple(space.rooms(manifest, [space.Need(t.label, t.dest) for t in targets],
                                                         free)))


def _preview_target(manifest: Manifest, t: Target) -> TargetPreview:
    mine = [r for r in manifest.files if r.type == "file" and (r.path == t.label or r.path.startswith(t.label + "/"))]
    return TargetPreview(t.label, t.kind, t.dest, _exists(t.dest), space.expanded_size(manifest, t.label),
                         len(mine), sum(1 for r in mine if r.sqlite))


def _verified(archive: Path, progress: ProgressFn | None) -> VerifyReport:
    """The verification report of a good archive (remembered beside it); BackupError for a bad one."""
    report = verify_archive(archive, progress)
    with contextlib.suppress(OSError):  # remember the result for `backup list` and prune
        catalog.mark_verified(archive, report.ok, report.problems, time.time())
    if not report.ok or report.manifest is None:
        raise BackupError(Message(N_("{archive} failed verification, nothing was restored: {problems}"),
                                  archive=archive.name, problems=report.summary(5)),
                          fix=Message(N_("restore an older backup (`trayapp backup list`)")))
    return report


def prepare(archive: Path, config: Config, paths: AppPaths, to: Path | None = None,
            progress: ProgressFn | None = None, free: space.FreeBytes | None = None) -> RestorePlan:
    """Verify `archive`, plan where everything goes and check that it fits (`free`: bytes free in
    a folder, for tests). Raises BackupError; changes nothing."""
    report = _verified(archive, progress)
    assert report.manifest is not None  # _verified raised otherwise
    manifest = report.manifest
    targets = [_target(s, config, paths, to) for s in manifest.sources]
    space.check_room(manifest, [space.Need(t.label, t.dest) for t in targets], free)
    return _plan(archive, report, targets, config, to)


def _plan(archive: Path, report: VerifyReport, targets: list[Target], config: Config, to: Path | None) -> RestorePlan:
    assert report.manifest is not None
    program = None if to is not None else config.assistant.name
    assistant = config.assistant
    grace = (assistant.health.start_grace if assistant.health else 0.0) + assistant.startsecs
    return RestorePlan(archive, report.manifest, targets, program, report,
                       stop_timeout=assistant.stop_timeout + 15.0, health_timeout=grace + 30.0)


def _target(source: Mapping[str, str], config: Config, paths: AppPaths, to: Path | None) -> Target:
    label, kind, original = source["label"], source["kind"], source["path"]
    if to is not None:
        dest = to / label / Path(original).name if kind == "file" else to / label
        return Target(label, kind, original, Path(os.path.abspath(dest)))
    configured = _configured(config, paths)
    for path in configured:
        if str(path) == original:
            return Target(label, kind, original, path)
    for path in configured:  # another machine or user: match by the folder's name
        if _label_of(path, kind) == label:
            return Target(label, kind, original, path)
    raise BackupError(Message(N_("the archive holds {path}, which is not one of this machine's backup sources"),
                              path=original),
                      fix=Message(N_("extract it elsewhere with --to DIR and copy what you need from DIR/{label}"),
                                  label=label))


def _configured(config: Config, paths: AppPaths) -> list[Path]:
    a = config.assistant
    wanted = [paths.config_file, *a.data_dirs, *config.backup.paths]
    extra_config = preset_config_file(a)
    if extra_config is not None:
        wanted.append(extra_config)
    if config.backup.include_logs:
        wanted.append(paths.log_dir)
    return [Path(os.path.abspath(os.path.expanduser(p))) for p in wanted]


def _label_of(path: Path, kind: str) -> str:
    return label_for(path, kind, set())


def _exists(path: Path) -> bool:
    return os.path.lexists(path)


class _Restore:
    """One restore run; remembers what it changed so it can undo it. Runs on the caller's thread."""

    def __init__(self, plan: RestorePlan, instance: inst.Instance, wall: float,
                 clock: Callable[[], float], sleep: Callable[[float], None]) -> None:
        self.plan, self.instance, self.clock, self.sleep = plan, instance, clock, sleep
        self.stamp = datetime.fromtimestamp(wall).strftime("%Y%m%d-%H%M%S")
        self.result = RestoreResult()
        self.staging: dict[str, Path] = {}
        self.swapped: list[tuple[Target, Path | None]] = []  # (target, aside or None)

    def run(self) -> RestoreResult:
        try:
            self._stop()
            self._stage()
            self._swap()
            self._start()
            self.result.ok = True
        except (Exception, KeyboardInterrupt) as exc:
            self.result.error = exc.said if isinstance(exc, TrayAppError) else f"{type(exc).__name__}: {exc}"
            self._rollback()
            if isinstance(exc, KeyboardInterrupt):
                raise
        finally:
            for folder in self.staging.values():
                shutil.rmtree(folder, ignore_errors=True)
        return self.result

    def _stop(self) -> None:
        program = self.plan.program
        if program is None:
            return
        status = self.instance.status(program)
        if status is None:
            self.result.notes.append(Message(N_("trayapp is not running, so nothing was stopped; make sure the "
                                                "assistant is not running on its own while its data is replaced")))
            return
        if status.get("state") in inst.DOWN_STATES:
            return
        if status.get("mode") not in inst.CONTROLLABLE:
            raise BackupError(Message(N_("{program} is running outside trayapp ({owner}), so trayapp cannot stop it"),
                                      program=program, owner=str(status.get("owner") or status.get("mode"))),
                              fix=Message(N_("stop it yourself, then run the restore again")))
        self.instance.stop(program)
        self.result.stopped = True
        verdict = inst.wait_for(self.instance, program, inst.stopped, self.plan.stop_timeout,
                                clock=self.clock, sleep=self.sleep)
        if verdict != "ok":
            raise BackupError(Message(N_("{program} did not stop: {reason}"), program=program, reason=verdict),
                              fix=Message(N_("stop it from the tray, then try again")))

    def _stage(self) -> None:
        for t in self.plan.targets:
            self.staging[t.label] = extract.make_staging(t.dest, t.label)
        extract.extract_to_staging(self.plan.archive, self.staging, space.total_size(self.plan.manifest))
        extract.apply_modes(self.plan.manifest, self.staging)
        for t in self.plan.targets:
            if not _exists(self._staged(t)):
                raise BackupError(Message(N_("the archive has no data for {label}"), label=t.label),
                                  fix=Message(N_("restore another backup")))

    def _staged(self, t: Target) -> Path:
        return self.staging[t.label] / t.label / (Path(t.original).name if t.kind == "file" else "")

    def _swap(self) -> None:
        for t in self.plan.targets:
            aside = None
            if _exists(t.dest):
                aside = _free_name(t.dest, f"before-restore-{self.stamp}")
                os.rename(t.dest, aside)
                self.result.moved_aside[str(t.dest)] = str(aside)
            self.swapped.append((t, aside))
            os.rename(self._staged(t), t.dest)
            self.result.restored.append(str(t.dest))

    def _start(self) -> None:
        if not self.result.stopped or self.plan.program is None:
            return
        self.instance.start(self.plan.program)
        verdict = inst.wait_for(self.instance, self.plan.program, inst.Healthy(), self.plan.health_timeout,
                                clock=self.clock, sleep=self.sleep)
        self.result.healthy = verdict == "ok"
        if verdict != "ok":
            raise BackupError(Message(N_("after the restore, {program} did not come up healthy: {reason}"),
                                      program=self.plan.program, reason=verdict))

    def _rollback(self) -> None:
        program = self.plan.program
        if self.swapped and self.result.stopped and program is not None:
            self._quietly(lambda: self.instance.stop(program), Message(N_("could not stop it again: {error}")))
            self._quietly(lambda: inst.wait_for(self.instance, program, inst.stopped, self.plan.stop_timeout,
                                                clock=self.clock, sleep=self.sleep),
                          Message(N_("could not wait for it to stop: {error}")))
        for t, aside in reversed(self.swapped):
            self._quietly(functools.partial(self._unswap, t, aside),
                          Message(N_("could not put {path} back: {error}"), path=str(t.dest)))
        self.result.restored.clear()
        if self.result.stopped and program is not None:
            self._quietly(lambda: self.instance.start(program), Message(N_("could not start it again: {error}")))
        if self.swapped:
            self.result.notes.append(Message(N_("the old data was put back where it was")))

    def _unswap(self, t: Target, aside: Path | None) -> None:
        if _exists(t.dest):
            failed = _free_name(t.dest, f"failed-restore-{self.stamp}")
            os.rename(t.dest, failed)
            self.result.notes.append(Message(N_("the restored copy that failed is kept in {path}"), path=str(failed)))
        if aside is not None:
            os.rename(aside, t.dest)
            self.result.moved_aside.pop(str(t.dest), None)

    def _quietly(self, action: Callable[[], object], failed: Message) -> None:
        """`failed` says what could not be done; its {error} is filled with the exception's text."""
        try:
            action()
        except Exception as exc:  # keep undoing the rest; tell the user exactly what is left
            self.result.notes.append(Message(failed.message, **failed.values, error=str(exc)))


def _free_name(path: Path, tag: str) -> Path:
    candidate = path.with_name(f"{path.name}.{tag}")
    n = 2
    while _exists(candidate):
        candidate = path.with_name(f"{path.name}.{tag}-{n}")
        n += 1
    return candidate


def execute(plan: RestorePlan, instance: inst.Instance, *, wall: float | None = None,
            clock: Callable[[], float] = time.monotonic,
            sleep: Callable[[float], None] = time.sleep) -> RestoreResult:
    """Carry out `plan`. Never raises for expected failures (see RestoreResult.error)."""
    return _Restore(plan, instance, time.time() if wall is None else wall, clock, sleep).run()
