"""Health probes against real local servers: HTTP with JSON fields, TCP, commands, and timeouts."""

from __future__ import annotations

import json
import socket
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from trayapp.config import HealthConfig
from trayapp.supervisor.health import port_of, probe


@pytest.fixture
def server() -> Iterator[dict]:
    state: dict = {"status": 200, "body": {"status": "ok", "nested": {"ready": True}}}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(state["body"]).encode()
            self.send_response(state["status"])
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    state["url"] = f"http://127.0.0.1:{httpd.server_port}/health"
    yield state
    httpd.shutdown()


def test_http_ok_and_expected_fields(server: dict) -> None:
    assert probe(HealthConfig(url=server["url"])).ok
    assert probe(HealthConfig(url=server["url"], expect={"status": "ok", "nested.ready": True})).ok
    bad = probe(HealthConfig(url=server["url"], expect={"status": "live"}))
    assert not bad.ok and str(bad.detail) == "status is 'ok', expected 'live'"


def test_http_error_status_is_unhealthy(server: dict) -> None:
    server["status"] = 503
    result = probe(HealthConfig(url=server["url"]))
    assert not result.ok and "HTTP 503" in str(result.detail)


def test_refused_port_says_so() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = probe(HealthConfig(url=f"http://127.0.0.1:{port}/health", timeout=1))
    assert not result.ok and "connection refused" in str(result.detail)


def test_a_hung_endpoint_times_out() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)  # accepts the connection in the kernel, never answers
        result = probe(HealthConfig(url=f"http://127.0.0.1:{s.getsockname()[1]}/", timeout=0.3))
    assert not result.ok and "did not answer within 300ms" in str(result.detail)


def test_tcp_probe() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        assert probe(HealthConfig(tcp=f"127.0.0.1:{port}")).ok
    closed = probe(HealthConfig(tcp=f"127.0.0.1:{port}", timeout=0.5))
    assert not closed.ok and f"127.0.0.1:{port} is not accepting connections" in str(closed.detail)


def test_command_probe_reports_exit_and_stderr() -> None:
    assert probe(HealthConfig(command=(sys.executable, "-c", "pass"))).ok
    failing = probe(HealthConfig(command=(sys.executable, "-c", "import sys; sys.exit('no socket data/cli.sock')")))
    assert not failing.ok and str(failing.detail) == "health command exited 1: no socket data/cli.sock"
    slow = probe(HealthConfig(command=(sys.executable, "-c", "import time; time.sleep(5)"), timeout=0.3))
    assert not slow.ok and "did not finish within 300ms" in str(slow.detail)
    missing = probe(HealthConfig(command=("no-such-health-tool",)))
    assert not missing.ok and "could not run" in str(missing.detail)


def test_port_of() -> None:
    assert port_of("http://127.0.0.1:18790/health") == ("127.0.0.1", 18790)
    assert port_of("https://example.test/x") == ("example.test", 443)
    assert port_of(None) is None


def test_a_timed_out_health_command_leaves_no_helpers_behind(tmp_path) -> None:
    import os
    import time

    pid_file = tmp_path / "helper.pid"
    script = (f"import subprocess, sys, time; p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
              f"open({str(pid_file)!r}, 'w').write(str(p.pid)); time.sleep(60)")
    result = probe(HealthConfig(command=(sys.executable, "-c", script), timeout=1.0))
    assert not result.ok and "did not finish within 1s" in str(result.detail)
    helper = int(pid_file.read_text())
    for _ in range(50):
        try:
            os.kill(helper, 0)
        except ProcessLookupError:
            break
        with open(f"/proc/{helper}/stat") as f:
            if f.read().split()[2] == "Z":
                break
        time.sleep(0.05)
    else:
        raise AssertionError("the health command's helper process outlived the timeout")
