"""Safe extraction of an archive's sources into private staging folders.

Every member goes through tarfile's `filter="data"`, which refuses absolute paths, "..", links
that leave the destination and device files; `verify.unsafe_reason` refuses them too, before the
filter is asked, so one hostile member stops the whole extraction. A staging folder sits next
to its final place (same filesystem), so putting it in place later is one rename.
"""

from __future__ import annotations

import os
import tarfile
import tempfile
import zlib
from collections.abc import Mapping
from pathlib import Path

from trayapp.backup.manifest import NAME as MANIFEST_NAME
from trayapp.backup.manifest import Manifest
from trayapp.backup.verify import unsafe_reason
from trayapp.errors import BackupError

STAGING_PREFIX = ".trayapp-restore-"


def make_staging(target: Path, label: str) -> Path:
    """A private (0700) empty folder beside `target`, created with its parents if needed.

    Missing parents are created 0700; an existing parent (the home folder, say) is left exactly
    as it is: a restore has no business changing who may read it."""
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{label}-", dir=target.parent))


def extract_to_staging(archive: Path, staging: Mapping[str, Path]) -> None:
    """Extract each member whose first path part is a key of `staging` into that folder.

    Runs on the caller's thread. Raises BackupError for an unsafe member or a damaged archive;
    files already extracted stay in the staging folders, which the caller removes.
    """
    try:
        with tarfile.open(archive, mode="r|gz") as tar:  # type: ignore[call-overload]
            for member in tar:
                _extract_one(tar, member, staging)
    except (tarfile.TarError, EOFError, zlib.error) as exc:
        raise BackupError(f"could not extract {archive.name}: {exc}",
                          fix="the archive is damaged; restore an older backup (`trayapp backup list`)") from exc


def _extract_one(tar: tarfile.TarFile, member: tarfile.TarInfo, staging: Mapping[str, Path]) -> None:
    if member.name == MANIFEST_NAME:
        return
    reason = unsafe_reason(member)
    if reason:
        raise BackupError(f"refusing to extract {member.name!r}: {reason}",
                          fix="this archive was not written by trayapp or was tampered with; do not use it")
    folder = staging.get(member.name.split("/", 1)[0])
    if folder is None:
        raise BackupError(f"refusing to extract {member.name!r}: it belongs to no source in the manifest",
                          fix="this archive was not written by trayapp or was tampered with; do not use it")
    tar.extract(member, folder, filter="data")


def apply_modes(manifest: Manifest, staging: Mapping[str, Path]) -> None:
    """Give files and folders the exact modes the manifest recorded (the data filter normalises them).

    Folders are done deepest first, so a read-only folder does not block its children.
    """
    records = [r for r in manifest.files if r.type != "symlink" and r.path.split("/", 1)[0] in staging]
    for record in sorted(records, key=lambda r: r.path.count("/"), reverse=True):
        path = staging[record.path.split("/", 1)[0]] / record.path
        if path.exists() and not path.is_symlink():
            os.chmod(path, record.mode & 0o777)  # no setuid/setgid/sticky from an archive
