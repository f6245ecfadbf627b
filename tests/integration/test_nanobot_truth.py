"""The truth about the real nanobot: a fresh onboard runs but cannot answer (degraded, never green,
with the fix, in status and a notification), and doctor beside a healthy instance agrees with it."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.integration.running import Trayapp, free_port, wait_for
from tests.integration.test_nanobot_e2e import NANOBOT, onboard, onboarded_home

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(NANOBOT) and not os.environ.get("TRAYAPP_REQUIRE_DESKTOP"),
                       reason="nanobot is not installed (pip install -e '.[nanobot]')"),
]


def fresh_onboard(tmp_path: Path, port: int, webui_port: int) -> Path:
    """`nanobot onboard` as a new user runs it: a hosted model with no key and the web UI on, so the
    gateway starts anyway and says "Provider/model setup is incomplete"."""
    def own_ports(config: dict[str, Any]) -> None:
        config["gateway"]["port"] = port
        config.setdefault("channels", {}).setdefault("websocket", {}).update(enabled=True, port=webui_port)

    return onboard(tmp_path, own_ports)


def nanobot_config(home: Path, port: int, binary: str = NANOBOT) -> str:
    return f'''
[programs.assistant]
preset = "nanobot"
command = ["{binary}", "gateway", "--foreground"]
env = {{ HOME = "{home}" }}
[programs.assistant.health]
url = "http://127.0.0.1:{port}/health"
interval = "1s"
start_grace = "90s"
'''


def test_a_fresh_nanobot_with_no_provider_is_degraded_with_the_fix(tmp_path: Path, trayapps: list[Trayapp]) -> None:
    port = free_port()
    home = fresh_onboard(tmp_path, port, free_port())
    t = Trayapp(tmp_path / "trayapp", nanobot_config(home, port))
    trayapps.append(t.start())
    seen = wait_for(lambda: (p := t.program())["health"] == "degraded" and p, 120, "nanobot to be degraded")
    assert seen["state"] == "running"
    assert "no usable model provider" in seen["health_detail"] or "has no API key" in seen["health_detail"]
    assert "ollama" in seen["health_fix"]
    status = t.cli("status")
    assert "cannot answer" in status.stdout and "ollama" in status.stdout, status.stdout
    journal = [e for e in t.journal() if e["event"] == "health"]
    assert [e["status"] for e in journal] == ["degraded"], "never journaled as healthy first"
    # No notification daemon in this test: the notice goes to trayapp's own log, in words.
    wait_for(lambda: "nanobot cannot answer" in t.paths.trayapp_log.read_text(), 20, "the degraded notice")
    assert t.terminate() == 0


def test_doctor_beside_a_healthy_nanobot_agrees_with_the_instance(tmp_path: Path, trayapps: list[Trayapp]) -> None:
    port = free_port()
    home = onboarded_home(tmp_path, port)  # a local ollama provider: no key needed, healthy
    # By name, with nanobot not on this PATH: the instance finds it beside its own interpreter.
    t = Trayapp(tmp_path / "trayapp", nanobot_config(home, port, "nanobot"), env={"PATH": "/usr/bin:/bin"})
    trayapps.append(t.start())
    wait_for(lambda: t.program()["health"] == "healthy", 120, "nanobot to be healthy")
    done = t.cli("doctor", "--json", timeout=120)
    report = json.loads(done.stdout)
    checks = {c["name"]: c for c in report["checks"]}
    # nanobot is not on this PATH: the instance runs it from trayapp's own virtualenv, and doctor says so.
    assert checks["nanobot program"]["status"] == "ok" and "running as pid" in checks["nanobot program"]["evidence"]
    assert checks["health"]["status"] == "ok", checks["health"]
    assert checks["nanobot model provider"]["status"] == "ok", checks["nanobot model provider"]
    contradicting = [c for c in report["checks"] if c["group"] in ("assistant", "config") and c["status"] in ("fail", "warn")]
    assert not contradicting, contradicting
    assert t.terminate() == 0
