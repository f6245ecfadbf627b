"""What a health endpoint answers cannot make a Status big: the detail is clipped (real HTTP server)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from trayapp.config import HealthConfig
from trayapp.supervisor.health import DETAIL_LIMIT, probe


class Huge(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"status": "x" * 60_000}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def huge_answer() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), Huge)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/health"
    server.shutdown()
    server.server_close()


def test_a_huge_unexpected_answer_is_clipped_in_the_detail(huge_answer: str) -> None:
    result = probe(HealthConfig(url=huge_answer, expect={"status": "ok"}, timeout=10))
    said = str(result.detail)  # the end of the longest value goes: the sentence still says what was expected
    assert not result.ok and said.startswith("status is 'xxx") and said.endswith("…, expected 'ok'")
    assert len(said) == DETAIL_LIMIT
