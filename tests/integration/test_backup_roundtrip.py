"""Round trip: create, change the data, restore; byte-identical, old data aside, rollback on failure."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from trayapp.backup import catalog, restore
from trayapp.backup.instance import ControlInstance
from trayapp.backup.service import prune_backups, run_backup
from trayapp.config import Config, parse
from trayapp.control import ControlServer
from trayapp.errors import BackupError
from trayapp.journal import Journal, read
from trayapp.paths import AppPaths


def snapshot(root: Path) -> dict[str, tuple[str, int, bytes | str]]:
    """Every path below root: (kind, mode, content or link target)."""
    out: dict[str, tuple[str, int, bytes | str]] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            rel = str(path.relative_to(root))
            st = path.lstat()
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("link", 0, os.readlink(path))
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("dir", stat.S_IMODE(st.st_mode), b"")
            else:
                out[rel] = ("file", stat.S_IMODE(st.st_mode), path.read_bytes())
    return out


def dump(db_path: Path) -> list[str]:
    db = sqlite3.connect(db_path)
    try:
        return list(db.iterdump())
    finally:
        db.close()


def generate_workspace(root: Path) -> None:
    (root / "workspace" / "memory").mkdir(parents=True)
    (root / "workspace" / "SOUL.md").write_text("# Soul\nkind and careful\n")
    (root / "workspace" / "memory" / "history.jsonl").write_text("".join(f'{{"n": {i}}}\n' for i in range(2000)))
    (root / "workspace" / "blob.bin").write_bytes(os.urandom(300_000))
    (root / "workspace" / "empty").write_bytes(b"")
    (root / "workspace" / "empty-dir").mkdir()
    (root / "run.sh").write_text("#!/bin/sh\necho hi\n")
    os.chmod(root / "run.sh", 0o755)
    (root / "secret.json").write_text('{"token": "x"}')
    os.chmod(root / "secret.json", 0o600)
    os.symlink("workspace/SOUL.md", root / "soul-link")
    (root / "node_modules").mkdir()
    (root / "node_modules" / "dep.js").write_text("excluded")
    db = sqlite3.connect(root / "sessions.db")
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE s(k, v)")
    with db:
        db.executemany("INSERT INTO s VALUES (?, ?)", [(i, "v" * 100) for i in range(500)])
    db.close()


def setup(tmp_path: Path) -> tuple[Config, AppPaths, Path]:
    data = tmp_path / "home" / "assistant-data"
    generate_workspace(data)
    paths = AppPaths(tmp_path / "cfg", tmp_path / "state", tmp_path / "logs", tmp_path / "appdata")
    paths.ensure()
    text = f'[backup]\npaths = ["{data}"]\n'
    paths.config_file.write_text(text)
    return parse(text, environ={"HOME": str(tmp_path / "home")}), paths, data


def change(data: Path) -> None:
    (data / "workspace" / "SOUL.md").write_text("overwritten\n")
    (data / "workspace" / "blob.bin").unlink()
    (data / "new-file.txt").write_text("added after the backup")
    db = sqlite3.connect(data / "sessions.db")
    with db:
        db.execute("DELETE FROM s")
    db.close()


class FakeInstance:
    """Stands in for the running trayapp: a managed program that stops, starts and reports health."""

    def __init__(self, healthy_after_start: bool = True, running: bool = True) -> None:
        self.state = "running" if running else "stopped"
        self.healthy_after_start = healthy_after_start
        self.calls: list[str] = []

    def status(self, program: str) -> Mapping[str, Any] | None:
        health = "healthy" if self.state == "running" and self.healthy_after_start else "unhealthy"
        return {"program": program, "state": self.state, "mode": "managed", "health": health}

    def stop(self, program: str) -> None:
        self.calls.append(f"stop {program}")
        self.state = "stopped"

    def start(self, program: str) -> None:
        self.calls.append(f"start {program}")
        self.state = "running"


def fake_time() -> dict[str, Any]:
    now = [0.0]
    return {"clock": lambda: now[0], "sleep": lambda s: now.__setitem__(0, now[0] + s), "wall": 1_800_000_000.0}


def test_round_trip_is_byte_identical_and_keeps_the_old_data_aside(tmp_path: Path) -> None:
    config, paths, data = setup(tmp_path)
    original = snapshot(data)
    original_dump = dump(data / "sessions.db")
    result = run_backup(config, paths, Journal(paths.journal_file))
    assert result.ok, result.error
    change(data)
    changed = snapshot(data)
    plan = restore.prepare(result.path, config, paths)
    assert [t.dest for t in plan.targets] == [paths.config_file, data]
    instance = FakeInstance()
    outcome = restore.execute(plan, instance, **fake_time())
    assert outcome.ok, outcome.error
    assert instance.calls == ["stop assistant", "start assistant"] and outcome.healthy is True
    restored = snapshot(data)
    expected = {k: v for k, v in original.items() if not k.startswith("node_modules")}
    # The database in the archive is the online-backup copy: the same rows, byte-identical to the
    # copy (its sha256 is in the manifest), though its header counters differ from the live file.
    db_record = plan.manifest.by_path()["assistant-data/sessions.db"]
    assert db_record.sqlite and hashlib.sha256(restored.pop("sessions.db")[2]).hexdigest() == db_record.sha256
    assert dump(data / "sessions.db") == original_dump
    expected.pop("sessions.db")
    assert restored == expected
    aside = Path(outcome.moved_aside[str(data)])
    assert aside.name.startswith("assistant-data.before-restore-")
    assert snapshot(aside) == changed
    assert catalog.verified_state(result.path) is True  # restore verified it first and remembered


def test_unhealthy_after_restore_rolls_back(tmp_path: Path) -> None:
    config, paths, data = setup(tmp_path)
    result = run_backup(config, paths)
    change(data)
    changed = snapshot(data)
    instance = FakeInstance(healthy_after_start=False)
    outcome = restore.execute(restore.prepare(result.path, config, paths), instance, **fake_time())
    assert not outcome.ok
    assert "did not come up healthy" in str(outcome.error or "")
    assert snapshot(data) == changed  # the old data is back
    assert instance.calls == ["stop assistant", "start assistant", "stop assistant", "start assistant"]
    failed = [p for p in data.parent.iterdir() if ".failed-restore-" in p.name]
    assert len(failed) == 1 and (failed[0] / "workspace" / "blob.bin").exists()
    assert any("put back" in str(n) for n in outcome.notes)


def test_a_program_run_by_somebody_else_is_not_touched(tmp_path: Path) -> None:
    config, paths, data = setup(tmp_path)
    result = run_backup(config, paths)
    change(data)
    changed = snapshot(data)

    class External(FakeInstance):
        def status(self, program: str) -> Mapping[str, Any]:
            return {"program": program, "state": "running", "mode": "external", "owner": "pid 42"}

    instance = External()
    outcome = restore.execute(restore.prepare(result.path, config, paths), instance, **fake_time())
    assert not outcome.ok and "outside trayapp" in str(outcome.error or "")
    assert instance.calls == [] and snapshot(data) == changed


def test_restore_to_another_folder_leaves_everything_else_alone(tmp_path: Path) -> None:
    config, paths, data = setup(tmp_path)
    result = run_backup(config, paths)
    change(data)
    changed = snapshot(data)
    plan = restore.prepare(result.path, config, paths, to=tmp_path / "inspect")
    assert plan.program is None
    outcome = restore.execute(plan, FakeInstance(), **fake_time())
    assert outcome.ok and snapshot(data) == changed
    assert (tmp_path / "inspect" / "assistant-data" / "workspace" / "SOUL.md").read_text() == "# Soul\nkind and careful\n"
    assert (tmp_path / "inspect" / "cfg-file" / "config.toml").exists()


def test_restore_asks_the_running_instance_over_the_real_control_channel(tmp_path: Path) -> None:
    config, paths, data = setup(tmp_path)
    result = run_backup(config, paths)
    fake = FakeInstance()
    server = ControlServer(paths)
    server.register("status", lambda req: {"programs": [fake.status("assistant")]})
    server.register("stop", lambda req: fake.stop(req["program"]))
    server.register("start", lambda req: fake.start(req["program"]))
    server.start()
    try:
        outcome = restore.execute(restore.prepare(result.path, config, paths), ControlInstance(paths), **fake_time())
    finally:
        server.close()
    assert outcome.ok, outcome.error
    assert fake.calls == ["stop assistant", "start assistant"]


def test_without_a_running_trayapp_restore_proceeds_and_says_so(tmp_path: Path) -> None:
    config, paths, data = setup(tmp_path)
    result = run_backup(config, paths)
    change(data)
    outcome = restore.execute(restore.prepare(result.path, config, paths), ControlInstance(paths), **fake_time())
    assert outcome.ok
    assert any("trayapp is not running" in str(n) for n in outcome.notes)
    assert (data / "workspace" / "SOUL.md").read_text() == "# Soul\nkind and careful\n"


def test_an_archive_from_an_unknown_place_needs_to(tmp_path: Path) -> None:
    config, paths, data = setup(tmp_path)
    result = run_backup(config, paths)
    other = parse("", environ={"HOME": str(tmp_path / "elsewhere")})
    with pytest.raises(BackupError, match="not one of this machine's backup sources"):
        restore.prepare(result.path, other, paths)


def test_cli_create_list_verify_prune_and_journal(tmp_path: Path) -> None:
    config, paths, data = setup(tmp_path)
    home = tmp_path / "th"
    home.mkdir()
    (home / "config.toml").write_text(paths.config_file.read_text() + "keep_last = 1\nkeep_daily = 0\nkeep_weekly = 0\n")
    env = {**os.environ, "TRAYAPP_HOME": str(home), "HOME": str(tmp_path / "home")}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "trayapp", "backup", *args], env=env, text=True,
                              capture_output=True, timeout=120)

    first = cli("create")
    assert first.returncode == 0, first.stderr
    archive = Path(first.stdout.strip())
    assert archive.parent == home / "backups" and stat.S_IMODE(archive.stat().st_mode) == 0o600
    assert stat.S_IMODE(archive.parent.stat().st_mode) == 0o700
    assert "backing up: 100%" in first.stderr  # plain progress lines when stderr is not a terminal
    assert cli("verify", "latest").returncode == 0
    second = cli("create", "--json")
    assert json.loads(second.stdout)["ok"] is True
    listed = json.loads(cli("list", "--json").stdout)
    assert [b["verified"] for b in listed] == [None, True]
    pruned = json.loads(cli("prune", "--json").stdout)
    assert len(pruned["deleted"]) == 0  # the newest is kept as "last", the verified one as "only verified"
    events = [e["event"] for e in read(home / "state" / "journal.jsonl")]
    assert events == ["backup", "backup", "prune"]
    dry = cli("restore", "latest", "--dry-run")
    assert dry.returncode == 0 and "moved aside" in dry.stdout
    no_tty = cli("restore", "latest")
    assert no_tty.returncode == 1 and "--yes" in no_tty.stderr


def test_prune_deletes_by_policy_and_journals_it(tmp_path: Path) -> None:
    config, paths, data = setup(tmp_path)
    made = [run_backup(config, paths, wall=lambda n=n: 1_800_000_000.0 + n * 60).path for n in range(4)]
    cfg = parse(paths.config_file.read_text() + "keep_last = 2\nkeep_daily = 0\nkeep_weekly = 0\n",
                environ={"HOME": str(tmp_path / "home")})
    journal = Journal(paths.journal_file)
    result = prune_backups(cfg, paths, journal)
    assert sorted(b.path for b in result.deleted) == sorted(made[:2])
    assert [b.path for b in catalog.list_backups(paths.backup_dir)] == made[2:]
    journal.flush()
    entry = read(paths.journal_file)[-1]
    assert entry["event"] == "prune" and entry["freed"] == result.freed > 0
