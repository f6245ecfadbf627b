"""Writing a backup archive: tar members streamed through gzip, hashed on the way, then renamed.

The archive is written to a hidden temp file in the destination, fsynced, and only then renamed
to its final name: a backup that fails or is interrupted (full disk, crash, Ctrl-C) never leaves
a file that looks complete. Every file is read once: the sha256 for the manifest is computed
from the same bytes that go into the archive.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shutil
import stat
import tarfile
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO

from trayapp.atomic import fsync_dir
from trayapp.backup.catalog import TEMP_PREFIX, TEMP_SUFFIX, WORK_PREFIX, leftovers  # noqa: F401 (archive.X users)
from trayapp.backup.compress import CHUNK, DEFAULT_LEVEL, GzipPipe
from trayapp.backup.manifest import NAME as MANIFEST_NAME
from trayapp.backup.manifest import FileRecord, Manifest
from trayapp.backup.progress import ProgressFn, Reporter
from trayapp.backup.sources import Item, Plan
from trayapp.backup.sqlite_copy import LOCK_TIMEOUT, DatabaseCopier, DatabaseLocked
from trayapp.i18n import N_
from trayapp.message import Message



@dataclass
class Written:
    """What `write_archive` produced."""

    path: Path
    size: int
    manifest: Manifest
    warnings: list[Message | str] = field(default_factory=list)


class DatabaseCopyError(Exception):
    """A database could not be copied with the online backup API."""

    def __init__(self, path: Path, cause: BaseException) -> None:
        self.said = Message(N_("could not copy the database {path}: {error}"), path=str(path), error=str(cause))
        super().__init__(str(self.said))
        self.path = path


@dataclass(frozen=True)
class LockPolicy:
    """What to do with a database another program keeps locked ([backup] locked, lock_timeout)."""

    timeout: float = LOCK_TIMEOUT
    skip: bool = False  # True: leave it out with a warning; False: fail the backup


def write_archive(plan: Plan, final: Path, *, preset: str = "custom", program: str = "",
                  level: int = DEFAULT_LEVEL, progress: ProgressFn | None = None,
                  created: float | None = None, locked: LockPolicy = LockPolicy()) -> Written:
    """Write `plan` to the archive `final` (which must not exist). Runs on the caller's thread.

    Raises OSError (a full disk...), DatabaseCopyError, DatabaseLocked; on any failure (an
    exception or KeyboardInterrupt) nothing is left behind. Only a kill leaves the temp file and
    work folder, named after `final` so the next run can say which backup it was.
    """
    fd, tmp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{final.name}-", suffix=TEMP_SUFFIX, dir=final.parent)
    os.chmod(tmp, 0o600)  # mkstemp's mode already; said here because the archive holds secrets
    workdir = Path(tempfile.mkdtemp(prefix=WORK_PREFIX, dir=final.parent))
    copier = DatabaseCopier([i.path for i in plan.databases], workdir, locked.timeout)
    try:
        with os.fdopen(fd, "wb") as raw:
            copier.start()
            writer = _MemberWriter(raw, level, Reporter("backup", plan.total_bytes, progress), locked)
            manifest = writer.write_all(plan, copier, preset=preset, program=program, created=created)
            os.fsync(raw.fileno())
        os.replace(tmp, final)
        fsync_dir(final.parent)
        return Written(final, final.stat().st_size, manifest, writer.warnings)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    finally:
        copier.close()
        shutil.rmtree(workdir, ignore_errors=True)


class _MemberWriter:
    """Turns plan items into tar members on one GzipPipe; collects manifest records."""

    def __init__(self, raw: BinaryIO, level: int, reporter: Reporter, locked: LockPolicy) -> None:
        self.raw, self.level, self.reporter, self.locked = raw, level, reporter, locked
        self.records: list[FileRecord] = []
        self.warnings: list[Message | str] = []

    def write_all(self, plan: Plan, copier: DatabaseCopier, *, preset: str, program: str,
                  created: float | None) -> Manifest:
        pipe = GzipPipe(self.raw, self.level)
        try:
            tar = TarStream(pipe)
            # Databases go last, so their copies (made on another thread) are ready by then.
            for item in [i for i in plan.items if i.kind != "sqlite"]:
                self._add(tar, item)
            for item in plan.databases:
                self._add_database(tar, item, copier)
            manifest = self._manifest(plan, preset, program, created)
            _add_bytes(tar, MANIFEST_NAME, manifest.to_json(), manifest.created)
            tar.close()
            pipe.close()
        except BaseException:
            pipe.abort()
            raise
        self.reporter.finish()
        return manifest

    def _manifest(self, plan: Plan, preset: str, program: str, created: float | None) -> Manifest:
        manifest = Manifest(sources=tuple(s.to_dict() for s in plan.sources), files=tuple(self.records),
                            preset=preset, program=program, skipped=tuple(str(s) for s in plan.skipped + self.warnings),
                            compression={"format": "tar.gz", "level": self.level})
        return manifest if created is None else replace(manifest, created=created)

    def _add(self, tar: TarStream, item: Item) -> None:
        if item.kind == "dir":
            info = _info(item.arcname, tarfile.DIRTYPE, item.mode, item.mtime)
            tar.addfile(info)
            self.records.append(FileRecord(item.arcname, "dir", 0, item.mode))
        elif item.kind == "symlink":
            info = _info(item.arcname, tarfile.SYMTYPE, 0o777, item.mtime)
            info.linkname = item.target or ""
            tar.addfile(info)
            self.records.append(FileRecord(item.arcname, "symlink", 0, 0o777, target=item.target))
        else:
            self._add_file(tar, item.path, item.arcname)

    def _add_database(self, tar: TarStream, item: Item, copier: DatabaseCopier) -> None:
        try:
            copy = copier.wait(item.path)
        except DatabaseLocked as exc:
            if not self.locked.skip:
                raise
            self.warnings.append(Message(N_("{problem}, so this backup does not hold it; the next backup tries again"),
                                         problem=exc.said))
            return
        except Exception as exc:  # not KeyboardInterrupt: Ctrl-C or SIGTERM while waiting is no copy error
            if not item.path.exists():  # deleted since the plan was made, like any other live file
                self.warnings.append(Message(N_("skipped {path}: it no longer exists"), path=str(item.path)))
                return
            raise DatabaseCopyError(item.path, exc) from exc
        self._add_file(tar, copy, item.arcname, mode=item.mode, sqlite=True)

    def _add_file(self, tar: TarStream, path: Path, arcname: str, *, mode: int | None = None,
                  sqlite: bool = False) -> None:
        try:
            f = open(path, "rb")
        except OSError as exc:  # deleted or unreadable since the plan was made: live data moves
            self.warnings.append(Message(N_("skipped {path}: {error}"), path=str(path), error=str(exc.strerror or exc)))
            return
        with f:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode):
                self.warnings.append(Message(N_("skipped {path}: no longer a regular file"), path=str(path)))
                return
            info = _info(arcname, tarfile.REGTYPE, stat.S_IMODE(st.st_mode) if mode is None else mode, st.st_mtime)
            info.size = st.st_size
            reader = _HashingReader(f, st.st_size, self.reporter, arcname)
            tar.addfile(info, reader)
        if reader.short:
            self.warnings.append(Message(N_("{path} shrank while it was read; its end is zero-filled in this backup"),
                                         path=str(path)))
        self.records.append(FileRecord(arcname, "file", info.size, info.mode, reader.digest.hexdigest(), sqlite))


class TarStream:
    """A write-only tar stream (POSIX pax format) that keeps nothing per member.

    tarfile.TarFile remembers every member it wrote, which grows with the file count; a backup
    of many small files must stay in constant memory, so only the header encoding is borrowed.
    """

    def __init__(self, out: GzipPipe) -> None:
        self._out = out

    def addfile(self, info: tarfile.TarInfo, fileobj: "_HashingReader | io.BytesIO | None" = None) -> None:
        self._out.write(info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape"))
        if fileobj is None or not info.isreg():
            return
        left = info.size
        while left > 0:
            chunk = fileobj.read(min(CHUNK, left))
            if not chunk:
                raise OSError("unexpected end of data")
            self._out.write(chunk)
            left -= len(chunk)
        if info.size % tarfile.BLOCKSIZE:
            self._out.write(tarfile.NUL * (tarfile.BLOCKSIZE - info.size % tarfile.BLOCKSIZE))

    def close(self) -> None:
        """Two zero blocks end the archive; pad to a whole record, as tar(1) does."""
        end = self._out.tell() + 2 * tarfile.BLOCKSIZE
        self._out.write(tarfile.NUL * (2 * tarfile.BLOCKSIZE + (-end) % tarfile.RECORDSIZE))


class _HashingReader:
    """Gives tarfile exactly `size` bytes of `f`, hashing them; zero-fills if the file shrank.

    A file that grows while read is cut at its size when opened, which the header already holds.
    """

    def __init__(self, f: BinaryIO, size: int, reporter: Reporter, arcname: str) -> None:
        self._f, self._left, self._reporter, self._arcname = f, size, reporter, arcname
        self.digest = hashlib.sha256()
        self.short = False

    def read(self, n: int) -> bytes:
        n = min(n, self._left)
        data = self._f.read(n)
        if len(data) < n:
            self.short = True
            data += b"\0" * (n - len(data))
        self._left -= n
        self.digest.update(data)
        self._reporter.advance(n, self._arcname)
        return data


def _info(name: str, kind: bytes, mode: int, mtime: float) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.mtime = kind, mode, int(mtime)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _add_bytes(tar: TarStream, name: str, data: bytes, mtime: float) -> None:
    info = _info(name, tarfile.REGTYPE, 0o600, mtime)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))
