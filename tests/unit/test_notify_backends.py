"""Backends: the Notify call's arguments, plyer's known failures, the tray icon, platform choice."""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from trayapp.notify import choose_backends
from trayapp.notify.freedesktop import FreedesktopBackend, notify_args, session_bus_address
from trayapp.notify.note import BackendUnavailable, Note, Urgency
from trayapp.notify.plyer_backend import PlyerBackend, plain, unusable_reason
from trayapp.notify.tray_backend import TrayIconBackend


def test_notify_args_carry_app_name_hints_urgency_replaces_and_timeout() -> None:
    args = notify_args(Note("t", "a <b> & c", Urgency.CRITICAL, replaces=7), markup=True)
    app, replaces, icon, summary, body, actions, hints, expire = args
    assert (app, replaces, icon, summary, actions) == ("trayapp", 7, "", "t", [])
    assert body == "a &lt;b&gt; &amp; c"
    assert hints == {"urgency": ("y", 2), "desktop-entry": ("s", "trayapp")}
    assert expire == 0  # critical stays until dismissed
    low = notify_args(Note("t", "a <b>", Urgency.LOW, replaces=None))
    assert low[1] == 0 and low[4] == "a <b>" and low[6]["urgency"] == ("y", 0) and low[7] > 0


def test_session_bus_address_falls_back_to_the_user_bus_socket(tmp_path: Path) -> None:
    assert session_bus_address({"DBUS_SESSION_BUS_ADDRESS": "unix:path=/x"}) == "unix:path=/x"
    assert session_bus_address({"XDG_RUNTIME_DIR": str(tmp_path)}) is None
    (tmp_path / "bus").touch()
    assert session_bus_address({"XDG_RUNTIME_DIR": str(tmp_path)}) == f"unix:path={tmp_path / 'bus'}"


def test_freedesktop_without_a_bus_is_unavailable_not_an_exception_of_its_own() -> None:
    backend = FreedesktopBackend(environ={"DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent/bus"})
    with pytest.raises(BackendUnavailable, match="session D-Bus"):
        backend.send(Note("t", "b"))
    with pytest.raises(BackendUnavailable, match="not set"):
        FreedesktopBackend(environ={}).send(Note("t", "b"))


# -- plyer ---------------------------------------------------------------------------------

@pytest.fixture
def fake_plyer(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """A stand-in for the plyer package: records calls; raise by setting `calls.append(exc)` first."""
    calls: list[Any] = []

    def notify(**kwargs: Any) -> None:
        if calls and isinstance(calls[-1], BaseException):
            raise calls.pop()
        calls.append(kwargs)

    module = types.ModuleType("plyer")
    module.notification = types.SimpleNamespace(notify=notify)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "plyer", module)
    return calls


def test_plyer_gets_strings_only_and_no_ascii_quotes(fake_plyer: list[Any]) -> None:
    PlyerBackend("win32", {}).send(Note("can't start", 'it said "no"'))
    call = fake_plyer[-1]
    assert call["title"] == "can’t start" and call["message"] == "it said ”no”"
    assert call["app_name"] == "trayapp" and call["app_icon"] == ""  # never None (plyer #658)
    assert "'" not in plain("a'b\"c`d") and "\x00" not in plain("a\x00b")


def test_plyer_not_implemented_becomes_unavailable(fake_plyer: list[Any]) -> None:
    fake_plyer.append(NotImplementedError("No usable implementation found!"))
    with pytest.raises(BackendUnavailable, match="no notification implementation"):
        PlyerBackend("win32", {}).send(Note("t", "b"))


@pytest.mark.parametrize("exc", [AttributeError("'NoneType' object has no attribute 'setDelegate_'"),
                                 ValueError("string too long (534, maximum length 256)"),
                                 OSError("Shell_NotifyIconW failed.")])
def test_plyer_platform_failures_become_unavailable(fake_plyer: list[Any], exc: Exception) -> None:
    fake_plyer.append(exc)
    with pytest.raises(BackendUnavailable, match=type(exc).__name__):
        PlyerBackend("win32", {}).send(Note("t", "b"))


def test_plyer_on_windows_uses_the_windows_buffer_limits() -> None:
    limits = PlyerBackend("win32", {}).limits
    assert (limits.title, limits.body, limits.utf16) == (63, 255, True)


def test_plyer_unusable_on_macos_without_pyobjus_and_on_linux_without_bus(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name in ("pyobjus", "dbus") else real(name, *a))
    assert "pyobjus" in (unusable_reason("darwin", {}) or "")
    assert "no session D-Bus" in (unusable_reason("linux", {"DBUS_SESSION_BUS_ADDRESS": "unix:path=/nope"}) or "")
    monkeypatch.setattr("shutil.which", lambda name: None)
    assert "dbus-python or notify-send" in (unusable_reason("linux", {}) or "")


def test_plyer_unusable_is_checked_before_plyer_is_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "plyer", None)  # importing it would fail
    with pytest.raises(BackendUnavailable, match="session D-Bus"):
        PlyerBackend("linux", {"DBUS_SESSION_BUS_ADDRESS": "unix:path=/nope"}).send(Note("t", "b"))


# -- tray icon -----------------------------------------------------------------------------

class FakeIcon:
    HAS_NOTIFICATION = True

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def notify(self, message: str, title: str | None = None) -> None:
        if title is None:
            raise AttributeError("'NoneType' object has no attribute 'replace'")  # pystray PR #192
        self.calls.append((message, title))


def test_tray_icon_backend_always_passes_a_title_and_respects_windows_limits() -> None:
    icon = FakeIcon()
    backend = TrayIconBackend(icon, "win32")
    backend.send(Note("", "body only"))
    assert icon.calls == [("body only", "trayapp")]
    assert backend.limits.title == 63


def test_tray_icon_without_notifications_is_unavailable() -> None:
    class NoNotify(FakeIcon):
        HAS_NOTIFICATION = False

    with pytest.raises(BackendUnavailable):
        TrayIconBackend(NoNotify(), "darwin").send(Note("t", "b"))


# -- choice --------------------------------------------------------------------------------

@pytest.mark.parametrize("platform, icon, order", [
    ("linux", None, ["freedesktop", "plyer", "log"]),
    ("linux", FakeIcon(), ["freedesktop", "tray", "plyer", "log"]),
    ("darwin", FakeIcon(), ["tray", "plyer", "log"]),
    ("win32", FakeIcon(), ["tray", "plyer", "log"]),
    ("win32", None, ["plyer", "log"]),
])
def test_choose_backends(platform: str, icon: Any, order: list[str]) -> None:
    assert [b.name for b in choose_backends(platform, tray_icon=icon)] == order


def test_importing_notify_loads_neither_pystray_nor_plyer_nor_jeepney() -> None:
    code = ("import sys, trayapp.notify, trayapp.diskwatch, trayapp.alerts.engine; "
            "print(sorted(m for m in ('pystray', 'plyer', 'jeepney') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
