"""Backups that did not finish: said in the journal, and their leftovers removed.

An exception, Ctrl-C, SIGTERM or SIGHUP is seen at once: `write_archive` removes its temp file and
work folder on the way out, and `run_backup` journals the interruption. A kill (SIGKILL, a power
cut) runs no code, so its temp file and work folder stay; the next backup, or the next start of
trayapp, finds them under the destination lock (so no live backup owns them), journals which
backup was interrupted and removes them.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from types import FrameType

from trayapp.backup import archive, catalog
from trayapp.journal import Journal
from trayapp.i18n import N_
from trayapp.message import Message

FIX = Message(N_("nothing to repair; make a new backup from the tray or with `trayapp backup create`"))


class Interrupted(KeyboardInterrupt):
    """SIGTERM or SIGHUP during a backup. A KeyboardInterrupt, so whoever handles Ctrl-C handles it."""

    def __init__(self, signame: str) -> None:
        super().__init__(signame)
        self.signame = signame


def _stop_signals() -> tuple[signal.Signals, ...]:
    if sys.platform == "win32":
        return (signal.SIGTERM,)
    return (signal.SIGTERM, signal.SIGHUP)


@contextlib.contextmanager
def signals_interrupt() -> Iterator[None]:
    """While the body runs on the main thread, SIGTERM and SIGHUP raise Interrupted instead of
    ending the process on the spot, so the unfinished archive is removed and the stop journalled.
    Handlers someone else installed are left alone; other threads cannot take signals."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.getsignal(s) for s in _stop_signals()}
    for signum, handler in previous.items():
        if handler is signal.SIG_DFL:
            signal.signal(signum, _raise)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            if handler is signal.SIG_DFL:
                signal.signal(signum, handler)


def _raise(signum: int, frame: FrameType | None) -> None:
    raise Interrupted(signal.Signals(signum).name)


def describe(exc: BaseException) -> Message:
    """Why a backup stopped early, for the journal and the notification."""
    if isinstance(exc, Interrupted):
        return Message(N_("the backup was interrupted because trayapp was told to stop ({signal}); nothing "
                          "unfinished was kept and earlier backups are untouched"), signal=exc.signame)
    if isinstance(exc, KeyboardInterrupt):
        return Message(N_("the backup was interrupted because it was cancelled with Ctrl-C; nothing unfinished "
                          "was kept and earlier backups are untouched"))
    if isinstance(exc, SystemExit):
        return Message(N_("the backup was interrupted because trayapp was quitting; nothing unfinished was kept "
                          "and earlier backups are untouched"))
    return Message(N_("the backup was interrupted because of an unexpected error ({error}); nothing unfinished "
                      "was kept and earlier backups are untouched"), error=type(exc).__name__)


def sweep(folder: Path, journal: Journal | None, wall: Callable[[], float]) -> list[Message]:
    """Remove what killed backups left in `folder` and journal one entry for each such backup.

    Call it only while holding the destination lock. Returns the sentences it journalled."""
    killed: list[tuple[float, Message]] = []
    for leftover in list(archive.leftovers(folder)):
        if leftover.name.endswith(archive.TEMP_SUFFIX):
            started = _started(leftover, wall)
            killed.append((started, _killed_sentence(leftover, started)))
        _remove(leftover)
    for started, sentence in killed:  # after the removal, which the sentence reports
        if journal is not None:
            journal.record("backup", ok=False, started_at=started, error=str(sentence), fix=str(FIX),
                           interrupted=True, message=f"backup failed: {sentence}",
                           error_message=sentence.to_json(), fix_message=FIX.to_json())
    return [sentence for _, sentence in killed]


def _started(temp: Path, wall: Callable[[], float]) -> float:
    """When the killed backup began: from the archive name inside the temp name, else the file's times."""
    name = temp.name.removeprefix(archive.TEMP_PREFIX).rpartition("-")[0]
    created = catalog.created_from_name(name)
    if created is not None:
        return created
    with contextlib.suppress(OSError):
        return temp.stat().st_mtime
    return wall()


def _killed_sentence(temp: Path, started: float) -> Message:
    when = datetime.fromtimestamp(started).strftime("%Y-%m-%d %H:%M")
    return Message(N_("the backup started {when} never finished: trayapp was stopped or killed, or the computer "
                      "shut down, while it ran; its unfinished archive was removed and earlier backups are "
                      "untouched"), when=when)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()
