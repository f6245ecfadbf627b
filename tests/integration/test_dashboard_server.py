"""The dashboard of a real `trayapp run --headless`, reached as a browser reaches it: the one-time
link from `trayapp dashboard`, the cookie, the API, the event stream, and where it listens."""

from __future__ import annotations

import html
import http.client
import ipaddress
import json
import os
import socket
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import psutil

from tests.integration.running import Trayapp, child_command, wait_for
from tests.sse import read_events

SIGKILL = 9  # signal.SIGKILL, which the type checker does not know for Windows (these tests run on POSIX)


def _config(extra: str = "") -> str:
    return f"[programs.assistant]\ncommand = {child_command('sleep')}\nstartsecs = 0.2\n{extra}"


def _link(t: Trayapp, page: str = "overview") -> dict[str, Any]:
    done = t.cli("dashboard", "--json", "--page", page)
    assert done.returncode == 0, done.stderr
    reply: dict[str, Any] = json.loads(done.stdout)
    return reply


class Tab:
    """One browser tab: it follows the one-time link, keeps the cookie and the CSRF token."""

    def __init__(self, url: str) -> None:
        self.port = int(urlsplit(url).port or 0)
        self.cookie = ""
        first = self.get(url.split(str(self.port), 1)[1])
        assert first.status == 303, first.read()
        self.cookie = first.headers["Set-Cookie"].split(";")[0]
        page = self.get("/").read().decode()
        self.csrf = page.split('name="csrf-token" content="')[1].split('"')[0]

    def get(self, path: str, **headers: str) -> http.client.HTTPResponse:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        sent = {"Host": f"127.0.0.1:{self.port}", **headers}
        if self.cookie:
            sent["Cookie"] = self.cookie
        conn.request("GET", path, headers=sent)
        return conn.getresponse()

    def post(self, path: str, body: dict[str, Any], origin: str | None = None) -> http.client.HTTPResponse:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.request("POST", path, json.dumps(body).encode(), {
            "Host": f"127.0.0.1:{self.port}", "Cookie": self.cookie, "X-CSRF-Token": self.csrf,
            "Origin": origin or f"http://127.0.0.1:{self.port}", "Content-Type": "application/json"})
        return conn.getresponse()

    def events(self) -> Iterator[tuple[str, Any]]:
        resp = self.get("/events", Accept="text/event-stream")
        assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/event-stream")
        yield from read_events(resp)


def _next_status(events: Iterator[tuple[str, Any]], want: Any) -> dict[str, Any]:
    """Read the stream until a `status` event satisfies `want` (the socket timeout guards a hang)."""
    for kind, data in events:
        if kind == "status" and want(data):
            return dict(data)
    raise AssertionError("the event stream ended")


def test_the_dashboard_of_a_running_trayapp(tmp_path: Path, trayapps: list[Trayapp]) -> None:
    t = Trayapp(tmp_path / "home", _config())
    trayapps.append(t.start())
    first_pid = t.wait_state("running")["pid"]
    link = _link(t, "logs")
    assert urlsplit(link["url"]).hostname == "127.0.0.1" and "next=/logs" in link["url"]

    anonymous = http.client.HTTPConnection("127.0.0.1", link["port"], timeout=30)
    anonymous.request("GET", "/api/overview", headers={"Host": f"127.0.0.1:{link['port']}"})
    refused = anonymous.getresponse()
    assert refused.status == 401 and b"assistant" not in refused.read()

    tab = Tab(link["url"])
    overview = json.loads(tab.get("/api/overview").read())
    assert t.proc is not None and overview["pid"] == t.proc.pid
    assert [(p["program"], p["pid"]) for p in overview["programs"]] == [("assistant", first_pid)]

    # A cross-origin POST changes nothing; the page's own restarts, and the stream shows it.
    events = tab.events()
    assert next(events)[0] == "hello"
    assert tab.post("/api/programs/assistant/restart", {}, origin="http://evil.example").status == 403
    assert tab.post("/api/programs/assistant/restart", {}).status == 200
    restarted = _next_status(events, lambda s: s["state"] == "running" and s["pid"] not in (None, first_pid))
    assert restarted["view"]["phrase"].startswith("running")

    # A crash reaches the stream without a reload.
    os.kill(restarted["pid"], SIGKILL)
    crashed = _next_status(events, lambda s: (s["last_exit"] or {}).get("signal") == SIGKILL)
    assert crashed["program"] == "assistant" and crashed["last_exit_at"] is not None


def test_it_listens_on_loopback_only(tmp_path: Path, trayapps: list[Trayapp]) -> None:
    t = Trayapp(tmp_path / "home", _config())
    trayapps.append(t.start())
    port = _link(t)["port"]
    assert t.proc is not None
    listening = [c for c in psutil.Process(t.proc.pid).net_connections(kind="inet")
                 if c.status == psutil.CONN_LISTEN]
    assert port in {c.laddr.port for c in listening}
    assert all(ipaddress.ip_address(c.laddr.ip).is_loopback for c in listening), listening


def test_the_port_and_the_sessions_survive_a_restart_of_trayapp(tmp_path: Path, trayapps: list[Trayapp]) -> None:
    t = Trayapp(tmp_path / "home", _config())
    trayapps.append(t.start())
    link = _link(t)
    tab = Tab(link["url"])
    assert t.cli("quit").returncode == 0
    assert t.proc is not None and t.proc.wait(30) == 0
    t.start()
    assert _link(t)["port"] == link["port"]
    assert tab.get("/api/overview").status == 200  # the bookmarked tab still works
    assert t.cli("dashboard", "--rotate", "--json").returncode == 0
    assert tab.get("/api/overview").status == 401  # rotation signed it out


def test_a_port_in_use_leaves_trayapp_running_without_the_dashboard(tmp_path: Path,
                                                                    trayapps: list[Trayapp]) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        t = Trayapp(tmp_path / "home", _config(f"[dashboard]\nport = {port}\n"))
        trayapps.append(t.start())
        t.wait_state("running")
        entry = wait_for(lambda: next((e for e in t.journal() if e["event"] == "dashboard_unavailable"), None),
                         what="the journal to say the dashboard could not start")
        assert entry["port"] == port
        history = t.cli("history")
        assert f"the dashboard could not start on port {port}" in history.stdout
        assert "[dashboard] port" in history.stdout
        asked = t.cli("dashboard")
        assert asked.returncode == 1 and "the dashboard is not running" in asked.stderr


def test_dashboard_open_keeps_the_code_out_of_the_browsers_command_line(tmp_path: Path,
                                                                        trayapps: list[Trayapp]) -> None:
    argv_file = tmp_path / "browser-argv.json"
    browser = tmp_path / "browser"
    browser.write_text(f"#!{sys.executable}\nimport json, sys\n"
                       f"open({str(argv_file)!r}, 'w').write(json.dumps(sys.argv))\n")
    browser.chmod(0o700)
    t = Trayapp(tmp_path / "home", _config(), env={"BROWSER": f"{browser} %s"})
    trayapps.append(t.start())
    done = t.cli("dashboard", "--open", "--page", "logs")
    assert done.returncode == 0 and "open in your browser" in done.stdout, done.stdout + done.stderr
    argv = json.loads(argv_file.read_text())
    assert not any("code=" in arg for arg in argv), argv
    launch = Path(unquote(urlsplit(argv[-1]).path))
    assert argv[-1].startswith("file://") and stat.S_IMODE(launch.stat().st_mode) == 0o600
    url = html.unescape(launch.read_text().split('http-equiv="refresh" content="0;url=')[1].split('"')[0])
    tab = Tab(url)  # the page the file leads to signs the browser in
    assert tab.get("/api/overview").status == 200
