"""Back up the real ~/.nanobot that `nanobot onboard` creates, while `nanobot gateway` runs.

Uses its own temporary HOME (HOME=tmp nanobot onboard). Skipped only when nanobot is not
installed; CI installs the `nanobot` extra.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tarfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from trayapp.backup import restore
from trayapp.backup.instance import ControlInstance
from trayapp.backup.service import run_backup
from trayapp.config import parse
from trayapp.journal import Journal
from trayapp.paths import AppPaths

NANOBOT = shutil.which("nanobot") or str(Path(sys.executable).with_name("nanobot"))
pytestmark = pytest.mark.skipif(not os.path.exists(NANOBOT), reason="nanobot is not installed (pip install nanobot-ai)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as r:
            return json.load(r).get("status") == "ok"
    except OSError:
        return False


@pytest.fixture
def nanobot_home(tmp_path: Path) -> Iterator[tuple[Path, int, subprocess.Popen]]:
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home)}
    subprocess.run([NANOBOT, "onboard"], env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=120,
                   check=True)
    config_path = home / ".nanobot" / "config.json"
    config = json.loads(config_path.read_text())
    port = free_port()
    config["gateway"]["port"] = port  # never collide with a real gateway or a parallel test
    config["channels"]["websocket"] = {"enabled": True, "port": free_port()}
    config_path.write_text(json.dumps(config, indent=2))
    gateway = subprocess.Popen([NANOBOT, "gateway", "--foreground"], env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while not healthy(port):
        assert gateway.poll() is None, "nanobot gateway exited during start"
        assert time.monotonic() < deadline, "nanobot gateway did not become healthy in 60s"
        time.sleep(0.2)
    yield home, port, gateway
    gateway.terminate()
    try:
        gateway.wait(15)
    except subprocess.TimeoutExpired:
        gateway.kill()
        gateway.wait()


def test_backs_up_the_real_nanobot_home_while_the_gateway_runs(nanobot_home, tmp_path: Path) -> None:
    home, port, gateway = nanobot_home
    data = home / ".nanobot"
    # A SQLite database in use, as nanobot's usage store keeps one under its data dir.
    usage = sqlite3.connect(data / "llm_usage.sqlite3")
    usage.execute("PRAGMA journal_mode=WAL")
    usage.execute("CREATE TABLE usage(tokens INTEGER)")
    with usage:
        usage.executemany("INSERT INTO usage VALUES (?)", [(i,) for i in range(100)])
    paths = AppPaths(tmp_path / "cfg", tmp_path / "state", tmp_path / "logs", tmp_path / "appdata")
    paths.ensure()
    config = parse("", environ={"HOME": str(home)})  # the default: the nanobot preset
    assert config.assistant.data_dirs == (data,)

    result = run_backup(config, paths, Journal(paths.journal_file), verify=True)
    usage.close()
    assert result.ok, result.error
    assert result.verified is True and result.databases == 1
    assert gateway.poll() is None and healthy(port)  # the backup did not disturb the running gateway
    with tarfile.open(result.path) as tar:
        names = set(tar.getnames())
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
    for expected in ("nanobot/config.json", "nanobot/workspace/SOUL.md", "nanobot/workspace/.git/HEAD",
                     "nanobot/workspace/memory", "nanobot/llm_usage.sqlite3"):
        assert expected in names, expected
    assert not [n for n in names if n.endswith(".lock")]  # runtime locks are excluded
    assert not [n for n in names if n.endswith(("-wal", "-shm"))]
    assert manifest["preset"] == "nanobot" and manifest["sources"][0]["path"] == str(data)
    assert any(f["path"] == "nanobot/llm_usage.sqlite3" and f.get("sqlite") for f in manifest["files"])

    # And it comes back: stop the gateway (nothing runs it but us), change SOUL.md, restore with
    # no trayapp running, and the original returns.
    gateway.terminate()
    gateway.wait(15)
    soul = data / "workspace" / "SOUL.md"
    original = soul.read_bytes()
    soul.write_text("changed after the backup\n")
    plan = restore.prepare(result.path, config, paths)
    outcome = restore.execute(plan, ControlInstance(paths))
    assert outcome.ok, outcome.error
    assert soul.read_bytes() == original
    assert (Path(outcome.moved_aside[str(data)]) / "workspace" / "SOUL.md").read_text() == "changed after the backup\n"
