"""A real nanobot announces its WebUI; trayapp offers it while nanobot runs and forgets it once stopped."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.nanobot_fixture import NanobotHome, nanobot_home  # noqa: F401 - the fixture
from tests.integration.running import Trayapp, wait_for

pytestmark = pytest.mark.slow


def test_real_nanobots_webui_is_offered_while_it_runs(tmp_path: Path, trayapps: list[Trayapp],
                                                       nanobot_home: NanobotHome) -> None:  # noqa: F811
    nb = nanobot_home
    command = ", ".join(f'"{part}"' for part in nb.command)
    t = Trayapp(tmp_path / "trayapp", f'''
[programs.assistant]
preset = "nanobot"
command = [{command}]
env = {{ HOME = "{nb.home}" }}
[programs.assistant.health]
url = "{nb.health_url}"
interval = "1s"
start_grace = "90s"
''')
    trayapps.append(t.start())
    program = wait_for(lambda: (p := t.program())["extra"].get("own_ui") and p, 120, "nanobot's WebUI line")
    assert program["extra"]["own_ui"] == f"http://127.0.0.1:{nb.websocket_port}"
    t.cli("stop", "assistant")
    wait_for(lambda: t.program()["state"] == "stopped", 60, "nanobot to stop")
    assert "own_ui" not in t.program()["extra"]
