"""End to end with the real assistant: trayapp supervises `nanobot gateway`, sees it healthy,
it is SIGKILLed, and trayapp brings it back healthy."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.integration.running import Trayapp, free_port, wait_for

NANOBOT = shutil.which("nanobot") or str(Path(sys.executable).with_name("nanobot"))

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(NANOBOT) and not os.environ.get("TRAYAPP_REQUIRE_DESKTOP"),
                       reason="nanobot is not installed (pip install -e '.[nanobot]')"),
]


def onboard(tmp_path: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    """A HOME where `nanobot onboard` has run, its config.json then changed by `edit`."""
    home = tmp_path / "home"
    home.mkdir()
    subprocess.run([NANOBOT, "onboard"], env={**os.environ, "HOME": str(home)}, stdin=subprocess.DEVNULL,
                   capture_output=True, timeout=180, check=True)
    config_path = home / ".nanobot" / "config.json"
    config = json.loads(config_path.read_text())
    edit(config)
    config_path.write_text(json.dumps(config, indent=2))
    return home


def onboarded_home(tmp_path: Path, port: int) -> Path:
    """A HOME with `nanobot onboard` done, its gateway moved to `port` so nothing collides.

    A fresh onboard names a hosted model with no key, and the gateway refuses to start ("No
    provider is configured"); a local ollama provider needs no key, so the gateway runs.
    """
    def local_model(config: dict[str, Any]) -> None:
        config["gateway"]["port"] = port
        config["agents"]["defaults"].update(model="ollama/llama3.2", provider="ollama")
        config["providers"]["ollama"]["apiBase"] = "http://127.0.0.1:11434"
        config.setdefault("channels", {})["websocket"] = {"enabled": False}

    return onboard(tmp_path, local_model)


def test_real_nanobot_is_restarted_after_sigkill_and_healthy_again(tmp_path: Path, trayapps: list[Trayapp]) -> None:
    port = free_port()
    home = onboarded_home(tmp_path, port)
    t = Trayapp(tmp_path / "trayapp", f'''
[programs.assistant]
preset = "nanobot"
command = ["{NANOBOT}", "gateway", "--foreground"]
env = {{ HOME = "{home}" }}
[programs.assistant.health]
url = "http://127.0.0.1:{port}/health"
expect = {{ status = "ok" }}
interval = "1s"
start_grace = "90s"
''')
    trayapps.append(t.start())
    first = wait_for(lambda: (p := t.program())["health"] == "healthy" and p, 120, "nanobot to be healthy")
    assert first["state"] == "running" and first["mode"] == "managed"

    os.kill(first["pid"], signal.SIGKILL)
    again = wait_for(lambda: (p := t.program())["health"] == "healthy" and p["pid"] != first["pid"] and p,
                     120, "nanobot to be restarted and healthy again")
    assert again["restarts"] == 1 and again["last_exit"]["text"] == "killed by SIGKILL"
    assert again["state"] == "running", "healthy means ready: never shown as starting"
    assert not psutil.pid_exists(first["pid"]) or psutil.Process(first["pid"]).status() == psutil.STATUS_ZOMBIE
    kinds = [e["event"] for e in t.journal()]
    assert kinds.count("start") == 2 and "exit" in kinds
    assert t.terminate() == 0
    assert not psutil.pid_exists(again["pid"]) or psutil.Process(again["pid"]).status() == psutil.STATUS_ZOMBIE
