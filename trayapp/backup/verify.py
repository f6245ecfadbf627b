"""Verifying an archive: every member re-hashed against the manifest, every database checked.

One streaming pass reads the archive from start to end (a truncated or corrupt gzip is found
there), checks that each member is safe to extract (no absolute paths, no "..", no links
leaving the archive, no device files, no duplicates), hashes it, and keeps database copies
(recognised by their SQLite header) in a private temp folder. At the end the manifest (the last
member) is compared with what was seen, and `PRAGMA integrity_check` runs on each database.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import posixpath
import shutil
import tarfile
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from trayapp.backup import links
from trayapp.backup import manifest as manifest_mod
from trayapp.backup.progress import ProgressFn, Reporter
from trayapp.backup.sources import SQLITE_HEADER
from trayapp.backup.sqlite_copy import integrity_problems
from trayapp.i18n import N_
from trayapp.message import Message

MAX_MANIFEST = 64 * 1024 * 1024
READ_CHUNK = 1 << 20


@dataclass
class Seen:
    """A member as found in the archive."""

    type: str
    size: int
    mode: int
    sha256: str | None = None
    target: str | None = None


@dataclass
class VerifyReport:
    archive: Path
    problems: list[Message | str] = field(default_factory=list)  # English in JSON, translated when shown
    files: int = 0
    databases: int = 0
    bytes: int = 0
    manifest: manifest_mod.Manifest | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and self.manifest is not None

    def to_dict(self) -> dict[str, object]:
        return {"archive": str(self.archive), "ok": self.ok, "problems": [str(p) for p in self.problems],
                "files": self.files, "databases": self.databases, "bytes": self.bytes}

    def summary(self, limit: int = 3) -> Message | str:
        """The first `limit` problems as one sentence, each kept as its Message."""
        return joined(self.problems[:limit])


def joined(parts: list[Message | str]) -> Message | str:
    """"a; b; c" with every part still a Message (so the whole is translated when shown)."""
    if len(parts) <= 1:
        return parts[0] if parts else ""
    return Message(N_("{problem}; {more}"), problem=parts[0], more=joined(parts[1:]))


def verify_archive(archive: Path, progress: ProgressFn | None = None) -> VerifyReport:
    """Check `archive` completely. Never raises for a bad archive: problems go in the report."""
    report = VerifyReport(archive)
    try:
        total = archive.stat().st_size
    except OSError as exc:
        report.problems.append(Message(N_("cannot read {path}: {error}"), path=str(archive),
                                       error=str(exc.strerror or exc)))
        return report
    workdir = _workdir(archive)
    try:
        pass_ = _Pass(report, workdir, Reporter("verify", total, progress))
        pass_.run()
        if report.manifest is not None:
            _compare(report, pass_.seen, report.manifest)
            report.problems.extend(link_problems(pass_.seen))
            _check_databases(report, pass_.saved, report.manifest)
        elif not report.problems:
            report.problems.append(Message(N_("the archive has no manifest.json: it is not a trayapp backup")))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return report


def _workdir(archive: Path) -> Path:
    with contextlib.suppress(OSError):
        return Path(tempfile.mkdtemp(prefix=".trayapp-verify-", dir=archive.parent))
    return Path(tempfile.mkdtemp(prefix="trayapp-verify-"))  # a read-only backup drive


class _Pass:
    """The streaming pass over the archive."""

    def __init__(self, report: VerifyReport, workdir: Path, reporter: Reporter) -> None:
        self.report, self.workdir, self.reporter = report, workdir, reporter
        self.seen: dict[str, Seen] = {}
        self.saved: dict[str, Path] = {}  # member name -> database copy on disk

    def run(self) -> None:
        try:
            with open(self.report.archive, "rb") as raw:
                counted = _CountingReader(raw, self.reporter)
                with tarfile.open(fileobj=counted, mode="r|gz") as tar:  # type: ignore[call-overload]
                    for member in tar:
                        self._member(tar, member)
        except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
            self.report.problems.append(Message(N_("the archive is damaged or truncated: {error}"), error=str(exc)))
        self.reporter.finish()

    def _member(self, tar: tarfile.TarFile, member: tarfile.TarInfo) -> None:
        problem = unsafe_reason(member)
        if problem:
            self.report.problems.append(Message(N_("{name}: {problem}"), name=repr(member.name), problem=problem))
            return
        if member.name in self.seen:
            self.report.problems.append(Message(N_("{name}: appears twice in the archive"), name=repr(member.name)))
            return
        if member.name == manifest_mod.NAME:
            self._manifest(tar, member)
            return
        entry = Seen(_kind(member), member.size if member.isreg() else 0, member.mode,
                     target=member.linkname if member.issym() else None)
        if member.isreg():
            entry.sha256 = self._hash(tar, member)
        self.seen[member.name] = entry

    def _manifest(self, tar: tarfile.TarFile, member: tarfile.TarInfo) -> None:
        if member.size > MAX_MANIFEST:
            self.report.problems.append(Message(N_("manifest.json is implausibly large")))
            return
        f = tar.extractfile(member)
        assert f is not None
        try:
            self.report.manifest = manifest_mod.parse(f.read())
        except ValueError as exc:
            self.report.problems.append(manifest_mod.said(exc))
        self.seen[member.name] = Seen("file", member.size, member.mode)

    def _hash(self, tar: tarfile.TarFile, member: tarfile.TarInfo) -> str:
        f = tar.extractfile(member)
        assert f is not None
        digest = hashlib.sha256()
        first = f.read(READ_CHUNK)
        out: IO[bytes] | None = None
        if first.startswith(SQLITE_HEADER):  # maybe a database copy: keep it for integrity_check
            path = self.workdir / f"db-{len(self.saved)}.sqlite"
            out = open(path, "wb")
            self.saved[member.name] = path
        with out or contextlib.nullcontext():
            chunk = first
            while chunk:
                digest.update(chunk)
                if out is not None:
                    out.write(chunk)
                chunk = f.read(READ_CHUNK)
        return digest.hexdigest()


class _CountingReader:
    """Passes compressed bytes through to tarfile, reporting progress by bytes of the archive."""

    def __init__(self, raw: IO[bytes], reporter: Reporter) -> None:
        self._raw, self._reporter = raw, reporter

    def read(self, n: int = -1) -> bytes:
        data = self._raw.read(n)
        self._reporter.advance(len(data))
        return data


def unsafe_reason(member: tarfile.TarInfo) -> Message | None:
    """Why extracting `member` could write outside the destination or create a device; None if safe."""
    name = member.name
    if name.startswith("/") or posixpath.isabs(name) or (len(name) > 1 and name[1] == ":"):
        return Message(N_("absolute path"))
    parts = name.split("/")
    if ".." in parts or "\\" in name or not name or "\0" in name:
        return Message(N_("path leaves the destination (..)"))
    if member.islnk():
        return Message(N_("hard link (trayapp never writes them)"))
    if member.issym():
        # Each top folder (label) is restored to a different place, so a link must stay inside
        # its own label, not merely inside the archive: nanobot/x -> ../../.bashrc would point
        # at ~/.bashrc once nanobot/ is back at ~/.nanobot.
        target = member.linkname
        label = parts[0]
        inside = posixpath.normpath(posixpath.join(posixpath.dirname(name), target))
        if len(parts) < 2 or posixpath.isabs(target) or not inside.startswith(label + "/"):
            return Message(N_("symlink to {target} leaves its folder"), target=repr(target))
    elif not (member.isreg() or member.isdir()):
        return Message(N_("device file, pipe or other special file"))
    try:
        tarfile.data_filter(member, "/nonexistent-trayapp-check")
    except tarfile.FilterError as exc:
        return Message(N_("unsafe member: {error}"), error=str(exc))
    return None


def link_problems(seen: dict[str, Seen]) -> list[Message | str]:
    """Members written through a symlink, and symlinks that really lead out of their folder.

    Each link may look inside its folder on its own; together (`m/n/o -> ..`, then
    `m/n/o/o2 -> ../../x`) they can lead out, so the links are followed as the system would.
    """
    symlinks = {name: s.target or "" for name, s in seen.items() if s.type == "symlink"}
    problems: list[Message | str] = []
    for name in seen:
        through = links.link_above(name, symlinks)
        if through:
            problems.append(Message(N_("{name} lies under the symlink {link}, so it would be written through it"),
                                    name=repr(name), link=repr(through)))
    for name, target in symlinks.items():
        label, _, rel = name.partition("/")
        reason = links.escape_reason(rel, links.in_members(symlinks, label))
        if reason:
            problems.append(Message(N_("{name}: the symlink to {target} leaves its folder: {reason}"),
                                    name=repr(name), target=repr(target), reason=reason))
    return problems


def _kind(member: tarfile.TarInfo) -> str:
    return "dir" if member.isdir() else "symlink" if member.issym() else "file"


def _compare(report: VerifyReport, seen: dict[str, Seen], manifest: manifest_mod.Manifest) -> None:
    listed = manifest.by_path()
    for name in seen:
        if name != manifest_mod.NAME and name not in listed:
            report.problems.append(Message(N_("{name} is in the archive but not in the manifest"), name=repr(name)))
    for name, record in listed.items():
        got = seen.get(name)
        if got is None:
            report.problems.append(Message(N_("{name} is in the manifest but missing from the archive"),
                                           name=repr(name)))
            continue
        report.problems.extend(_differences(name, record, got))
        report.files += record.type == "file"
        report.bytes += record.size


def _differences(name: str, record: manifest_mod.FileRecord, got: Seen) -> list[Message | str]:
    problems: list[Message | str] = []
    shown = repr(name)
    if record.type != got.type:
        # the types are the manifest's own words (file, dir, symlink)
        problems.append(Message(N_("{name} is a {found} in the archive but a {listed} in the manifest"),
                                name=shown, found=got.type, listed=record.type))
    elif record.type == "file" and (record.size != got.size or record.sha256 != got.sha256):
        problems.append(Message(N_("{name} does not match the manifest (size or sha256 differs): it was changed "
                                   "or damaged"), name=shown))
    elif record.type == "symlink" and record.target != got.target:
        problems.append(Message(N_("{name} points elsewhere than the manifest says"), name=shown))
    if record.type != "symlink" and (record.mode & 0o7777) != (got.mode & 0o7777):
        problems.append(Message(N_("{name} has mode {found}, the manifest says {listed}"), name=shown,
                                found=oct(got.mode), listed=oct(record.mode)))
    return problems


def _check_databases(report: VerifyReport, saved: dict[str, Path], manifest: manifest_mod.Manifest) -> None:
    for record in manifest.files:
        if not record.sqlite:
            continue
        report.databases += 1
        copy = saved.get(record.path)
        if copy is None:
            report.problems.append(Message(N_("{name} should be a SQLite database but is not one"),
                                           name=repr(record.path)))
            continue
        report.problems.extend(Message(N_("{name} fails integrity_check: {problem}"), name=repr(record.path), problem=p)
                               for p in integrity_problems(copy))
        with contextlib.suppress(OSError):
            os.unlink(copy)
