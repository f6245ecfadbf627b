"""`trayapp doctor` and `trayapp debug-bundle` as a user runs them, in a temporary HOME."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path

import pytest

from tests.integration.running import ROOT

pytestmark = pytest.mark.slow


def run(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(HOME=str(home), TRAYAPP_HOME=str(home / "trayapp"))
    return subprocess.run([sys.executable, "-m", "trayapp", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "trayapp"
    folder.mkdir(mode=0o700)
    marker = uuid.uuid4().hex  # a command no other process on this machine runs
    (folder / "config.toml").write_text(f'[programs.assistant]\ncommand = ["{sys.executable}", "-c", '
                                        f'"pass  # {marker}"]\n[programs.assistant.env]\n'
                                        'OPENAI_API_KEY = "sk-proj-abcdefghijklmnopqrstuvwxyz012345"\n')
    return tmp_path


def test_doctor_fails_on_a_world_writable_config_and_fix_repairs_it(home: Path) -> None:
    config = home / "trayapp" / "config.toml"
    os.chmod(config, 0o666)
    first = run(home, "doctor")
    assert first.returncode == 1, first.stdout + first.stderr
    assert f"FAIL  config.toml: {config} (config.toml) is 0666" in first.stdout
    report = json.loads(run(home, "doctor", "--json").stdout)
    assert report["ok"] is False and any(c["status"] == "fail" for c in report["checks"])
    fixed = run(home, "doctor", "--fix")
    assert f"changed: chmod 0600 {config} (was 0666)" in fixed.stdout
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    again = run(home, "doctor", "--json")
    assert again.returncode == 0 and json.loads(again.stdout)["ok"] is True


def test_doctor_json_covers_every_group(home: Path) -> None:
    report = json.loads(run(home, "doctor", "--json").stdout)
    groups = {c["group"] for c in report["checks"]}
    assert {"environment", "config", "assistant", "permissions", "disk and memory", "backups", "autostart",
            "databases"} <= groups
    assert "sk-proj" not in json.dumps(report)


def test_debug_bundle_command_writes_a_private_redacted_zip(home: Path) -> None:
    target = home / "bundle.zip"
    done = run(home, "debug-bundle", "--output", str(target))
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with zipfile.ZipFile(target) as zf:
        text = "".join(zf.read(n).decode() for n in zf.namelist())
    assert "sk-proj-abcdefghijklmnop" not in text and "OPENAI_API_KEY" in text
