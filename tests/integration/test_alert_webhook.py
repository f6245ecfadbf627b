"""A real trayapp posts an alert to a real webhook whose URL came from the environment (${VAR})."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.running import Trayapp, child_command, wait_for

pytestmark = pytest.mark.slow


class Hook(http.server.BaseHTTPRequestHandler):
    received: list[tuple[str, dict[str, object]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        Hook.received.append((self.path, json.loads(body or b"{}")))
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test reads `received`, not the server's log."""


@pytest.fixture
def hook() -> Iterator[http.server.HTTPServer]:
    Hook.received = []
    server = http.server.HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_gave_up_alert_reaches_the_webhook_named_by_variables(tmp_path: Path, trayapps: list[Trayapp],
                                                              hook: http.server.HTTPServer) -> None:
    config = (f"[programs.assistant]\ncommand = {child_command('crash', 3)}\nstartsecs = \"0.5s\"\n"
              'max_restarts = 1\nwindow = "1m"\n'
              '[programs.assistant.backoff]\ninitial = "0.1s"\nmax = "0.2s"\njitter = 0\n'
              '[[alerts]]\nwhen = "gave up"\naction = "webhook"\n'
              'url = "http://127.0.0.1:${HOOK_PORT}/${HOOK_TOPIC}"\n')
    t = Trayapp(tmp_path / "h", config, env={"HOOK_PORT": str(hook.server_port), "HOOK_TOPIC": "ada-alerts"})
    assert t.cli("config", "check").returncode == 0
    trayapps.append(t.start())
    t.wait_state("given_up")
    wait_for(lambda: Hook.received, 30, "the webhook to be called")
    path, payload = Hook.received[0]
    assert path == "/ada-alerts" and payload, payload
    alert = wait_for(lambda: [e for e in t.journal() if e["event"] == "alert"], 15, "the alert in the journal")
    assert alert[0]["ok"] is True, alert
