"""Back up the real ~/.nanobot that `nanobot onboard` creates, while `nanobot gateway` runs.

Uses the shared `nanobot_home` fixture (an onboarded nanobot in a temp HOME on free ports); it
skips or fails by the project's rule when nanobot is not installed.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.nanobot_fixture import NanobotHome, nanobot_home  # noqa: F401  (fixture)
from trayapp.backup import restore
from trayapp.backup.instance import ControlInstance
from trayapp.backup.service import run_backup
from trayapp.config import parse
from trayapp.journal import Journal
from trayapp.paths import AppPaths


@pytest.fixture
def gateway(nanobot_home: NanobotHome) -> Iterator[subprocess.Popen[bytes]]:  # noqa: F811
    proc = subprocess.Popen(nanobot_home.command, env=nanobot_home.env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    nanobot_home.wait_healthy(proc)
    yield proc
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def test_backs_up_the_real_nanobot_home_while_the_gateway_runs(nanobot_home: NanobotHome,  # noqa: F811
                                                               gateway: subprocess.Popen[bytes],
                                                               tmp_path: Path) -> None:
    home, data = nanobot_home.home, nanobot_home.nanobot_dir
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
    assert gateway.poll() is None and nanobot_home.healthy()  # the backup did not disturb the running gateway
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
