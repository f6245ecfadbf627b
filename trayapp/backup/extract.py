"""Safe extraction of an archive's sources into private staging folders.

Every member goes through `verify.unsafe_reason` (absolute paths, "..", devices, links that
leave their folder) and then tarfile's `filter="data"`; one hostile member stops the whole
extraction. Paths are resolved, not only read: symlinks are created last, after every file and
folder, so nothing is ever written through one; every parent of a member must be a real folder
(lstat, never followed); and once the links exist, each is followed component by component and
must stay inside its own restored folder. The bytes written may not exceed what the manifest
lists. A staging folder sits next to its final place (same filesystem), so putting it in place
later is one rename.
"""

from __future__ import annotations

import os
import stat
import tarfile
import tempfile
import zlib
from collections.abc import Mapping
from pathlib import Path

from trayapp.backup import links
from trayapp.backup.manifest import NAME as MANIFEST_NAME
from trayapp.backup.manifest import Manifest
from trayapp.backup.verify import unsafe_reason
from trayapp.errors import BackupError
from trayapp.i18n import N_
from trayapp.message import Message, Size

STAGING_PREFIX = ".trayapp-restore-"
TAMPERED = N_("this archive was not written by trayapp or was tampered with; do not use it")


def make_staging(target: Path, label: str) -> Path:
    """A private (0700) empty folder beside `target`, created with its parents if needed.

    Missing parents are created 0700; an existing parent (the home folder, say) is left exactly
    as it is: a restore has no business changing who may read it."""
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{label}-", dir=target.parent))


def extract_to_staging(archive: Path, staging: Mapping[str, Path], budget: int | None = None) -> None:
    """Extract each member whose first path part is a key of `staging` into that folder.

    `budget` caps the bytes of file data written (the manifest's total). Runs on the caller's
    thread. Raises BackupError for an unsafe member or a damaged archive; files already
    extracted stay in the staging folders, which the caller removes.
    """
    extraction = _Extraction(staging, budget)
    try:
        with tarfile.open(archive, mode="r|gz") as tar:
            for member in tar:
                extraction.member(tar, member)
    except (tarfile.TarError, EOFError, zlib.error) as exc:
        raise BackupError(Message(N_("could not extract {archive}: {error}"), archive=archive.name, error=str(exc)),
                          fix=Message(N_("the archive is damaged; restore an older backup (`trayapp backup list`)"))
                          ) from exc
    extraction.finish()


def refuse(name: str, reason: Message) -> BackupError:
    return BackupError(Message(N_("refusing to extract {name}: {reason}"), name=repr(name), reason=reason),
                       fix=Message(TAMPERED))


class _Extraction:
    """One pass over the members; symlinks wait in `links` until every file is out."""

    def __init__(self, staging: Mapping[str, Path], budget: int | None) -> None:
        self.staging, self.budget = staging, budget
        self.written = 0
        self.names: set[str] = set()
        self.links: dict[str, str] = {}  # member name -> target

    def member(self, tar: tarfile.TarFile, member: tarfile.TarInfo) -> None:
        if member.name == MANIFEST_NAME:
            return
        folder = self._checked(member)
        if member.issym():
            self.links[member.name] = member.linkname
            return
        self._count(member)
        tar.extract(member, folder, filter="data")

    def _checked(self, member: tarfile.TarInfo) -> Path:
        reason = unsafe_reason(member)
        if reason:
            raise refuse(member.name, reason)
        folder = self.staging.get(member.name.split("/", 1)[0])
        if folder is None:
            raise refuse(member.name, Message(N_("it belongs to no source in the manifest")))
        if member.name in self.names:
            raise refuse(member.name, Message(N_("it appears twice in the archive")))
        self.names.add(member.name)
        _real_parents(folder, member.name)
        return folder

    def _count(self, member: tarfile.TarInfo) -> None:
        self.written += member.size if member.isreg() else 0
        if self.budget is not None and self.written > self.budget:
            raise refuse(member.name, Message(N_("the archive expands to more than the {size} its manifest lists"),
                                              size=Size(self.budget)))

    def finish(self) -> None:
        """Create the symlinks, then check where each really leads."""
        for name in self.names:
            through = links.link_above(name, self.links)
            if through:
                raise refuse(name, Message(N_("it lies under the symlink {link}, so it would be written through it"),
                                           link=repr(through)))
        for name, target in self.links.items():
            folder = self.staging[name.split("/", 1)[0]]
            _real_parents(folder, name)
            os.symlink(target, folder / name)
        for name, target in self.links.items():
            label, _, rel = name.partition("/")
            reason = links.escape_reason(rel, links.on_disk(self.staging[label] / label))
            if reason:
                raise refuse(name, Message(N_("the symlink to {target} leaves its folder: {reason}"),
                                           target=repr(target), reason=reason))


def _real_parents(folder: Path, name: str) -> None:
    """Every existing parent of `name` below `folder` must be a real folder, never a link (lstat)."""
    parts = name.split("/")
    for i in range(1, len(parts)):
        try:
            st = os.lstat(folder.joinpath(*parts[:i]))
        except FileNotFoundError:
            return  # tarfile creates the rest as plain folders
        if not stat.S_ISDIR(st.st_mode):
            raise refuse(name, Message(N_("{path} is not a real folder"), path="/".join(parts[:i])))


def apply_modes(manifest: Manifest, staging: Mapping[str, Path]) -> None:
    """Give files and folders the exact modes the manifest recorded (the data filter normalises them).

    Folders are done deepest first, so a read-only folder does not block its children. Paths
    under a symlink were refused by extraction, so chmod never follows one.
    """
    records = [r for r in manifest.files if r.type != "symlink" and r.path.split("/", 1)[0] in staging]
    for record in sorted(records, key=lambda r: r.path.count("/"), reverse=True):
        path = staging[record.path.split("/", 1)[0]] / record.path
        if os.path.lexists(path) and not path.is_symlink():
            os.chmod(path, record.mode & 0o777)  # no setuid/setgid/sticky from an archive
