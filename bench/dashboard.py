"""The dashboard's speed: how fast the overview is served, and how soon a crash reaches an open page.

Budgets (issue 12): GET /api/overview served in <= 50 ms; a SIGKILL of the child reaches the page's
event stream in <= 500 ms. supervisord's own web page (inet_http_server, the nearest thing it has)
is timed in the same run for comparison; it has no live updates, so it has no crash figure. pm2's
dashboard is a paid web service, not a local page, so pm2 has no row.

Usage: python bench/dashboard.py [--requests 50] [--crashes 10] [--json]
"""

from __future__ import annotations

import argparse
import http.client
import http.cookiejar
import json
import os
import signal
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import PY, HeadlessTrayapp, Supervisord, free_port, median_ms, save, wait_for  # noqa: E402

OVERVIEW_BUDGET_MS, CRASH_BUDGET_MS = 50.0, 500.0
SLEEPER = f'["{PY}", "-c", "import time; time.sleep(3600)"]'


class Session:
    """A browser's view of the dashboard: logged in through the one-time URL, cookie kept."""

    def __init__(self, url: str) -> None:
        parts = urllib.parse.urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        opener.open(url, timeout=10).read()  # the login redirect sets the session cookie
        self.cookie = "; ".join(f"{c.name}={c.value}" for c in self.jar)
        if not self.cookie:
            raise RuntimeError("the one-time URL set no session cookie")

    def connection(self, timeout: float = 10) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def get(self, path: str) -> tuple[int, bytes]:
        conn = self.connection()
        try:
            conn.request("GET", path, headers={"Cookie": self.cookie, "Host": f"{self.host}:{self.port}"})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()


def dashboard_url(t: HeadlessTrayapp) -> str:
    def ask() -> str | None:
        done = t.cli("dashboard", "--json")
        return json.loads(done.stdout)["url"] if done.returncode == 0 else None

    return str(wait_for(ask, timeout=30))


def time_overview(session: Session, requests: int) -> dict[str, Any]:
    times = []
    for _ in range(requests):
        began = time.perf_counter()
        status, body = session.get("/api/overview")
        times.append(time.perf_counter() - began)
        if status != 200 or b'"programs"' not in body:
            raise RuntimeError(f"the overview answered {status}")
    return {"median_ms": median_ms(times), "max_ms": round(max(times) * 1000, 2), "requests": requests}


class EventStream:
    """GET /events, read one event at a time."""

    def __init__(self, session: Session) -> None:
        self.conn = session.connection(timeout=30)
        self.conn.request("GET", "/events", headers={"Cookie": session.cookie, "Accept": "text/event-stream",
                                                      "Host": f"{session.host}:{session.port}"})
        self.response = self.conn.getresponse()
        if self.response.status != 200:
            raise RuntimeError(f"/events answered {self.response.status}")

    def next(self) -> tuple[str, Any]:
        kind, data = "message", []
        while True:
            line = self.response.readline().decode("utf-8").rstrip("\r\n")
            if line == "" and data:
                return kind, json.loads("\n".join(data))
            if line.startswith("event:"):
                kind = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())

    def close(self) -> None:
        self.conn.close()


def child_pid(session: Session) -> int | None:
    status, body = session.get("/api/overview")
    programs = json.loads(body)["programs"] if status == 200 else []
    return programs[0].get("pid") if programs and programs[0].get("state") == "running" else None


def time_crashes(session: Session, crashes: int) -> dict[str, Any]:
    """Kill the child, then read the stream until its entry no longer shows that pid running."""
    times = []
    for _ in range(crashes):
        pid = wait_for(lambda: child_pid(session), timeout=60)
        stream = EventStream(session)
        try:
            stream.next()  # hello: the page is up to date
            began = time.perf_counter()
            os.kill(pid, signal.SIGKILL)
            while True:
                kind, data = stream.next()
                if kind == "status" and (data.get("pid") != pid or data.get("state") != "running"):
                    times.append(time.perf_counter() - began)
                    break
        finally:
            stream.close()
    return {"median_ms": median_ms(times), "max_ms": round(max(times) * 1000, 2), "crashes": crashes}


def supervisord_page(requests: int) -> dict[str, Any] | None:
    """supervisord's web status page (inet_http_server), timed the same way."""
    if not Supervisord.available():
        return None
    port = free_port()
    with Supervisord(f"{PY} -c 'import time; time.sleep(3600)'",
                     extra=f"[inet_http_server]\nport=127.0.0.1:{port}\n"):
        times = []
        for _ in range(requests):
            began = time.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/")
            body = conn.getresponse().read()
            conn.close()
            times.append(time.perf_counter() - began)
            if b"assistant" not in body:
                raise RuntimeError("supervisord's page did not list the program")
        return {"median_ms": median_ms(times), "max_ms": round(max(times) * 1000, 2), "requests": requests}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--crashes", type=int, default=10)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args()
    config = (f"[programs.assistant]\ncommand = {SLEEPER}\nstartsecs = 0.2\nmax_restarts = 1000\n"
              "[programs.assistant.backoff]\ninitial = 0.05\n")
    with HeadlessTrayapp(config) as t:
        session = Session(dashboard_url(t))
        overview = time_overview(session, args.requests)
        crash = time_crashes(session, args.crashes)
    result: dict[str, Any] = {"overview": overview, "crash_to_page": crash,
                              "budget": {"overview_ms": OVERVIEW_BUDGET_MS, "crash_to_page_ms": CRASH_BUDGET_MS}}
    theirs = supervisord_page(args.requests)
    if theirs is not None:
        result["supervisord_page"] = theirs
    result["within_budget"] = (overview["median_ms"] <= OVERVIEW_BUDGET_MS
                               and crash["median_ms"] <= CRASH_BUDGET_MS)
    path = save("dashboard", result)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        line = (f"dashboard: overview served in {overview['median_ms']} ms (median of {args.requests}; budget "
                f"{OVERVIEW_BUDGET_MS:g} ms); a crash reached the page in {crash['median_ms']} ms (median of "
                f"{args.crashes}; budget {CRASH_BUDGET_MS:g} ms)")
        if theirs is not None:
            line += f"; supervisord's status page {theirs['median_ms']} ms"
        print(f"{line}  -> {path}")
    sys.exit(0 if result["within_budget"] else 1)


if __name__ == "__main__":
    main()
