"""Who may read trayapp's and the assistant's files: folders 0700, secret files 0600.

Only bits beyond the wanted mode count as a problem (0400 is fine for a file). `--fix` clears
those bits on files this user owns and says what it changed; symlinks are never followed.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from trayapp.i18n import N_, _
from trayapp.doctor.database import find_databases
from trayapp.doctor.inputs import Inputs
from trayapp.doctor.report import Check, Level, info, ok

GROUP = N_("permissions")
DIR, SECRET = 0o700, 0o600


@dataclass(frozen=True)
class Target:
    path: Path
    want: int
    what: str  # N_() words, "{name}" for the program: N_("{name}'s config (API keys)")
    name: str = ""  # the program's display name, for {name}

    @property
    def english(self) -> str:
        """The check's name: English, so its `id` stays the same in every language."""
        return self.what.format(name=self.name)

    @property
    def said(self) -> str:
        return _(self.what).format(name=self.name)


def checks(inp: Inputs) -> list[Check]:
    if sys.platform == "win32":
        return [info(GROUP, N_("permissions"), _("not checked on Windows (files are private to the user profile)"))]
    found = list(_unique(targets(inp)))
    bad = [c for c in (_check(t, inp.fix) for t in found) if c is not None]
    if bad:
        return bad
    return [ok(GROUP, N_("permissions"), _("{n} folders and files are private to you").format(n=len(found)) if found
               else _("nothing to check yet (no trayapp or assistant files exist)"))]


def _unique(items: Iterator[Target]) -> Iterator[Target]:
    seen: set[Path] = set()
    for t in items:
        if t.path not in seen and os.path.lexists(t.path) and not t.path.is_symlink():
            seen.add(t.path)
            yield t


def targets(inp: Inputs) -> Iterator[Target]:
    """Everything that should be private, folders first."""
    p = inp.paths
    program = inp.config.assistant
    for folder, what in ((p.config_dir, N_("trayapp's config folder")), (p.state_dir, N_("trayapp's state folder")),
                         (p.log_dir, N_("trayapp's log folder")), (p.data_dir, N_("trayapp's data folder")),
                         (_backup_dest(inp), N_("the backup folder"))):
        yield Target(folder, DIR, what)
    for folder in program.data_dirs:
        yield Target(folder, DIR, N_("{name}'s data folder"), program.display_name)
    yield from _trayapp_files(inp)
    if program.info.config_file:
        yield Target(inp.expand(program.info.config_file, program), SECRET, N_("{name}'s config (API keys)"),
                     program.display_name)
    yield from _databases(inp)
    yield from _backups(inp)


def _backup_dest(inp: Inputs) -> Path:
    from trayapp.backup.service import destination

    return destination(inp.config, inp.paths)


def _trayapp_files(inp: Inputs) -> Iterator[Target]:
    p = inp.paths
    for path, what in ((p.config_file, "config.toml"), (p.control_key, N_("the control channel's key")),
                       (p.control_socket, N_("the control socket")), (p.journal_file, N_("the journal")),
                       (p.pid_file, N_("the child pid file")), (p.state_dir / "dashboard.token", N_("the dashboard's key"))):
        yield Target(path, SECRET, what)
    if p.log_dir.is_dir():
        for log in sorted(p.log_dir.iterdir()):
            if log.is_file():
                yield Target(log, SECRET, N_("a log file"))


def _databases(inp: Inputs) -> Iterator[Target]:
    dirs = [d for d in inp.config.assistant.data_dirs if d.is_dir()]
    for db in find_databases(dirs):
        yield Target(db, SECRET, N_("a database"))
        for side in ("-wal", "-shm", "-journal"):
            yield Target(db.with_name(db.name + side), SECRET, N_("a database's journal"))


def _backups(inp: Inputs) -> Iterator[Target]:
    dest = _backup_dest(inp)
    if dest.is_dir():
        for entry in sorted(dest.iterdir()):
            if entry.is_file() and entry.name.startswith(("trayapp-backup-", ".trayapp-backup-")):
                yield Target(entry, SECRET, N_("a backup"))


def _fchmod_same(path: Path, seen: os.stat_result, mode: int) -> bool:
    """chmod the very file we looked at: never follow a symlink, never a file swapped in since."""
    if sys.platform == "win32":
        return False  # checks() stops before this on Windows; said here so mypy checks the rest for win32
    if stat.S_ISSOCK(seen.st_mode):  # a socket cannot be opened; lstat just said it is no symlink
        os.chmod(path, mode)
        return True
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK
    if stat.S_ISDIR(seen.st_mode):
        flags |= os.O_DIRECTORY
    try:
        fd = os.open(path, flags)
    except OSError:
        return False
    try:
        now = os.fstat(fd)
        if (now.st_dev, now.st_ino) != (seen.st_dev, seen.st_ino):
            return False
        os.fchmod(fd, mode)
        return True
    finally:
        os.close(fd)


def _check(t: Target, fix: bool) -> Check | None:
    try:
        st = t.path.lstat()
    except FileNotFoundError:
        return None  # gone since it was listed (an SQLite -journal, say): nothing to check
    mode = stat.S_IMODE(st.st_mode)
    extra = mode & ~t.want & 0o777
    if not extra:
        return None
    wanted = mode & t.want
    evidence = _("{path} ({what}) is {mode}; it should be {wanted} or tighter").format(
        path=t.path, what=t.said, mode=f"{mode:04o}", wanted=f"{t.want:04o}")
    if fix and _mine(st):
        if not _fchmod_same(t.path, st, wanted):
            return None  # it changed under us (gone, or replaced): leave it, look again next time
        return Check(GROUP, t.english, Level.OK, _("{path} was {mode}, now {wanted}").format(
                         path=t.path, mode=f"{mode:04o}", wanted=f"{wanted:04o}"),
                     changed=(_("chmod {wanted} {path} (was {mode})").format(
                         wanted=f"{wanted:04o}", path=t.path, mode=f"{mode:04o}"),), subject=str(t.path), title=t.said)
    level = Level.FAIL if mode & 0o002 else Level.WARN  # world-writable: anyone can change it
    how = f"chmod {wanted:04o} {t.path}" + ("" if _mine(st) else _(" (as its owner)"))
    autofix = (_("Sets {path} to mode {wanted}, so only you can use it.").format(path=t.path, wanted=f"{wanted:04o}")
               if _mine(st) else "")
    return Check(GROUP, t.english, level, evidence, _("run `trayapp doctor --fix`, or: {how}").format(how=how),
                 subject=str(t.path), autofix=autofix,
                 title=t.said)


def fix_one(inp: Inputs, subject: str) -> Check | None:
    """Apply what `--fix` would for the one target named `subject` (a path from a report, matched
    against the targets worked out again here, so nothing else can be named). Returns the check
    afterwards (OK with what changed), or None when `subject` is no longer a target or needs nothing."""
    target = next((t for t in _unique(targets(inp)) if str(t.path) == subject), None)
    if target is None or sys.platform == "win32":
        return None
    return _check(target, fix=True)


def _mine(st: os.stat_result) -> bool:
    if sys.platform == "win32":
        return False  # checks() stops before this on Windows
    return st.st_uid == os.getuid()
