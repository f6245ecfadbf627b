"""run_tray through its real path, with a fake pystray module and icon: what the tray asks of its host
is the declared TrayHost (tray/host.py), and the icon becomes a notification backend."""

from __future__ import annotations

import ast
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from trayapp.config import Config, default_config
from trayapp.diskwatch import Level
from trayapp.events import EventBus
from trayapp.notify import Notifier
from trayapp.paths import AppPaths
from trayapp.status import State, Status
from trayapp.tray import run
from trayapp.tray.host import TrayHost
from trayapp.tray.controller import Part
from trayapp.tray.view import Action, IconKey, TrayView
from tests.fakes import FakeClock

TRAY = Path(run.__file__).parent


class FakeIcon:
    """pystray.Icon as run_tray uses it: `run(setup)` calls setup on its thread and returns here."""

    HAS_NOTIFICATION = True

    def __init__(self) -> None:
        self.visible, self.stopped, self.titled = False, False, False
        self.notes: list[tuple[str, str]] = []

    def notify(self, message: str, title: str | None = None) -> None:
        self.notes.append((title or "", message))

    def run(self, setup: Callable[["FakeIcon"], None]) -> None:
        setup(self)

    def stop(self) -> None:
        self.stopped = True


class FakeMenuModule:
    """Stands in for tray/menu.py, the only module that imports pystray."""

    def __init__(self, backend: str = "fake") -> None:
        self.icon = FakeIcon()
        self.views: list[TrayView] = []
        self.backend = backend

    def backend_name(self) -> str:
        return self.backend

    def has_menu(self) -> bool:
        return True

    def make_icon(self, view: TrayView, current: Callable[[], TrayView | None],
                  on_action: Callable[[Action, str | None], None]) -> FakeIcon:
        self.views.append(view)
        return self.icon

    def apply_view(self, icon: FakeIcon, view: TrayView, parts: frozenset[Part]) -> None:
        self.views.append(view)

    def show_title(self, icon: FakeIcon) -> None:
        icon.titled = True


class FakeBackups:
    progress: str | None = None
    last_ok_at: float | None = None

    def request(self) -> str:
        return "started"


class FakeDisk:
    level = Level.OK

    def snapshot(self) -> list[dict[str, Any]]:
        return []


class Host:
    """A TrayHost with a real (unthreaded) Notifier and no other machinery."""

    def __init__(self, tmp_path: Path) -> None:
        self.config: Config = default_config({"HOME": str(tmp_path)})
        self.paths = AppPaths.discover({"TRAYAPP_HOME": str(tmp_path)})
        self.bus = EventBus()
        self.clock = FakeClock()
        self.notifier = Notifier(clock=self.clock, backends=[], threaded=False, platform="darwin")
        self.backups, self.disk = FakeBackups(), FakeDisk()
        self.background_started = 0
        self.quit_callbacks: list[Callable[[], None]] = []
        self.config_problems: tuple[str, ...] = ()

    def statuses(self) -> list[Status]:
        return [Status(program="assistant", display_name="nanobot", state=State.STOPPED)]

    def dashboard_url(self, page: str) -> str | None:
        return None

    def start(self, program: str | None = None) -> None: ...

    def stop(self, program: str | None = None) -> None: ...

    def restart(self, program: str | None = None) -> None: ...

    def quit(self, stop_programs: bool = True) -> None: ...

    def reload(self) -> dict[str, Any]:
        return {"ok": True}

    def on_quit(self, callback: Callable[[], None]) -> None:
        self.quit_callbacks.append(callback)

    def start_background(self) -> None:
        self.background_started += 1


@pytest.fixture
def ran(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Host, FakeMenuModule]]:
    """run_tray(host) with the fake menu module; afterwards its threads are stopped as at Quit."""
    host, menu = Host(tmp_path), FakeMenuModule()
    declared: TrayHost = host  # the fake keeps to the declared seam, as App does (mypy checks both)
    monkeypatch.setattr(run, "load_menu_module", lambda: menu)
    monkeypatch.setattr(run, "_exit_if_the_loop_hangs", lambda: None)  # it would end pytest
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        run.run_tray(declared)
        yield host, menu
    finally:
        for callback in host.quit_callbacks:
            callback()
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def test_the_tray_icon_shows_the_notifiers_notices(ran: tuple[Host, FakeMenuModule]) -> None:
    host, menu = ran
    host.notifier.notify("nanobot is down", "gave up restarting")
    host.notifier.step()
    host.clock.advance(1)  # the policy holds a notice back a moment, to merge a burst
    host.notifier.step()
    assert menu.icon.notes == [("nanobot is down", "gave up restarting")]
    assert host.notifier.history[-1].backend == "tray"


def test_setup_shows_the_icon_then_starts_the_app_once(ran: tuple[Host, FakeMenuModule]) -> None:
    host, menu = ran
    assert menu.icon.visible and host.background_started == 1
    assert not menu.icon.titled, "only gtk needs its first title sent again"
    assert menu.views[0].programs[0].phrase == "stopped"


def test_gtk_gets_its_first_title_sent_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    host, menu = Host(tmp_path), FakeMenuModule("gtk")
    monkeypatch.setattr(run, "load_menu_module", lambda: menu)
    monkeypatch.setattr(run, "_exit_if_the_loop_hangs", lambda: None)
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        run.run_tray(host)
        assert menu.icon.visible and menu.icon.titled
    finally:
        for callback in host.quit_callbacks:
            callback()
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def test_a_config_error_shows_its_own_icon_and_the_first_problem(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    host, menu = Host(tmp_path), FakeMenuModule()
    host.config_problems = ("programs.assistant.comand: unknown key; did you mean 'command'?", "logs.keep: not a number")
    monkeypatch.setattr(run, "load_menu_module", lambda: menu)
    monkeypatch.setattr(run, "_exit_if_the_loop_hangs", lambda: None)
    run.run_tray(host)
    for callback in host.quit_callbacks:
        callback()
    first = menu.views[0]
    assert first.icon_key is IconKey.CONFIG_ERROR
    assert first.tooltip.startswith("trayapp: config.toml has a problem: programs.assistant.comand: unknown key")
    assert [e.label for e in first.menu if e.action is not None][:3] == ["Open config file", "Reload config", "Dashboard…"]


def test_quit_stops_the_icon(ran: tuple[Host, FakeMenuModule]) -> None:
    host, menu = ran
    for callback in host.quit_callbacks:
        callback()
    assert menu.icon.stopped


def _probes_and_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("getattr", "hasattr"):
            found.append(f"{path.name}:{node.lineno} {node.func.id}")
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("trayapp.app"):
            found.append(f"{path.name}:{node.lineno} imports {node.module}")
    return found


def test_the_tray_neither_probes_the_app_nor_imports_it() -> None:
    assert [hit for path in sorted(TRAY.glob("*.py")) for hit in _probes_and_imports(path)] == []
