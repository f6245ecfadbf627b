""""Open nanobot's own UI": the URL from the program's output (real line shapes), config.toml or the
preset, in Status.extra["own_ui"] while it runs, cleared when it stops."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.supervisor_rig import Rig, make_rig
from trayapp.config import parse
from trayapp.errors import ConfigError
from trayapp.supervisor import own_ui
from trayapp.supervisor.messages import Start, Stop
from trayapp.supervisor.output import RunListener

BOT = """
[programs.assistant]
command = ["bot", "serve"]
startsecs = "1s"
"""


@pytest.mark.parametrize("line, url", [
    ("WebUI: http://127.0.0.1:8765", "http://127.0.0.1:8765"),  # nanobot 0.3.5, as it prints it
    ("\x1b[1mWebUI:\x1b[0m http://127.0.0.1:28765", "http://127.0.0.1:28765"),
    ("Control UI: http://localhost:18789/", "http://localhost:18789/"),
    ("2026-11-30 | INFO | dashboard at http://[::1]:3000/app.", "http://[::1]:3000/app"),
    ("Web UI available on https://127.0.0.1:8443/ui", "https://127.0.0.1:8443/ui"),
])
def test_a_line_announcing_a_loopback_ui_gives_its_url(line: str, url: str) -> None:
    assert own_ui.announced(line) == url


@pytest.mark.parametrize("line", [
    "✓ Health endpoint: http://127.0.0.1:28790/health",  # nanobot, same output: not a UI
    "WebSocket server listening on ws://127.0.0.1:28765/",
    "WebUI: http://0.0.0.0:8765",  # not loopback
    "dashboard: http://192.168.1.5:8080",
    "WebUI: http://127.0.0.1.evil.example:8765",
    "Gateway will start so you can configure a provider and model in WebUI Settings →",
])
def test_other_urls_and_remote_hosts_are_not_offered(line: str) -> None:
    assert own_ui.announced(line) is None


def test_ui_url_in_config_is_validated(tmp_path: Path) -> None:
    good = parse(BOT + 'ui_url = "http://127.0.0.1:9999/"\n', environ={"HOME": str(tmp_path)})
    assert own_ui.configured(good.programs["assistant"]) == "http://127.0.0.1:9999/"
    with pytest.raises(ConfigError) as bad:
        parse(BOT + 'ui_url = "file:///etc/passwd"\n', environ={"HOME": str(tmp_path)})
    assert "http://" in str(bad.value.problems)


def test_openclaw_preset_knows_its_control_ui(tmp_path: Path) -> None:
    cfg = parse('[programs.claw]\npreset = "openclaw"\n', environ={"HOME": str(tmp_path)})
    assert own_ui.configured(cfg.programs["claw"]) == "http://127.0.0.1:18789/"


def test_the_listener_reports_the_first_announced_ui_once() -> None:
    said: list[str] = []
    listener = RunListener((), lambda verdict: None, lambda: 0.0, on_ui=said.append)
    for line in ("starting", "WebUI: http://127.0.0.1:8765", "WebUI: http://127.0.0.1:8766"):
        listener("stderr", line)
    assert said == ["http://127.0.0.1:8765"]


def started(tmp_path: Path, toml: str) -> Rig:
    rig = make_rig(tmp_path, toml)
    rig.sup.submit(Start())
    rig.step()
    return rig


def test_the_announced_ui_is_in_the_status_until_the_program_stops(tmp_path: Path) -> None:
    rig = started(tmp_path, BOT)
    assert own_ui.KEY not in rig.status().extra
    rig.log.print(rig.spawner.logs[-1], "stdout", "WebUI: http://127.0.0.1:8765\n🐈 Starting nanobot gateway")
    rig.step()
    assert rig.status().extra[own_ui.KEY] == "http://127.0.0.1:8765"
    rig.sup.submit(Stop())
    rig.step()
    rig.spawner.last.exit(0)
    rig.step()
    assert own_ui.KEY not in rig.status().extra


def test_a_crash_clears_it_and_the_configured_url_comes_back_with_the_next_start(tmp_path: Path) -> None:
    rig = started(tmp_path, BOT + 'ui_url = "http://127.0.0.1:9999/"\n')
    assert rig.status().extra[own_ui.KEY] == "http://127.0.0.1:9999/"
    rig.spawner.last.exit(1)
    rig.step()
    assert own_ui.KEY not in rig.status().extra
    rig.advance(60)
    assert rig.status().extra[own_ui.KEY] == "http://127.0.0.1:9999/"
