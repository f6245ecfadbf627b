"""Fixtures that give desktop tests a real desktop (see harness.py).

Skip rule (the project charter): when the desktop programs are missing, tests skip - unless
TRAYAPP_REQUIRE_DESKTOP=1 (CI sets it), in which case they fail and name the packages.
Every test under tests/desktop is marked `desktop`, so `-m "not desktop"` leaves them out.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.desktop.harness import Desktop, MissingTools, need

HERE = Path(__file__).resolve().parent


def _start(tmp_path_factory: pytest.TempPathFactory, name: str, **kinds: bool) -> Desktop:
    try:
        return Desktop.start(tmp_path_factory.mktemp(name), **kinds)
    except MissingTools as exc:
        need(False, f"no real desktop here: {exc}")
        raise  # need() skipped or failed


@pytest.fixture(scope="session")
def desktop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desktop]:
    """Xvfb + session bus + Notify capture + dunst + trayer, shared by the whole session.

    Tests share it: take `since = len(desktop.notifications())` before acting, and stop what
    you spawn (the `spawn` fixture does that for you).
    """
    desk = _start(tmp_path_factory, "desktop")
    yield desk
    desk.stop()


@pytest.fixture(scope="session")
def bare_display(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desktop]:
    """Only an X server: no session bus, no notification daemon, no tray host.

    Its env points DBUS_SESSION_BUS_ADDRESS at a socket that does not exist, so "no daemon"
    and "no tray" paths are exercised for real.
    """
    desk = _start(tmp_path_factory, "bare", with_bus=False, with_daemon=False, with_tray=False)
    yield desk
    desk.stop()


@pytest.fixture
def make_desktop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Desktop]]:
    """A factory for a private desktop of a chosen make-up, stopped at the end of the test.

    make_desktop(with_bus=True, with_daemon=False, with_tray=True) gives a bus with no
    notification daemon on it, for example.
    """
    made: list[Desktop] = []

    def make(**kinds: bool) -> Desktop:
        desk = _start(tmp_path_factory, "custom", **kinds)
        made.append(desk)
        return desk

    yield make
    for desk in made:
        desk.stop()


@pytest.fixture
def spawn(desktop: Desktop) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """spawn(argv, env={...}) starts a program on the shared desktop; stopped when the test ends."""
    started: list[subprocess.Popen[bytes]] = []

    def start(argv: Sequence[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        proc = desktop.spawn(argv, **kwargs)
        started.append(proc)
        return proc

    yield start
    for proc in reversed(started):
        desktop.stop_process(proc)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.desktop)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """When a desktop test fails, keep a screenshot of the moment and say where it is."""
    report = yield
    desk = getattr(item, "funcargs", {}).get("desktop")
    if report.failed and call.when == "call" and isinstance(desk, Desktop):
        try:
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.name)[:80]
            shot = desk.screenshot(desk.workdir / f"failed-{name}.png")
            report.sections.append(("desktop", f"screenshot at failure: {shot}"))
        except Exception as exc:  # the report must not fail because the X server is gone
            report.sections.append(("desktop", f"no screenshot: {exc}"))
    return report
