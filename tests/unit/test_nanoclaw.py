"""NanoClaw v2 as it is today: its service names, version, data and runtime state."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

from trayapp import config as config_mod
from trayapp.backup.service import make_plan
from trayapp.doctor import assistant
from trayapp.doctor.inputs import Inputs
from trayapp.paths import AppPaths
from trayapp.procs import CommandResult
from trayapp.supervisor.health import ProbeResult
from trayapp.supervisor.services import detect_service


def checkout(tmp_path: Path) -> Path:
    root = tmp_path / "nanoclaw"
    (root / "data" / "v2-sessions" / "main" / "s1").mkdir(parents=True)
    (root / "groups").mkdir()
    (root / "package.json").write_text(json.dumps({"name": "nanoclaw", "version": "2.0.64"}))
    return root


def program(root: Path) -> config_mod.ProgramConfig:
    text = f'[programs.assistant]\npreset = "nanoclaw"\ncwd = "{root}"\n'
    return config_mod.parse(text, environ={"HOME": str(root.parent)}).assistant


def test_v2_service_is_named_after_the_checkout(tmp_path: Path) -> None:
    root = checkout(tmp_path)
    digest = hashlib.sha1(str(root).encode()).hexdigest()[:8]
    units = tmp_path / ".config" / "systemd" / "user"
    units.mkdir(parents=True)
    (units / f"nanoclaw-v2-{digest}.service").write_text("[Service]\nExecStart=node dist/index.js\n")
    env = {"HOME": str(tmp_path), "XDG_CONFIG_DIRS": str(tmp_path / "x"), "XDG_DATA_DIRS": str(tmp_path / "y")}
    found = detect_service(program(root), environ=env, platform="linux", system_dirs=False)
    assert found is not None and found.name == f"nanoclaw-v2-{digest}.service"
    agents = tmp_path / "Library" / "LaunchAgents"
    agents.mkdir(parents=True)
    (agents / f"com.nanoclaw-v2-{digest}.plist").write_text("<plist/>")
    found = detect_service(program(root), environ=env, platform="macos", system_dirs=False)
    assert found is not None and found.name == f"com.nanoclaw-v2-{digest}"


def test_v1_service_is_still_found(tmp_path: Path) -> None:
    root = checkout(tmp_path)
    units = tmp_path / ".config" / "systemd" / "user"
    units.mkdir(parents=True)
    (units / "nanoclaw.service").write_text("[Service]\n")
    env = {"HOME": str(tmp_path), "XDG_CONFIG_DIRS": str(tmp_path / "x"), "XDG_DATA_DIRS": str(tmp_path / "y")}
    found = detect_service(program(root), environ=env, platform="linux", system_dirs=False)
    assert found is not None and found.name == "nanoclaw.service"


def test_doctor_reads_the_version_from_package_json_and_never_runs_it(tmp_path: Path) -> None:
    root = checkout(tmp_path)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "node").write_text("#!/bin/sh\n")
    (bin_dir / "node").chmod(0o755)
    calls: list[list[str]] = []

    class Runner:
        def run(self, argv: list[str]) -> CommandResult:
            calls.append(list(argv))
            return CommandResult(0, "v20.20.2\n")

    paths = AppPaths.discover({"TRAYAPP_HOME": str(tmp_path / "t")})
    cfg = config_mod.parse(f'[programs.assistant]\npreset = "nanoclaw"\ncwd = "{root}"\n',
                           environ={"HOME": str(tmp_path)})
    inp = Inputs(config=cfg, paths=paths, environ={"HOME": str(tmp_path), "PATH": str(bin_dir)}, platform="linux",
                 runner=Runner(), port_open=lambda h, p: False, listener_pid=lambda h, p: None,
                 probe=lambda c, cwd, env: ProbeResult(False, "refused"), running=lambda paths: None)
    found = {c.name: c for c in assistant.checks(inp)}
    assert found["NanoClaw program"].evidence.endswith("version 2.0.64")
    assert not any("--version" in argv for argv in calls)  # `node dist/index.js --version` would start it


def test_backup_keeps_the_databases_and_leaves_runtime_state_out(tmp_path: Path) -> None:
    root = checkout(tmp_path)
    for db in ("data/v2.db", "data/v2-sessions/main/s1/inbound.db"):
        with sqlite3.connect(root / db) as conn:
            conn.execute("create table t (x)")
    (root / "data" / "circuit-breaker.json").write_text('{"failures": 3}')
    (root / "groups" / "main.md").write_text("# main\n")
    paths = AppPaths.discover({"TRAYAPP_HOME": str(tmp_path / "t")})
    paths.ensure()
    cfg = config_mod.parse(f'[programs.assistant]\npreset = "nanoclaw"\ncwd = "{root}"\n',
                           environ={"HOME": str(tmp_path)})
    plan, _ = make_plan(cfg, paths, tmp_path / "backups")
    names = {str(i.path.relative_to(root)) for i in plan.items if i.path.is_relative_to(root)}
    assert {"data/v2.db", "data/v2-sessions/main/s1/inbound.db", "groups/main.md"} <= names
    assert "data/circuit-breaker.json" not in names
    assert {str(i.path.relative_to(root)) for i in plan.databases} >= {"data/v2.db", "data/v2-sessions/main/s1/inbound.db"}
