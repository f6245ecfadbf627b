"""Choosing pystray's Linux backend so that the icon is visible on the desktop at hand."""

from __future__ import annotations

import pytest

from trayapp.tray import backend


@pytest.mark.parametrize("explicit, watcher, gtk, expected", [
    (None, True, True, None),       # an SNI host: pystray's own choice (appindicator) shows up
    (None, False, True, "gtk"),     # XEmbed-only tray: gtk docks there, with a menu
    (None, False, False, "xorg"),   # no GTK either: the plain X11 icon (click opens the dashboard)
    ("appindicator", False, True, None),  # the user said so
])
def test_choose(explicit, watcher, gtk, expected) -> None:
    assert backend.choose(explicit, watcher, gtk) == expected


def test_apply_sets_the_environment_only_when_needed() -> None:
    env: dict[str, str] = {}
    assert backend.apply(env, watcher=lambda: False, gtk=lambda: True) == "gtk"
    assert env == {"PYSTRAY_BACKEND": "gtk"}
    kept = {"PYSTRAY_BACKEND": "xorg"}
    never = lambda: (_ for _ in ()).throw(AssertionError("an explicit backend needs no probing"))  # noqa: E731
    assert backend.apply(kept, watcher=never, gtk=never) is None and kept == {"PYSTRAY_BACKEND": "xorg"}
    assert backend.apply({}, watcher=lambda: True, gtk=never) is None  # an SNI host: GTK is not loaded to look


def test_no_session_bus_means_no_watcher(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
    assert backend.sni_watcher_present(timeout=0.5) is False
