"""Permission checks against real files with real modes in a temporary HOME; --fix really chmods."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from trayapp import config as config_mod
from trayapp.doctor import Level, run_all
from trayapp.doctor.runner import run
from trayapp.doctor.inputs import Inputs
from trayapp.doctor import permissions
from trayapp.paths import AppPaths

NANOBOT = Path(sys.executable).with_name("nanobot")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def world(home: Path, toml: str = '[programs.assistant]\npreset = "nanobot"\n', fix: bool = False) -> Inputs:
    paths = AppPaths.discover({"TRAYAPP_HOME": str(home / "trayapp")})
    config = config_mod.parse(toml, environ={"HOME": str(home)})
    return Inputs(config=config, paths=paths, fix=fix, environ={"HOME": str(home), "PATH": os.defpath},
                  platform="linux")


@pytest.fixture(scope="module")
def onboarded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A HOME where the real `nanobot onboard` wrote its real config.json (0644, with an apiKey slot)."""
    if not NANOBOT.exists():
        pytest.fail(f"{NANOBOT} is missing: nanobot-ai belongs in the test environment (pip install nanobot-ai)")
    home = tmp_path_factory.mktemp("nanobot-home")
    subprocess.run([str(NANOBOT), "onboard"], env={**os.environ, "HOME": str(home)}, stdin=subprocess.DEVNULL,
                   capture_output=True, timeout=120, check=True)
    return home


def test_real_nanobot_config_is_0644_and_doctor_warns_then_fix_makes_it_0600(onboarded: Path, tmp_path: Path) -> None:
    config_json = onboarded / ".nanobot" / "config.json"
    os.chmod(config_json, 0o644)  # as `nanobot onboard` leaves it (reset: the fixture is shared)
    os.chmod(onboarded / ".nanobot", 0o755)
    checks = permissions.checks(world(onboarded))
    flagged = {c.evidence.split(" (")[0]: c for c in checks if c.level is not Level.OK}
    assert flagged[str(config_json)].level is Level.WARN
    assert "0644" in flagged[str(config_json)].evidence and "--fix" in flagged[str(config_json)].fix
    assert str(onboarded / ".nanobot") in flagged  # the data folder, 0755
    fixed = permissions.checks(world(onboarded, fix=True))
    assert mode(config_json) == 0o600 and mode(onboarded / ".nanobot") == 0o700
    changed = [line for c in fixed for line in c.changed]
    assert f"chmod 0600 {config_json} (was 0644)" in changed
    assert all(c.level is Level.OK for c in permissions.checks(world(onboarded)))


def test_databases_wal_files_backups_and_control_socket_are_checked(tmp_path: Path) -> None:
    import socket

    data = tmp_path / ".openclaw" / "state"
    data.mkdir(parents=True, mode=0o700)
    os.chmod(tmp_path / ".openclaw", 0o700)
    db = data / "openclaw.sqlite"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (x)")
    conn.execute("INSERT INTO t VALUES (1)")
    conn.commit()  # keep it open: the -wal and -shm files exist while it is
    for f in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        os.chmod(f, 0o644)
    inp = world(tmp_path, '[programs.assistant]\npreset = "openclaw"\n')
    inp.paths.ensure()
    backups = inp.paths.backup_dir
    backups.mkdir(mode=0o755)
    archive = backups / "trayapp-backup-20260101T030000Z.tar.gz"
    archive.write_bytes(b"x")
    os.chmod(archive, 0o640)
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(inp.paths.control_socket))
    os.chmod(inp.paths.control_socket, 0o666)
    try:
        flagged = {c.evidence.split(" (")[0]: c.level for c in permissions.checks(inp) if c.level is not Level.OK}
    finally:
        sock.close()
        conn.close()
    assert flagged[str(db)] is Level.WARN and flagged[f"{db}-wal"] is Level.WARN and flagged[f"{db}-shm"] is Level.WARN
    assert flagged[str(backups)] is Level.WARN and flagged[str(archive)] is Level.WARN
    assert flagged[str(inp.paths.control_socket)] is Level.FAIL  # world-writable


def test_world_writable_config_fails_the_whole_report(tmp_path: Path) -> None:
    inp = world(tmp_path)
    inp.paths.ensure()
    inp.paths.config_file.write_text('[programs.assistant]\npreset = "nanobot"\n')
    os.chmod(inp.paths.config_file, 0o666)
    report = run(inp, groups=(permissions,))
    assert report.failed and report.exit_code == 1
    fixed = run_all(inp.config, inp.paths, fix=True, environ=inp.environ, platform="linux")
    assert mode(inp.paths.config_file) == 0o600
    assert any(f"chmod 0600 {inp.paths.config_file} (was 0666)" in c.changed for c in fixed.checks)


def test_symlinks_are_never_followed_or_changed(tmp_path: Path) -> None:
    inp = world(tmp_path)
    inp.paths.ensure()
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("not ours")
    os.chmod(outside, 0o644)
    inp.paths.config_file.symlink_to(outside)
    run(Inputs(**{**inp.__dict__, "fix": True}), groups=(permissions,))
    assert mode(outside) == 0o644
