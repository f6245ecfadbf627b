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
from trayapp.config import Config, parse
from trayapp.errors import BackupError
from trayapp.paths import AppPaths

LABEL = "assistant-data"
World = tuple[Path, Path, Path, AppPaths, Config]  # tmp_path, data, outside, paths, config


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
    hop = [member(f"{LABEL}/m", kind=tarfile.DIRTYPE), member(f"{LABEL}/m/n", kind=tarfile.DIRTYPE),
           member(f"{LABEL}/m/n/o", kind=tarfile.SYMTYPE, link="..")]
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
        # Each link looks inside its folder on its own; o2 is really LABEL/m/o2 -> ~/.bashrc.
        "symlink hop": base + hop + [member(f"{LABEL}/m/n/o/o2", kind=tarfile.SYMTYPE, link="../../.bashrc")],
        "file through a symlink hop": base + hop + [member(f"{LABEL}/m/n/o/through.txt")],
        # No member under a link, but l follows up (-> ..) and then climbs two more levels.
        "symlink chain out": base + [member(f"{LABEL}/a", kind=tarfile.DIRTYPE),
                                     member(f"{LABEL}/a/b", kind=tarfile.DIRTYPE),
                                     member(f"{LABEL}/a/b/up", kind=tarfile.SYMTYPE, link=".."),
                                     member(f"{LABEL}/a/b/l", kind=tarfile.SYMTYPE, link="up/../..")],
        # Lexically back inside ("../LABEL/ok.txt" is "ok.txt"), but once LABEL/ is restored as
        # ~/.nanobot the link points at ~/LABEL/ok.txt.
        "symlink out and back in": base + [member(f"{LABEL}/l", kind=tarfile.SYMTYPE, link=f"../{LABEL}/ok.txt")],
        "symlink loop": base + [member(f"{LABEL}/x", kind=tarfile.SYMTYPE, link="y/z"),
                                member(f"{LABEL}/y", kind=tarfile.SYMTYPE, link="x/z")],
    }


@pytest.fixture
def world(tmp_path: Path) -> World:
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
                                  "device file", "fifo", "hard link out", "symlink out of its folder",
                                  "symlink hop", "file through a symlink hop", "symlink chain out", "symlink loop",
                                  "symlink out and back in"])
def test_hostile_member_is_rejected_by_verify_restore_and_extraction(world: World, case: str) -> None:
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


def test_manifest_that_does_not_match_its_files(world: World) -> None:
    tmp_path, data, outside, paths, config = world
    members = [member(LABEL, kind=tarfile.DIRTYPE), member(f"{LABEL}/a.txt", b"original")]
    manifest = manifest_for(members, data)
    tampered = [members[0], member(f"{LABEL}/a.txt", b"tampered"), member(f"{LABEL}/extra.txt", b"sneaked in")]
    archive = write_archive(tmp_path / "mismatch.tar.gz", tampered, manifest)
    report = verify_archive(archive)
    assert any("does not match the manifest" in str(p) for p in report.problems)
    assert any("not in the manifest" in str(p) for p in report.problems)
    with pytest.raises(BackupError):
        restore.prepare(archive, config, paths)
    assert (data / "mine.txt").read_text() == "my data" and not (data / "a.txt").exists()


def test_missing_member_and_missing_manifest(world: World) -> None:
    tmp_path, data, *_ = world
    members = [member(LABEL, kind=tarfile.DIRTYPE), member(f"{LABEL}/a.txt")]
    manifest = manifest_for(members + [member(f"{LABEL}/gone.txt")], data)
    report = verify_archive(write_archive(tmp_path / "missing.tar.gz", members, manifest))
    assert any("missing from the archive" in str(p) for p in report.problems)
    with tarfile.open(tmp_path / "bare.tar.gz", "w:gz") as tar:
        info, payload = member("a.txt")
        tar.addfile(info, io.BytesIO(payload))
    assert "no manifest.json" in str(verify_archive(tmp_path / "bare.tar.gz").problems[0])


@pytest.mark.parametrize("cut", [0.5, 0.9, 0.999])
def test_truncated_archive(world: World, cut: float) -> None:
    tmp_path, data, outside, paths, config = world
    members = [member(LABEL, kind=tarfile.DIRTYPE)] + [member(f"{LABEL}/f{i}", os.urandom(20_000)) for i in range(20)]
    whole = write_archive(tmp_path / "whole.tar.gz", members, manifest_for(members, data))
    assert verify_archive(whole).ok
    cut_at = int(whole.stat().st_size * cut)
    short = tmp_path / "short.tar.gz"
    short.write_bytes(whole.read_bytes()[:cut_at])
    report = verify_archive(short)
    assert not report.ok and any("damaged or truncated" in str(p) for p in report.problems)
    with pytest.raises(BackupError):
        restore.prepare(short, config, paths)
    assert (data / "mine.txt").read_text() == "my data"


def test_a_genuine_looking_archive_restores_only_inside_its_target(world: World) -> None:
    """The control case: the same builder with harmless members passes, so the rejections above mean something."""
    tmp_path, data, outside, paths, config = world
    members = [member(LABEL, kind=tarfile.DIRTYPE), member(f"{LABEL}/ok.txt"),
               member(f"{LABEL}/inner", kind=tarfile.SYMTYPE, link="ok.txt")]
    archive = write_archive(tmp_path / "good.tar.gz", members, manifest_for(members, data))
    assert verify_archive(archive).ok
    plan = restore.prepare(archive, config, paths)
    assert [t.dest for t in plan.targets] == [data]


def test_restore_leaves_the_parent_folders_permissions_alone(world: World) -> None:
    from trayapp.backup.extract import make_staging

    tmp_path, data, outside, paths, config = world
    os.chmod(data.parent, 0o755)
    staging = make_staging(data, LABEL)
    assert (data.parent.stat().st_mode & 0o777) == 0o755, "a restore must not chmod the user's home"
    assert (staging.stat().st_mode & 0o777) == 0o700


def test_a_hop_through_links_is_refused_by_extraction_even_without_verify(world: World) -> None:
    """Extraction is the second line: links come last and are followed, so nothing lands beside the folder."""
    tmp_path, data, outside, paths, config = world
    members = hostile_cases(outside)["file through a symlink hop"]
    archive = write_archive(tmp_path / "hop.tar.gz", members, manifest_for(members, data))
    staging = tmp_path / "staging"
    staging.mkdir()
    with pytest.raises(BackupError, match="under the symlink"):
        extract_to_staging(archive, {LABEL: staging})
    assert not (staging / LABEL / "m" / "through.txt").exists()
    assert not (staging / "through.txt").exists() and not (staging / LABEL / "through.txt").exists()


def test_a_source_label_that_is_a_path_is_refused_before_anything_is_planned(world: World) -> None:
    tmp_path, data, outside, paths, config = world
    members = [member("x", kind=tarfile.DIRTYPE), member("x/a.txt")]
    manifest = json.loads(manifest_for(members, data))
    manifest["sources"][0]["label"] = f"../../../{outside.name}/x"
    archive = write_archive(tmp_path / "label.tar.gz", members, json.dumps(manifest).encode())
    with pytest.raises(BackupError, match="not a plain folder name"):
        restore.prepare(archive, config, paths, to=tmp_path / "to" / "a" / "b")
    assert list(outside.iterdir()) == [] and not (tmp_path / "to").exists()


def zeros_archive(tmp_path: Path, data: Path, size: int) -> Path:
    """A few KB of gzip that expands to `size` bytes: what a zip bomb looks like to restore."""
    members = [member(LABEL, kind=tarfile.DIRTYPE), member(f"{LABEL}/zeros.bin", bytes(size))]
    return write_archive(tmp_path / "zeros.tar.gz", members, manifest_for(members, data))


def test_restore_refuses_when_the_expanded_size_does_not_fit(world: World) -> None:
    tmp_path, data, outside, paths, config = world
    archive = zeros_archive(tmp_path, data, 20_000_000)
    assert archive.stat().st_size < 100_000
    asked: list[Path] = []

    def free(folder: Path) -> int:
        asked.append(folder)
        return 5_000_000

    with pytest.raises(BackupError, match=r"not enough room to restore into .*expands to 20MB and 5MB is free") as err:
        restore.prepare(archive, config, paths, free=free)
    assert "--to" in (err.value.fix or "")
    assert asked == [data.parent]
    assert sorted(p.name for p in data.parent.iterdir()) == [LABEL], "nothing was written"
    plan = restore.prepare(archive, config, paths, free=lambda folder: 10**12)  # the control case
    assert plan.targets[0].dest == data


def test_extraction_writes_no_more_than_the_manifest_lists(world: World) -> None:
    tmp_path, data, outside, paths, config = world
    archive = zeros_archive(tmp_path, data, 3_000_000)
    staging = tmp_path / "staging"
    staging.mkdir()
    with pytest.raises(BackupError, match="expands to more than the 1MB its manifest lists"):
        extract_to_staging(archive, {LABEL: staging}, budget=1_000_000)
    assert not (staging / LABEL / "zeros.bin").exists()
