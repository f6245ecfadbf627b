"""Doctor groups against real files: backups, autostart, databases, the assistant; and the report."""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import shutil
from pathlib import Path

import pytest

from trayapp import config as config_mod
from trayapp.procs import CommandResult
from trayapp.backup.catalog import mark_verified
from trayapp.doctor import Level, assistant, autostart, backups, database
from trayapp.doctor.inputs import Inputs
from trayapp.doctor.report import Report, fail, ok, warn
from trayapp.journal import Journal
from trayapp.paths import AppPaths
from trayapp.supervisor.health import ProbeResult

NOW = 1_800_000_000.0  # 2027-01-15


class Runner:
    def __init__(self, answers: dict[str, CommandResult] | None = None) -> None:
        self.answers, self.calls = answers or {}, []

    def run(self, argv):
        self.calls.append(list(argv))
        return self.answers.get(argv[-1], CommandResult(127, "", "not found"))


def inputs(tmp_path: Path, toml: str = '[programs.assistant]\npreset = "nanobot"\n', **kw) -> Inputs:
    paths = AppPaths.discover({"TRAYAPP_HOME": str(tmp_path / "t")})
    paths.ensure()
    cfg = config_mod.parse(toml, environ={"HOME": str(tmp_path)})
    base = dict(config=cfg, paths=paths, environ={"HOME": str(tmp_path), "PATH": str(tmp_path / "bin")},
                platform="linux", now=lambda: NOW, runner=Runner(), port_open=lambda h, p: False,
                listener_pid=lambda h, p: None, probe=lambda cfg, cwd, env: ProbeResult(False, "connection refused"),
                running=lambda paths: None, resolve=lambda name, env, cwd: shutil.which(name, path=env.get("PATH")))
    return Inputs(**{**base, **kw})


def archive(dest: Path, stamp: str, verified: bool | None) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / f"trayapp-backup-{stamp}.tar.gz"
    path.write_bytes(b"backup")
    if verified is not None:
        mark_verified(path, verified, [], NOW)
    return path


def test_backup_older_than_the_schedule_allows_warns(tmp_path: Path) -> None:
    inp = inputs(tmp_path, '[programs.assistant]\npreset = "nanobot"\n[backup]\nschedule = "daily 03:00"\n')
    archive(inp.paths.backup_dir, "20270110T030000Z", True)  # 5 days old
    archive(inp.paths.backup_dir, "20270114T030000Z", None)  # newer, but never verified
    (check,) = backups.checks(inp)
    assert check.level is Level.WARN and "20270110" in check.evidence and "verified" in check.evidence


def test_recent_verified_backup_is_ok(tmp_path: Path) -> None:
    inp = inputs(tmp_path, '[programs.assistant]\npreset = "nanobot"\n[backup]\nschedule = "every 6h"\n')
    archive(inp.paths.backup_dir, "20270115T000000Z", True)  # NOW is 2027-01-15T08:00Z: 8h < 9h
    (check,) = backups.checks(inp)
    assert check.level is Level.OK


def test_last_backup_failed_is_read_from_the_journal(tmp_path: Path) -> None:
    inp = inputs(tmp_path)
    journal = Journal(inp.paths.journal_file)
    journal.record("backup", ok=True, path="/b/1", size=10)
    journal.record("backup", ok=False, error="not enough space on /b", fix="free some space")
    assert journal.flush()
    found = {c.name: c for c in backups.checks(inp)}
    assert found["last attempt"].level is Level.FAIL and "not enough space" in found["last attempt"].evidence
    assert found["last attempt"].fix == "free some space"


def test_autostart_pointing_at_a_moved_virtualenv_fails(tmp_path: Path) -> None:
    check = autostart.judge(False, "/home/ann/.config/autostart/trayapp.desktop", "its program is missing",
                            ("/usr/bin/env", "TRAYAPP_HOME=/x", str(tmp_path / "old-venv/bin/trayapp"), "run"), None)
    assert check.level is Level.FAIL and "old-venv" in check.evidence and "autostart enable" in check.fix
    here = tmp_path / "trayapp"
    here.write_text("#!/bin/sh\n")
    assert autostart.judge(True, "/a.desktop", "starts at login", (str(here), "run"), str(here)).level is Level.OK
    other = autostart.judge(True, "/a.desktop", "starts at login", (str(here), "run"), sys.executable)
    assert other.level is Level.WARN


def test_autostart_reads_the_real_xdg_entry(tmp_path: Path) -> None:
    folder = tmp_path / ".config" / "autostart"
    folder.mkdir(parents=True)
    gone = tmp_path / "moved" / "bin" / "trayapp"
    (folder / "trayapp.desktop").write_text(f"[Desktop Entry]\nType=Application\nName=trayapp\n"
                                            f"Exec=\"{gone}\" run --autostart\nTryExec={gone}\n")
    (check,) = autostart.checks(inputs(tmp_path))
    assert check.level is Level.FAIL and str(gone) in check.evidence


def _db(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    conn.executemany("INSERT INTO notes (body) VALUES (?)", [("x" * 500,) for _ in range(200)])
    conn.commit()
    conn.close()
    return path


def test_integrity_check_is_read_only_and_finds_damage(tmp_path: Path) -> None:
    good = _db(tmp_path / ".nanobot" / "sessions" / "good.db")
    bad = _db(tmp_path / ".nanobot" / "memory" / "store")  # no extension: found by its header
    with open(bad, "r+b") as f:  # scribble over the table's root page header, keep the file header
        f.seek(4096)
        f.write(b"\xff" * 12)
    before = good.stat().st_mtime_ns, sorted(p.name for p in good.parent.iterdir())
    found = {c.name: c for c in database.checks(inputs(tmp_path))}
    assert found["good.db"].level is Level.OK
    assert found["store"].level is Level.FAIL and "restore" in found["store"].fix
    assert (good.stat().st_mtime_ns, sorted(p.name for p in good.parent.iterdir())) == before


def test_assistant_missing_binary_and_config_fail_with_install_hints(tmp_path: Path) -> None:
    found = {c.name: c for c in assistant.checks(inputs(tmp_path))}
    assert found["nanobot program"].level is Level.FAIL and "pip install nanobot-ai" in found["nanobot program"].fix
    assert found["nanobot config"].level is Level.FAIL and found["nanobot config"].fix == "run: nanobot onboard"
    assert found["health"].level is Level.WARN


def test_assistant_binary_version_port_holder_and_own_service(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    nanobot = bin_dir / "nanobot"
    nanobot.write_text("#!/bin/sh\n")
    nanobot.chmod(0o755)
    units = tmp_path / ".config" / "systemd" / "user"
    units.mkdir(parents=True)
    (units / "nanobot-gateway.service").write_text("[Service]\nExecStart=nanobot gateway\n")
    runner = Runner({"--version": CommandResult(0, "🐈 nanobot v0.3.5\n")})
    inp = inputs(tmp_path, runner=runner, port_open=lambda h, p: True, listener_pid=lambda h, p: os.getpid(),
                 probe=lambda cfg, cwd, env: ProbeResult(True, "HTTP 200"))
    found = {c.name: c for c in assistant.checks(inp)}
    assert found["nanobot program"].evidence == f"{nanobot}, 🐈 nanobot v0.3.5"
    assert runner.calls == [[str(nanobot), "--version"]]
    assert found["port"].level is Level.WARN and f"pid {os.getpid()}" in found["port"].evidence
    assert found["own service"].level is Level.WARN
    assert '[programs.assistant.attach]  systemd_user = "nanobot-gateway.service"' in found["own service"].fix
    assert found["health"].level is Level.OK


@pytest.mark.parametrize("cmdline, hit", [
    (["/usr/bin/python3", "-m", "nanobot", "gateway", "--foreground"], True),
    (["/home/a/.venv/bin/nanobot", "gateway"], True),
    (["nanobot", "webui"], False),
    (["vim", "nanobot.txt"], False),
])
def test_copy_detection_matches_program_and_subcommand(cmdline: list[str], hit: bool) -> None:
    assert assistant.matches(cmdline, ("nanobot", "gateway", "--foreground")) is hit


def test_custom_commands_match_only_as_a_whole() -> None:
    argv = ("python3", "-c", "serve()")
    assert assistant.matches(["/usr/bin/python3", "-c", "serve()"], argv, whole=True)
    assert not assistant.matches(["/usr/bin/python3", "-c", "other()"], argv, whole=True)


def test_report_renders_text_and_json_and_fails_on_any_fail() -> None:
    report = Report.of([ok("assistant", "port", "free"), warn("backups", "last", "old", "back up"),
                        fail("config", "config.toml", "bad key", "edit it")])
    text = report.render_text()
    assert "FAIL  config.toml: bad key" in text and "fix: edit it" in text and "fix: back up" in text
    assert report.exit_code == 1 and "1 failed, 1 warnings, 1 ok" in text
    data = json.loads(json.dumps(report.to_dict()))
    assert data["ok"] is False and [c["status"] for c in data["checks"]] == ["ok", "warn", "fail"]
    assert Report.of([ok("a", "b", "c")]).exit_code == 0
