"""Hostile archives are rejected with nothing written outside the destination.

Each archive is built by hand with tarfile, the way an attacker would. Two lines of defence are
checked: `verify` (which restore runs first) reports it, and extraction on its own refuses it.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from pathlib import Path

import pytest

from trayapp.backup import restore
from trayapp.backup.extract import extract_to_staging
from trayapp.backup.verify import verify_archive
from trayapp.config import parse
from trayapp.errors import BackupError
from trayapp.paths import AppPaths

LABEL = "assistant-data"


def manifest_for(members: list[tuple[tarfile.TarInfo, bytes]], source: Path) -> bytes:
    files = []
    for info, data in members:
        kind = "dir" if info.isdir() else "symlink" if info.issym() else "file"
        record = {"path": info.name, "type": kind, "size": len(data) if info.isreg() else 0, "mode": info.mode}
        if info.isreg():
            record["sha256"] = hashlib.sha256(data).hexdigest()
        if info.issym():
            record["target"] = info.linkname
        files.append(record)
    return json.dumps({"format": 1, "created_ts": 1.8e9, "sources": [
        {"label": LABEL, "path": str(source), "kind": "dir", "role": "extra"}], "files": files}).encode()


def member(name: str, data: bytes = b"payload", kind: bytes = tarfile.REGTYPE, link: str = "") -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.linkname = kind, 0o644, link
    if kind == tarfile.REGTYPE:
        info.size = len(data)
    if kind == tarfile.DIRTYPE:
        info.mode = 0o755
    return info, data


def write_archive(path: Path, members: list[tuple[tarfile.TarInfo, bytes]], manifest: bytes) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
        info = tarfile.TarInfo("manifest.json")
        info.size, info.mode = len(manifest), 0o600
        tar.addfile(info, io.BytesIO(manifest))
    return path


def hostile_cases(outside: Path) -> dict[str, list[tuple[tarfile.TarInfo, bytes]]]:
    base = [member(LABEL, kind=tarfile.DIRTYPE), member(f"{LABEL}/ok.txt")]
    return {
        "absolute path": base + [member(str(outside / "abs.txt"))],
        "dot-dot": base + [member(f"{LABEL}/../../outside/dotdot.txt")],
        "symlink escape": base + [member(f"{LABEL}/link", kind=tarfile.SYMTYPE, link="../../outside"),
                                  member(f"{LABEL}/link/through.txt")],
        "absolute symlink": base + [member(f"{LABEL}/abslink", kind=tarfile.SYMTYPE, link=str(outside)),
                                    member(f"{LABEL}/abslink/through.txt")],
        "device file": base + [member(f"{LABEL}/null", b"", kind=tarfile.CHRTYPE)],
        "fifo": base + [member(f"{LABEL}/pipe", b"", kind=tarfile.FIFOTYPE)],
        "hard link out": base + [member(f"{LABEL}/hard", b"", kind=tarfile.LNKTYPE, link="/etc/passwd")],
        # Stays inside the archive, but not inside its own folder: once LABEL/ is restored to its
        # real place, the link would point beside it (at ~/.bashrc, say).
        "symlink out of its folder": base + [member(f"{LABEL}/sub", kind=tarfile.DIRTYPE),
                                             member(f"{LABEL}/sub/rc", kind=tarfile.SYMTYPE, link="../../.bashrc")],
    }


@pytest.fixture
def world(tmp_path: Path):
    """A machine: the configured data folder, and a folder outside it that must stay empty."""
    home = tmp_path / "home"
    data = home / LABEL
    data.mkdir(parents=True)
    (data / "mine.txt").write_text("my data")
    outside = tmp_path / "outside"
    outside.mkdir()
    paths = AppPaths(tmp_path / "cfg", tmp_path / "state", tmp_path / "logs", tmp_path / "appdata")
    paths.ensure()
    config = parse(f'[backup]\npaths = ["{data}"]\n', environ={"HOME": str(home)})
    return tmp_path, data, outside, paths, config


def everything_below(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.mark.parametrize("case", ["absolute path", "dot-dot", "symlink escape", "absolute symlink",
                                  "device file", "fifo", "hard link out", "symlink out of its folder"])
def test_hostile_member_is_rejected_by_verify_restore_and_extraction(world, case: str) -> None:
    tmp_path, data, outside, paths, config = world
    members = hostile_cases(outside)[case]
    archive = write_archive(tmp_path / f"{case}.tar.gz", members, manifest_for(members, data))
    before = everything_below(tmp_path)

    report = verify_archive(archive)
    assert not report.ok and report.problems
    with pytest.raises(BackupError, match="failed verification"):
        restore.prepare(archive, config, paths)
    staging = tmp_path / "staging"
    staging.mkdir()
    with pytest.raises(BackupError, match="refusing to extract"):
        extract_to_staging(archive, {LABEL: staging})

    assert list(outside.iterdir()) == []
    assert (data / "mine.txt").read_text() == "my data"
    # New since the start: the staging folder (which the caller removes) and the remembered verdict.
    allowed = {"staging", *(f"staging/{p}" for p in everything_below(staging)), f".{archive.name}.verified.json"}
    assert everything_below(tmp_path) - before <= allowed
    assert not os.path.lexists(tmp_path / "abs.txt")


def test_manifest_that_does_not_match_its_files(world) -> None:
    tmp_path, data, outside, paths, config = world
    members = [member(LABEL, kind=tarfile.DIRTYPE), member(f"{LABEL}/a.txt", b"original")]
    manifest = manifest_for(members, data)
    tampered = [members[0], member(f"{LABEL}/a.txt", b"tampered"), member(f"{LABEL}/extra.txt", b"sneaked in")]
    archive = write_archive(tmp_path / "mismatch.tar.gz", tampered, manifest)
    report = verify_archive(archive)
    assert any("does not match the manifest" in p for p in report.problems)
    assert any("not in the manifest" in p for p in report.problems)
    with pytest.raises(BackupError):
        restore.prepare(archive, config, paths)
    assert (data / "mine.txt").read_text() == "my data" and not (data / "a.txt").exists()


def test_missing_member_and_missing_manifest(world) -> None:
    tmp_path, data, *_ = world
    members = [member(LABEL, kind=tarfile.DIRTYPE), member(f"{LABEL}/a.txt")]
    manifest = manifest_for(members + [member(f"{LABEL}/gone.txt")], data)
    report = verify_archive(write_archive(tmp_path / "missing.tar.gz", members, manifest))
    assert any("missing from the archive" in p for p in report.problems)
    with tarfile.open(tmp_path / "bare.tar.gz", "w:gz") as tar:
        info, payload = member("a.txt")
        tar.addfile(info, io.BytesIO(payload))
    assert "no manifest.json" in verify_archive(tmp_path / "bare.tar.gz").problems[0]


@pytest.mark.parametrize("cut", [0.5, 0.9, 0.999])
def test_truncated_archive(world, cut: float) -> None:
    tmp_path, data, outside, paths, config = world
    members = [member(LABEL, kind=tarfile.DIRTYPE)] + [member(f"{LABEL}/f{i}", os.urandom(20_000)) for i in range(20)]
    whole = write_archive(tmp_path / "whole.tar.gz", members, manifest_for(members, data))
    assert verify_archive(whole).ok
    cut_at = int(whole.stat().st_size * cut)
    short = tmp_path / "short.tar.gz"
    short.write_bytes(whole.read_bytes()[:cut_at])
    report = verify_archive(short)
    assert not report.ok and any("damaged or truncated" in p for p in report.problems)
    with pytest.raises(BackupError):
        restore.prepare(short, config, paths)
    assert (data / "mine.txt").read_text() == "my data"


def test_a_genuine_looking_archive_restores_only_inside_its_target(world) -> None:
    """The control case: the same builder with harmless members passes, so the rejections above mean something."""
    tmp_path, data, outside, paths, config = world
    members = [member(LABEL, kind=tarfile.DIRTYPE), member(f"{LABEL}/ok.txt"),
               member(f"{LABEL}/inner", kind=tarfile.SYMTYPE, link="ok.txt")]
    archive = write_archive(tmp_path / "good.tar.gz", members, manifest_for(members, data))
    assert verify_archive(archive).ok
    plan = restore.prepare(archive, config, paths)
    assert [t.dest for t in plan.targets] == [data]


def test_restore_leaves_the_parent_folders_permissions_alone(world) -> None:
    from trayapp.backup.extract import make_staging

    tmp_path, data, outside, paths, config = world
    os.chmod(data.parent, 0o755)
    staging = make_staging(data, LABEL)
    assert (data.parent.stat().st_mode & 0o777) == 0o755, "a restore must not chmod the user's home"
    assert (staging.stat().st_mode & 0o777) == 0o700
