"""A size-rotated log file: <name>, then <name>.1.gz (newest) ... <name>.<keep>.gz, under a total cap.

Rotation itself is two renames and an open, done by the writer. Compression runs on a background
thread that exists only while there is work (supervisord refused in-process compression because it
"can potentially block supervisord for many seconds" - here nothing waits for it). Between the two
steps a rotated file is `<name>.pending-<ns>`: uncompressed, newer than every .gz file.
Files are 0600 in a 0700 folder.
"""

from __future__ import annotations

import logging
import os
import re
import stat
import sys
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable
from pathlib import Path

from trayapp.paths import FolderError, open_private, private_dir

log = logging.getLogger(__name__)

PENDING = ".pending-"
_PENDING_RX = re.compile(r"\.pending-(\d+)$")
_GZ_RX = re.compile(r"\.(\d+)\.gz$")
_BLOCK = 1 << 20
# Level 1: ~230 MB/s and 10x smaller on log text (level 6: ~75 MB/s, 12.7x). Level 1 keeps pace
# with the fastest flood a pump takes, so rotated files do not pile up waiting to be compressed.
GZIP_LEVEL = 1


def pending_files(path: Path) -> list[Path]:
    """Rotated but not yet compressed files of `path`, newest first."""
    found = [(int(m.group(1)), p) for p in path.parent.glob(path.name + PENDING + "*")
             if (m := _PENDING_RX.search(p.name)) and _regular(p)]
    return [p for _, p in sorted(found, reverse=True)]


def _pending_order(path: Path) -> int:
    """Rotation order of a pending file (its name carries a nanosecond clock)."""
    match = _PENDING_RX.search(path.name)
    return int(match.group(1)) if match else 0


def gz_files(path: Path) -> list[Path]:
    """<name>.1.gz, <name>.2.gz, ... that exist, newest (lowest number) first."""
    found = [(int(m.group(1)), p) for p in path.parent.glob(path.name + ".*.gz")
             if (m := _GZ_RX.search(p.name)) and p.name == f"{path.name}.{m.group(1)}.gz" and _regular(p)]
    return [p for _, p in sorted(found)]


class RotatingFile:
    """Appends bytes to `path`, rotating by size. write() is not locked: the caller serialises it."""

    def __init__(self, path: Path, *, max_size: int, keep: int, total_cap: int,
                 gzip_level: int = GZIP_LEVEL) -> None:
        self.path = Path(path)
        self.max_size = max(1, max_size)
        self.keep = max(0, keep)
        self.total_cap = total_cap
        self.gzip_level = gzip_level
        self._fd: int | None = None
        self._size = 0
        self._jobs: deque[Path] = deque()
        self._failed: list[Path] = []  # pending files whose compression failed; retried at the next rotation
        self._jobs_lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self._recovered = False
        try:
            self._check_folder()
        except OSError:
            pass  # a refused folder: the first write reports it, and every later write tries again

    # -- writer side (the caller's thread) -------------------------------------------------------

    def write(self, data: bytes) -> None:
        """Append whole lines, rotating first whenever the next piece would pass max_size.

        Raises OSError (e.g. ENOSPC) with nothing half-done beyond what the OS wrote.
        """
        while data:
            room = self.max_size - self._current_size()
            if len(data) <= room:
                self._append(data)
                return
            cut = data.rfind(b"\n", 0, room) + 1 if room > 0 else 0
            if cut == 0 and self._size == 0:
                cut = data.find(b"\n") + 1 or len(data)  # one line longer than max_size: keep it whole
            if cut:
                self._append(data[:cut])
                data = data[cut:]
            self.rotate()

    def rotate(self) -> None:
        """Move the current file aside (instant) and queue it for compression."""
        self._close_fd()
        if _size(self.path) == 0:  # nothing written, or not our file (a link): nothing to move aside
            return
        pending = self.path.with_name(f"{self.path.name}{PENDING}{time.time_ns()}")
        os.replace(self.path, pending)
        self._size = 0
        self._submit(pending)

    def close(self) -> None:
        """Close the file and wait until every rotated file is compressed."""
        self.close_file()()

    def close_file(self) -> "Callable[[], None]":
        """Close the file now; return a function that waits for the compressor (call it unlocked)."""
        self._close_fd()
        with self._jobs_lock:
            worker = self._worker
        return worker.join if worker is not None else (lambda: None)

    def _current_size(self) -> int:
        if self._fd is None:
            self._open()
        return self._size

    def _append(self, data: bytes) -> None:
        fd = self._fd if self._fd is not None else self._open()
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            self._size += written
            view = view[written:]

    def _open(self) -> int:
        """Open for appending: never through a link, 0600, in a folder that passed private_dir."""
        self._check_folder()
        fd = self._fd = open_private(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        self._size = os.fstat(fd).st_size
        return fd

    def _check_folder(self) -> None:
        """The folder is trayapp's (a real 0700 folder of this user), else OSError saying why."""
        try:
            private_dir(self.path.parent)
        except FolderError as exc:
            raise OSError(exc.errno, f"{exc.message} ({exc.fix})", str(self.path.parent)) from None
        if not self._recovered:
            self._recovered = True
            self._recover()

    def _close_fd(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    # -- compression (background thread) ---------------------------------------------------------

    def _recover(self) -> None:
        """Compress what a previous run rotated but never compressed (it died first)."""
        for stale in self.path.parent.glob(f".{self.path.name}.*.tmp"):
            stale.unlink(missing_ok=True)
        for pending in reversed(pending_files(self.path)):
            self._submit(pending)

    def _submit(self, pending: Path) -> None:
        with self._jobs_lock:
            # Files whose compression failed earlier (a full disk) get another go, before this one.
            retry, self._failed = sorted(self._failed, key=_pending_order), []
            self._jobs.extend(p for p in retry if p.exists() and p not in self._jobs)
            self._jobs.append(pending)
            if self._worker is None:
                self._worker = threading.Thread(target=self._drain, name=f"gzip {self.path.name}", daemon=True)
                self._worker.start()

    def _drain(self) -> None:
        """Background thread: compress queued files oldest first, then exit. Never dies silently."""
        _lower_priority()
        try:
            while True:
                with self._jobs_lock:
                    if not self._jobs:
                        return
                    pending = self._jobs.popleft()
                try:
                    self._compress(pending)
                    self._enforce_cap()
                except Exception:
                    log.warning("could not compress %s; left uncompressed for now", pending, exc_info=True)
                    with self._jobs_lock:
                        self._failed.append(pending)
        finally:
            with self._jobs_lock:
                self._worker = None

    def _compress(self, pending: Path) -> None:
        """pending -> <name>.1.gz, after shifting .N.gz -> .N+1.gz and dropping those past `keep`.

        The new .gz is written completely first; only then are the old ones shifted, so a failure
        (a full disk) loses nothing: the pending file stays for a later try."""
        if self.keep == 0:
            pending.unlink(missing_ok=True)
            return
        staged = self.path.parent / f".{self.path.name}.compressing-{os.getpid()}.tmp"  # _recover tidies it
        try:
            with open(open_private(pending, os.O_RDONLY), "rb") as src, \
                    open(open_private(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), "wb") as dst:
                squeeze = zlib.compressobj(self.gzip_level, zlib.DEFLATED, 31)  # 31: gzip container
                while block := src.read(_BLOCK):
                    dst.write(squeeze.compress(block))
                dst.write(squeeze.flush())
                dst.flush()
                os.fsync(dst.fileno())
        except BaseException:
            staged.unlink(missing_ok=True)
            raise
        for old in reversed(gz_files(self.path)):
            n = _gz_number(old)
            if n >= self.keep:
                old.unlink(missing_ok=True)
            else:
                os.replace(old, self._gz(n + 1))
        os.replace(staged, self._gz(1))
        pending.unlink(missing_ok=True)

    def _gz(self, n: int) -> Path:
        return self.path.with_name(f"{self.path.name}.{n}.gz")

    def _enforce_cap(self) -> None:
        """Delete the oldest compressed files until all files of this log fit in total_cap.

        The live file counts as full (max_size): it keeps growing after this runs, and the cap
        must hold at every moment, not just now."""
        olds = gz_files(self.path)
        total = max(self.max_size, _size(self.path)) + sum(_size(p) for p in [*pending_files(self.path), *olds])
        while total > self.total_cap and olds:
            oldest = olds.pop()
            total -= _size(oldest)
            oldest.unlink(missing_ok=True)


def _gz_number(path: Path) -> int:
    match = _GZ_RX.search(path.name)
    return int(match.group(1)) if match else 0


def _regular(path: Path) -> bool:
    """A real file, not a link planted to make trayapp read or compress something else."""
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False


def _size(path: Path) -> int:
    """Size of a regular file at `path` (a link counts as nothing: it is never followed)."""
    try:
        st = path.lstat()
    except FileNotFoundError:
        return 0
    return st.st_size if stat.S_ISREG(st.st_mode) else 0


def _lower_priority() -> None:
    """Nice this thread only (Linux: a thread id is a valid PRIO_PROCESS target), so the pumps win."""
    if sys.platform != "linux":  # elsewhere a thread id may be some process's pid
        return
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    except OSError:
        pass
