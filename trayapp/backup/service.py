"""Entry points for the running instance and the CLI: back up, verify, prune, journal them.

`run_backup` is what "Back up now" and the schedule call. It runs on the caller's thread (the
running instance gives it a worker thread), takes seconds to minutes, and never raises for an
expected failure: it returns a BackupResult with `ok` and a plain-word `error`, and records a
`backup` entry in the journal, which the notifier turns into a notification.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from trayapp.backup import archive, catalog, interrupted, prune, sources
from trayapp.backup.history import last_runs  # noqa: F401  (part of this module's API)
from trayapp.backup.catalog import destination
from trayapp.backup.lock import destination_lock
from trayapp.backup.progress import ProgressFn
from trayapp.backup.sqlite_copy import DatabaseLocked
from trayapp.backup.verify import VerifyReport, verify_archive
from trayapp.config import Config
from trayapp.errors import BackupError
from trayapp.i18n import N_
from trayapp.journal import Journal
from trayapp.paths import AppPaths, cause_said, private_dir
from trayapp.message import Message, Size

log = logging.getLogger(__name__)
# Room kept free beyond the estimate, for the manifest and the filesystem's own needs.
SPACE_MARGIN = 1_000_000


@dataclass(frozen=True)
class BackupResult:
    ok: bool
    path: Path | None = None
    size: int = 0
    # Messages where trayapp made the sentence: English in the journal, translated when shown.
    error: Message | str | None = None
    fix: Message | str | None = None
    duration: float = 0.0
    files: int = 0
    databases: int = 0
    verified: bool | None = None
    notes: tuple[Message | str, ...] = ()

    def journal_fields(self) -> dict[str, Any]:
        """The English fields scripts read, and beside error/fix/notes the Messages they came from."""
        return {"ok": self.ok, "path": str(self.path) if self.path else None, "size": self.size,
                "error": _english(self.error), "duration": round(self.duration, 3), "files": self.files,
                "databases": self.databases, "verified": self.verified, "fix": _english(self.fix),
                "notes": [str(n) for n in self.notes], **said("error", self.error), **said("fix", self.fix),
                **({"notes_message": [_json(n) for n in self.notes]} if any(
                    isinstance(n, Message) for n in self.notes) else {})}


def _english(text: Message | str | None) -> str | None:
    return None if text is None else str(text)


def _json(text: Message | str) -> object:
    return text.to_json() if isinstance(text, Message) else text


def said(field: str, text: Message | str | None) -> dict[str, Any]:
    """`field_message`: a Message beside its English `field` in a journal entry (none for plain text)."""
    return {f"{field}_message": text.to_json()} if isinstance(text, Message) else {}


def run_backup(config: Config, paths: AppPaths, journal: Journal | None = None, *, dest: Path | None = None,
               progress: ProgressFn | None = None, disk_ok: Callable[[], bool] | None = None,
               verify: bool | None = None, wall: Callable[[], float] = time.time,
               clock: Callable[[], float] = time.monotonic) -> BackupResult:
    """Make one backup. Blocking; call it from a worker thread. Never raises for expected failures.

    `disk_ok` is the disk watcher's verdict (False: critically full, refuse). `verify` defaults
    to `[backup] verify`. Ctrl-C, SIGTERM and SIGHUP (on the main thread) are journalled as an
    interrupted backup and then passed on.
    """
    started, started_wall = clock(), wall()
    job = _Job(config, paths, journal, destination(config, paths, dest), wall)
    try:
        with interrupted.signals_interrupt():
            result = job.attempt(progress, disk_ok, config.backup.verify if verify is None else verify,
                                 started_wall)
    except BaseException as exc:  # only interruptions get here: say so, then let them go on
        _record(journal, started_wall, BackupResult(False, error=interrupted.describe(exc), fix=interrupted.FIX,
                                                    duration=clock() - started))
        raise
    result = replace(result, duration=clock() - started)
    _record(journal, started_wall, result)
    return result


def _record(journal: Journal | None, started_wall: float, result: BackupResult) -> None:
    if journal is not None:
        journal.record("backup", started_at=started_wall, **result.journal_fields())


class _Job:
    """One backup into one folder; turns expected failures into a BackupResult."""

    def __init__(self, config: Config, paths: AppPaths, journal: Journal | None, folder: Path,
                 wall: Callable[[], float]) -> None:
        self.config, self.paths, self.journal, self.folder, self.wall = config, paths, journal, folder, wall

    def attempt(self, progress: ProgressFn | None, disk_ok: Callable[[], bool] | None, verify: bool,
                started_wall: float) -> BackupResult:
        try:
            return self._create(progress, disk_ok, verify, started_wall)
        except BackupError as exc:
            return BackupResult(False, error=exc.said, fix=exc.fix_said)
        except DatabaseLocked as exc:
            return BackupResult(False, error=Message(N_("{problem}, so no backup was made"), problem=exc.said),
                                fix=_locked_fix(exc))
        except archive.DatabaseCopyError as exc:
            return BackupResult(False, error=exc.said, fix=Message(
                N_("check it with `sqlite3 {path} 'PRAGMA integrity_check'`, or add it to [backup] exclude"),
                path=str(exc.path)))
        except OSError as exc:
            return BackupResult(False, error=_disk_message(exc, self.folder), fix=_disk_fix(exc))
        except Exception as exc:  # a bug must not kill the caller's thread; it is logged with its traceback
            log.exception("backup failed")
            return BackupResult(False, error=Message(N_("the backup failed unexpectedly: {error}"), error=str(exc)))

    def _create(self, progress: ProgressFn | None, disk_ok: Callable[[], bool] | None, verify: bool,
                started_wall: float) -> BackupResult:
        if disk_ok is not None and not disk_ok():
            raise BackupError(Message(N_("the disk is critically full, so no backup was started")),
                              fix=Message(N_("free some space, or set [backup] dest to another drive")))
        config, folder = self.config, self.folder
        private_dir(folder)
        with destination_lock(folder):
            interrupted.sweep(folder, self.journal, self.wall)
            plan, notes = make_plan(config, self.paths, folder)
            check_room(plan, folder)
            written = archive.write_archive(plan, catalog.new_archive_path(folder, started_wall),
                                            preset=config.assistant.preset, program=config.assistant.name,
                                            progress=progress, created=started_wall, locked=lock_policy(config))
            verified, error = _verify_new(written.path) if verify else (None, None)
        return _result(written, verified, error, [*notes, *plan.skipped, *written.warnings])


def _result(written: archive.Written, verified: bool | None, error: Message | None,
            notes: list[Message | str]) -> BackupResult:
    files = written.manifest.files
    return BackupResult(error is None, written.path, written.size, error=error,
                        files=sum(r.type == "file" for r in files), databases=sum(r.sqlite for r in files),
                        verified=verified,
                        notes=tuple(notes),
                        fix=Message(N_("run `trayapp backup verify` on it to see the details")) if error else None)


def lock_policy(config: Config) -> archive.LockPolicy:
    return archive.LockPolicy(timeout=config.backup.lock_timeout, skip=config.backup.locked == "skip")


def _locked_fix(exc: DatabaseLocked) -> Message:
    meanwhile = N_('to back up everything else meanwhile, set [backup] locked = "skip" (or a longer lock_timeout)')
    if exc.holders:
        return Message(N_("let {holder} finish (or stop it) and back up again; {meanwhile}"), holder=exc.holders[0],
                       meanwhile=Message(meanwhile))
    return Message(N_("let that program finish (or stop it) and back up again; {meanwhile}"),
                   meanwhile=Message(meanwhile))


def make_plan(config: Config, paths: AppPaths, folder: Path) -> tuple[sources.Plan, list[Message | str]]:
    """What a backup into `folder` would hold, and notes about sources that are missing."""
    found, notes = sources.sources_for(config, paths)
    if not found:
        raise BackupError(Message(N_("there is nothing to back up: none of the configured folders exist")),
                          fix=Message(N_("check [backup] paths and the assistant's data_dirs in config.toml")))
    exclude = (*config.backup.exclude, *config.assistant.info.backup_exclude)
    filters = sources.Filters.build(exclude, config.backup.include, config.backup.include_logs)
    plan = sources.build_plan(found, filters, skip=[folder], sqlite_names=config.assistant.info.sqlite_files)
    return plan, notes


def check_room(plan: sources.Plan, folder: Path) -> None:
    """Refuse before writing anything when the archive (and the database copies) may not fit.

    The estimate is the uncompressed size plus the temporary database copies: compression
    usually does better, but a backup that dies at 95% helps nobody.
    """
    need = plan.total_bytes + sum(i.size for i in plan.databases) + SPACE_MARGIN
    free = shutil.disk_usage(folder).free
    if free < need:
        raise BackupError(Message(N_("not enough room in {folder}: the backup needs up to {need} and {free} is free"),
                                  folder=str(folder), need=Size(need), free=Size(free)), fix=Message(_BIGGER))


def _verify_new(path: Path) -> tuple[bool, Message | None]:
    report = verify(path)
    if report.ok:
        return True, None
    return False, Message(N_("the new backup {archive} failed verification: {problems}"), archive=path.name,
                          problems=report.summary(3))


_BIGGER = N_("free some space, or set [backup] dest to a bigger drive")


def _disk_message(exc: OSError, folder: Path) -> Message | str:
    """What went wrong, without "the backup failed" (every place that shows it says that already)."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return Message(N_("the disk holding {folder} filled up during the backup; the unfinished archive was "
                          "removed and earlier backups are untouched"), folder=str(folder))
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return Message(N_("cannot write to {folder}: {error}"), folder=str(folder), error=cause_said(exc))
    if exc.filename:
        return Message(N_("{error} ({path})"), error=cause_said(exc), path=str(exc.filename))
    return cause_said(exc)


def _disk_fix(exc: OSError) -> Message:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return Message(_BIGGER)
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return Message(N_("set [backup] dest to a folder you can write to, or fix its permissions"))
    return Message(N_("check the drive, then try again"))


def verify(path: Path, progress: ProgressFn | None = None, wall: Callable[[], float] = time.time) -> VerifyReport:
    """Verify an archive and remember the result beside it (when its folder is writable)."""
    report = verify_archive(path, progress)
    with contextlib.suppress(OSError):
        catalog.mark_verified(path, report.ok, report.problems, wall())
    return report


@dataclass
class PruneResult:
    deleted: list[catalog.BackupFile] = field(default_factory=list)
    kept: list[tuple[catalog.BackupFile, tuple[str, ...]]] = field(default_factory=list)
    dry_run: bool = False

    @property
    def freed(self) -> int:
        return sum(b.size for b in self.deleted)

    def to_dict(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run, "freed": self.freed, "deleted": [b.name for b in self.deleted],
                "kept": [{"name": b.name, "why": list(why)} for b, why in self.kept]}


def prune_backups(config: Config, paths: AppPaths, journal: Journal | None = None, *, dest: Path | None = None,
                  dry_run: bool = False) -> PruneResult:
    """Apply the retention policy in the destination. Raises BackupError when it is busy."""
    folder = destination(config, paths, dest)
    result = PruneResult(dry_run=dry_run)
    with destination_lock(folder) if folder.is_dir() else contextlib.nullcontext():
        backups = {b.name: b for b in catalog.list_backups(folder)}
        cfg = config.backup
        decisions = prune.select([prune.Candidate(b.name, b.created, b.verified is True, b.size)
                                  for b in backups.values()],
                                 keep_last=cfg.keep_last, keep_daily=cfg.keep_daily, keep_weekly=cfg.keep_weekly)
        for d in decisions:
            backup = backups[d.candidate.name]
            if d.keep:
                result.kept.append((backup, d.reasons))
            else:
                if not dry_run:
                    catalog.remove(backup.path)
                result.deleted.append(backup)
    if journal is not None and not dry_run:
        journal.record("prune", ok=True, deleted=[b.name for b in result.deleted], kept=len(result.kept),
                       freed=result.freed, dest=str(folder))
    return result


def record_restore(journal: Journal | None, archive_path: Path, result: Any, duration: float,
                   to: Path | None) -> None:
    """One `restore` journal entry for a finished (or rolled back) restore."""
    if journal is not None:
        journal.record("restore", ok=result.ok, archive=str(archive_path), to=str(to) if to else None,
                       error=_english(result.error), **said("error", result.error), moved_aside=result.moved_aside, restored=result.restored,
                       notes=[str(n) for n in result.notes], healthy=result.healthy, duration=round(duration, 3))

