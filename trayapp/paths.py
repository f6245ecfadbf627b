"""Where trayapp keeps its files: platformdirs locations, or all under TRAYAPP_HOME.

And the checks that keep them trayapp's own: a folder or file there is never reached through a
link, never another user's, and owner-only (folders 0700, files 0600)."""

from __future__ import annotations

import errno
import os
import stat
import sys
from pathlib import Path
from typing import NamedTuple

from trayapp.errors import TrayAppError
from trayapp.i18n import N_
from trayapp.message import Message

APP_NAME = "trayapp"
# Where the platform lacks O_NOFOLLOW (Windows), links are checked with lstat just before opening.
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation in what we write


class FolderError(TrayAppError, OSError):
    """A folder trayapp needs cannot be used: a link, another user's, a file in the way, read-only.

    Also an OSError (errno, and `strerror` holding just the cause in words), because callers that
    handled private_dir's OSErrors before (the backup, the control socket) must go on doing so."""

    def __init__(self, message: str, *, fix: str, code: int, why: Message | str) -> None:
        super().__init__(message, fix=fix)
        self.errno = code
        self.strerror = str(why)  # English, as the OSError it also is
        self.why = why  # the cause as a person reads it (cause_said)


class AppPaths(NamedTuple):
    """Every folder and well-known file trayapp uses. Build with `AppPaths.discover()`.

    A NamedTuple, not a dataclass: importing dataclasses (and the inspect module behind it) cost
    `trayapp status` a fifth of its time (issue 15)."""

    config_dir: Path
    state_dir: Path
    log_dir: Path
    data_dir: Path

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def backup_dir(self) -> Path:
        return self.data_dir / "backups"

    @property
    def pid_file(self) -> Path:
        return self.state_dir / "children.json"

    @property
    def lock_file(self) -> Path:
        return self.state_dir / "trayapp.lock"

    @property
    def journal_file(self) -> Path:
        return self.state_dir / "journal.jsonl"

    @property
    def control_socket(self) -> Path:
        return self.state_dir / "control.sock"

    @property
    def control_key(self) -> Path:
        return self.state_dir / "control.key"

    @property
    def trayapp_log(self) -> Path:
        return self.log_dir / "trayapp.log"

    def program_log(self, program: str) -> Path:
        return self.log_dir / f"{program}.log"

    @classmethod
    def discover(cls, environ: dict[str, str] | None = None) -> "AppPaths":
        """TRAYAPP_HOME=DIR puts everything under DIR; otherwise platformdirs' per-user folders."""
        env = os.environ if environ is None else environ
        home = env.get("TRAYAPP_HOME")
        if home:
            root = Path(home).expanduser().absolute()
            return cls(config_dir=root, state_dir=root / "state", log_dir=root / "logs", data_dir=root)
        import platformdirs

        dirs = platformdirs.PlatformDirs(APP_NAME, appauthor=False)
        return cls(
            config_dir=Path(dirs.user_config_dir),
            state_dir=Path(dirs.user_state_dir),
            log_dir=Path(dirs.user_log_dir),
            data_dir=Path(dirs.user_data_dir),
        )

    def ensure(self) -> FolderError | None:
        """Create the folders, owner-only (0700). Tightens an existing folder we own.

        Raises FolderError for the config, state and data folders: nothing runs safely without
        them. A refused log folder is returned instead: logs then stay in memory, and the caller
        says so (supervision matters more than the log files)."""
        for folder in (self.config_dir, self.state_dir, self.data_dir):
            private_dir(folder)
        try:
            private_dir(self.log_dir)
        except FolderError as exc:
            return exc
        return None


def private_dir(folder: Path) -> Path:
    """mkdir -p (0700 for what trayapp creates), then make sure the leaf is trayapp's to use: a real
    folder, not a link, owned by this user, 0700. Raises FolderError saying what is wrong and the fix.

    Parents may be links (a user's ~/.local on another disk is their choice); the leaf is trayapp's
    own, and following a planted link there would chmod and write wherever it points."""
    folder = Path(folder)
    _refuse_link(folder)
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise _unusable(folder, exc) from None
    _own_and_tighten(folder)
    return folder


def _refuse_link(folder: Path) -> None:
    if folder.is_symlink():
        why = f"it is a symbolic link (to {os.readlink(folder)}), which trayapp does not follow"
        raise FolderError(f"cannot use the folder {folder}: {why}", code=errno.ELOOP, why=why,
                          fix=f"remove the link and let trayapp create {folder.name} itself, or set "
                              "TRAYAPP_HOME to a real folder")


def _own_and_tighten(folder: Path) -> None:
    """chmod 0700 through a descriptor of the very folder we created or found: a link swapped in
    since mkdir fails to open (ELOOP) instead of being followed."""
    if sys.platform == "win32":  # no owners or modes to check there (and no O_DIRECTORY)
        return
    try:
        fd = os.open(folder, os.O_RDONLY | _DIRECTORY | _NOFOLLOW)
    except OSError as exc:
        raise _unusable(folder, exc) from None
    try:
        st = os.fstat(fd)
        if st.st_uid != os.getuid():
            why = f"it belongs to another user (uid {st.st_uid})"
            raise FolderError(f"cannot use the folder {folder}: {why}", code=errno.EPERM, why=why,
                              fix="set TRAYAPP_HOME to a folder of your own")
        if stat.S_IMODE(st.st_mode) & 0o077:
            os.fchmod(fd, 0o700)
    except OSError as exc:
        raise _unusable(folder, exc) from None
    finally:
        os.close(fd)


_CAUSES = {
    errno.EROFS: N_("it is on a read-only file system"),
    errno.EACCES: N_("permission denied"),
    errno.EPERM: N_("permission denied"),
    errno.ENOTDIR: N_("a file is in the way where a folder should be"),
    errno.EEXIST: N_("a file is in the way where a folder should be"),
    errno.ELOOP: N_("it is a symbolic link, which trayapp does not follow"),
    errno.ENOSPC: N_("the disk is full"),
}


class Refused(OSError):
    """open_private would not open a file (a link, not a regular file, another user's);
    `strerror` says why in words."""


def cause_said(exc: OSError) -> Message | str:
    """Why an operating-system call failed: our words for the common causes (a Message, so a person
    reads it in their language), else the system's own."""
    if isinstance(exc, FolderError):
        return exc.why
    if isinstance(exc, Refused) or exc.errno not in _CAUSES:
        return exc.strerror or str(exc)  # our own words, or the system's
    return Message(_CAUSES[exc.errno])


def cause(exc: OSError) -> str:
    """cause_said in English, for log lines ("it is on a read-only file system")."""
    return str(cause_said(exc))


def _unusable(folder: Path, exc: OSError) -> FolderError:
    if isinstance(exc, FolderError):
        return exc
    why = cause_said(exc)
    return FolderError(f"cannot use the folder {folder}: {why}", code=exc.errno or errno.EIO, why=why,
                       fix=f"make {folder} a folder you can write, or set TRAYAPP_HOME to one")


def open_private(path: Path, flags: int, mode: int = 0o600) -> int:
    """os.open for a file in trayapp's own folders: never through a link, owner-only.

    A file this user owns with looser bits is tightened to `mode`; a link, a non-regular file or
    another user's file is refused with an OSError whose strerror says so in words."""
    try:
        if not _NOFOLLOW and os.path.islink(path):
            raise OSError(errno.ELOOP, "a link", str(path))
        fd = os.open(path, flags | _NOFOLLOW | _CLOEXEC | _BINARY, mode)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise Refused(errno.ELOOP, "it is a symbolic link, which trayapp does not follow: remove it",
                          str(path)) from None
        raise
    try:
        _tighten_file(fd, path, mode)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _tighten_file(fd: int, path: Path, mode: int) -> None:
    if sys.platform == "win32":
        return
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        raise Refused(errno.EINVAL, "it is not a regular file: remove it", str(path))
    if st.st_uid != os.getuid():
        raise Refused(errno.EPERM, "it belongs to another user: remove it", str(path))
    if stat.S_IMODE(st.st_mode) & ~mode:
        os.fchmod(fd, mode)
