"""A DashboardHost made of fakes, and a small HTTP client for the dashboard's unit tests.

The server under test is real (real sockets on 127.0.0.1); the app behind it is not."""

from __future__ import annotations

import dataclasses
from contextlib import contextmanager
import http.client
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from trayapp.backup.instance import Instance
from trayapp.config import Config, DashboardConfig
from trayapp.dashboard import routes
from trayapp.dashboard.server import DashboardServer, cookie_name
from trayapp.diskwatch import Level
from trayapp.errors import ControlError
from trayapp.events import EventBus, StatusChanged
from trayapp.journal import Journal
from trayapp.metrics import SampleStore
from trayapp.paths import AppPaths
from trayapp.status import Control, Mode, State, Status, refusal

from tests.sse import read_events

E = TypeVar("E")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakeNotifier:
    def __init__(self) -> None:
        self.until: float | None = None

    @property
    def paused_until(self) -> float | None:
        return self.until

    def pause(self, seconds: float) -> float | None:
        self.until = 2_000_000_000.0 + seconds
        return self.until

    def resume(self) -> None:
        self.until = None


class FakeBackups:
    progress: str | None = None
    last_ok_at: float | None = None

    def request(self) -> str:
        return "started"

    def info(self) -> dict[str, Any]:
        return {"running": None}

    def start_backup(self) -> str:
        raise AssertionError("these tests start no backup")

    def verify(self, archive: Path) -> str:
        raise AssertionError("these tests verify no backup")

    def restore(self, archive: Path, instance: Instance) -> str:
        raise AssertionError("these tests restore no backup")


class FakeDisk:
    level = Level.OK

    def snapshot(self) -> list[dict[str, Any]]:
        return [{"path": "/", "level": "ok", "free": 2_000_000_000, "total": 8_000_000_000}]


class CountingBus(EventBus):
    """An EventBus that can say how many handlers listen: a stream must unsubscribe when it ends."""

    def __init__(self) -> None:
        super().__init__()
        self.listening = 0

    def subscribe(self, kind: type[E], handler: Callable[[E], None]) -> Callable[[], None]:
        off = super().subscribe(kind, handler)
        self.listening += 1

        def unsubscribe() -> None:
            off()
            self.listening -= 1

        return unsubscribe


class FakeHost:
    """Programs "alpha" (managed, pid 100) and "beta" (external: trayapp may not touch it)."""

    def __init__(self, home: Path, port: int = 0) -> None:
        self.paths = AppPaths.discover({"TRAYAPP_HOME": str(home)})
        self.paths.ensure()
        self.config = Config(programs={}, dashboard=DashboardConfig(port=port))
        self.bus = CountingBus()
        self.journal = Journal(self.paths.journal_file, self.bus)
        self.notifier = FakeNotifier()
        self.backups = FakeBackups()
        self.disk = FakeDisk()
        self.config_problems: tuple[str, ...] = ()
        self.commands: list[tuple[str, str | None]] = []
        self.reloads = 0
        self._statuses = {
            "alpha": Status("alpha", "Alpha Bot", State.RUNNING, pid=100, started_at=1.0, memory=52_000_000, cpu=3.4),
            "beta": Status("beta", "Beta", State.RUNNING, mode=Mode.EXTERNAL, control=Control.NONE, owner="pid 7"),
        }

    @property
    def samples(self) -> SampleStore:
        raise AssertionError("these tests do not read samples")

    def statuses(self) -> list[Status]:
        return list(self._statuses.values())

    def command(self, verb: str, program: str | None) -> str:
        """Like App.command: the status decides; a restart gives a new pid at once."""
        assert program is not None
        old = self._statuses[program]
        why = refusal(old, verb)
        if why is not None:
            raise ControlError(why)
        self.commands.append((verb, program))
        if verb == "restart":
            self.set_status(dataclasses.replace(old, pid=(old.pid or 0) + 1))
        return "requested"

    def set_status(self, new: Status) -> None:
        old = self._statuses.get(new.program)
        self._statuses[new.program] = new
        self.bus.publish(StatusChanged(old, new))

    def reload(self) -> dict[str, Any]:
        self.reloads += 1
        return {"ok": True, "changes": "nothing changed"}

    def log_file(self, program: str) -> Path:
        return self.paths.program_log(program)


@dataclasses.dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Browser:
    """Requests as a browser sends them, with every header under the test's control."""

    def __init__(self, server: DashboardServer) -> None:
        self.server = server
        self.cookie = ""
        self.csrf = ""

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    def call(self, method: str, path: str, *, host: str | None = None, body: Any = None,
             headers: dict[str, str] | None = None, cookie: str | None = None) -> Reply:
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        sent = {"Host": f"127.0.0.1:{self.server.port}" if host is None else host, **(headers or {})}
        jar = self.cookie if cookie is None else cookie
        if jar:
            sent["Cookie"] = f"{cookie_name(self.server.port)}={jar}"
        try:
            data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
            conn.request(method, path, data, sent)
            resp = conn.getresponse()
            return Reply(resp.status, resp.headers, resp.read())
        finally:
            conn.close()

    def post(self, path: str, body: Any = None, **headers: str) -> Reply:
        sent = {"Origin": self.origin, "X-CSRF-Token": self.csrf, "Content-Type": "application/json"}
        sent.update({k.replace("_", "-"): v for k, v in headers.items()})
        return self.call("POST", path, body=body if body is not None else {}, headers=sent)

    def log_in(self, page: str = "/") -> Reply:
        reply = self.call("GET", f"/login?code={self.server.auth.issue_code(page)}", cookie="")
        set_cookie = reply.headers.get("Set-Cookie", "")
        self.cookie = set_cookie.split(";")[0].partition("=")[2]
        index = self.call("GET", "/")
        marker = b'name="csrf-token" content="'
        self.csrf = index.body.split(marker)[1].split(b'"')[0].decode() if marker in index.body else ""
        return reply

    def stream(self) -> Iterator[tuple[str, Any]]:
        """The event stream, one (event, data) at a time; comment lines are skipped."""
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        conn.request("GET", "/events", headers={"Host": f"127.0.0.1:{self.server.port}",
                                                "Accept": "text/event-stream",
                                                "Cookie": f"{cookie_name(self.server.port)}={self.cookie}"})
        resp = conn.getresponse()
        assert resp.status == 200, resp.read()
        try:
            yield from read_events(resp)
        finally:
            conn.close()


@contextmanager
def signed_in(host: FakeHost) -> Iterator[Browser]:
    """A running dashboard over `host` and a Browser that has logged in to it."""
    server = DashboardServer(host, routes.build(host))
    server.start()
    try:
        browser = Browser(server)
        browser.log_in()
        yield browser
    finally:
        server.close()
