"""What goes into a backup: sources from config, default excludes, SQLite found by extension + header."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from trayapp.backup.sources import Filters, Source, build_plan, sources_for
from trayapp.config import parse
from trayapp.paths import AppPaths


def make_db(path: Path, wal: bool = True) -> sqlite3.Connection:
    """A small database, left open: callers that want its -wal and -shm files on disk keep it so."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path)
    if wal:
        db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE t(x)")
    db.execute("INSERT INTO t VALUES (1)")
    db.commit()
    return db


def plan_names(root: Path, filters: Filters | None = None) -> dict[str, str]:
    plan = build_plan([Source("data", root, "dir", "extra")], filters or Filters.build())
    return {i.arcname: i.kind for i in plan.items}


@pytest.mark.parametrize("rel", [
    "cache/x", ".cache/x", "a/__pycache__/m.pyc", "tmp/x", "a/b.tmp", "node_modules/pkg/index.js",
    "gateway.lock", "LOCK", "logs/app.log.1", "logs/app.log.2.gz", "run.pid",
])
def test_default_excludes(tmp_path: Path, rel: str) -> None:
    (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / rel).write_text("x")
    (tmp_path / "keep.md").write_text("x")
    names = plan_names(tmp_path)
    assert "data/keep.md" in names
    assert f"data/{rel}" not in names


@pytest.mark.parametrize("rel", ["workspace/yarn.lock", "workspace/Cargo.lock", "logs/app.log", "notes/tmp.md"])
def test_user_data_that_looks_like_junk_is_kept(tmp_path: Path, rel: str) -> None:
    (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / rel).write_text("x")
    assert f"data/{rel}" in plan_names(tmp_path)


def test_rotated_logs_are_kept_when_asked(tmp_path: Path) -> None:
    (tmp_path / "app.log.1").write_text("x")
    assert "data/app.log.1" in plan_names(tmp_path, Filters.build(include_logs=True))


def test_user_excludes_and_includes(tmp_path: Path) -> None:
    for rel in ("groups/a/logs/x.txt", "groups/a/CLAUDE.md", "big.iso", "cache/keep-me.db"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    names = plan_names(tmp_path, Filters.build(exclude=["groups/*/logs", "*.iso"], include=["cache"]))
    assert "data/groups/a/CLAUDE.md" in names
    assert "data/groups/a/logs/x.txt" not in names
    assert "data/big.iso" not in names
    assert "data/cache/keep-me.db" in names


def test_sqlite_found_by_extension_and_header_and_side_files_skipped(tmp_path: Path) -> None:
    live = make_db(tmp_path / "state" / "openclaw.sqlite")  # open: -wal and -shm exist
    (tmp_path / "fake.db").write_bytes(b"not sqlite at all")
    make_db(tmp_path / "history", wal=False).close()  # SQLite without the extension: not a db by name
    assert (tmp_path / "state" / "openclaw.sqlite-wal").exists()
    names = plan_names(tmp_path)
    live.close()
    assert names["data/state/openclaw.sqlite"] == "sqlite"
    assert "data/state/openclaw.sqlite-wal" not in names
    assert "data/state/openclaw.sqlite-shm" not in names
    assert names["data/fake.db"] == "file"
    assert names["data/history"] == "file"


def test_preset_sqlite_names_count_without_the_extension(tmp_path: Path) -> None:
    make_db(tmp_path / "store" / "messages", wal=False).close()
    plan = build_plan([Source("data", tmp_path, "dir", "extra")], Filters.build(), sqlite_names=["store/messages"])
    assert {i.arcname: i.kind for i in plan.items}["data/store/messages"] == "sqlite"


def test_symlinks_inside_are_kept_and_outside_ones_reported(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x")
    os.symlink("a.txt", tmp_path / "inside")
    os.symlink("/etc/passwd", tmp_path / "absolute")
    os.symlink("../../elsewhere", tmp_path / "escape")
    plan = build_plan([Source("data", tmp_path, "dir", "extra")], Filters.build())
    names = {i.arcname: i for i in plan.items}
    assert names["data/inside"].kind == "symlink" and names["data/inside"].target == "a.txt"
    assert "data/absolute" not in names and "data/escape" not in names
    assert sum("points outside" in str(s) for s in plan.skipped) == 2


def test_a_link_that_leaves_only_through_another_link_is_reported(tmp_path: Path) -> None:
    """up -> .. and l -> up/../.. each look inside; l really leads above the folder, which restore refuses."""
    (tmp_path / "a" / "b").mkdir(parents=True)
    os.symlink("..", tmp_path / "a" / "b" / "up")
    os.symlink("up/../..", tmp_path / "a" / "b" / "l")
    os.symlink("up/c.txt", tmp_path / "a" / "b" / "fine")
    plan = build_plan([Source("data", tmp_path, "dir", "extra")], Filters.build())
    names = {i.arcname for i in plan.items}
    assert {"data/a/b/up", "data/a/b/fine"} <= names and "data/a/b/l" not in names
    assert [str(s) for s in plan.skipped if "points outside" in str(s)] == [
        f"skipped symlink {tmp_path / 'a' / 'b' / 'l'} -> up/../..: it points outside {tmp_path}"]


def test_the_destination_inside_a_source_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "backups").mkdir()
    (tmp_path / "backups" / "old.tar.gz").write_text("x")
    plan = build_plan([Source("data", tmp_path, "dir", "extra")], Filters.build(), skip=[tmp_path / "backups"])
    assert not any("backups" in i.arcname for i in plan.items)


def test_sources_from_config_labels_and_missing_paths(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".nanobot" / "workspace").mkdir(parents=True)
    (home / "notes").mkdir()
    paths = AppPaths(tmp_path / "cfg", tmp_path / "state", tmp_path / "logs", tmp_path / "data")
    paths.config_dir.mkdir()
    paths.config_file.write_text("")
    config = parse('[backup]\npaths = ["~/notes", "~/missing", "~/.nanobot/workspace"]\n',
                   environ={"HOME": str(home)})
    found, notes = sources_for(config, paths)
    assert [(s.label, s.role, s.kind) for s in found] == [
        ("cfg-file", "config", "file"), ("nanobot", "assistant", "dir"), ("notes", "extra", "dir")]
    assert [str(n) for n in notes] == [f"{home}/missing does not exist; nothing to back up there"]
