"""The StatusNotifierWatcher probe against a real session bus: absent, then present."""

from __future__ import annotations

import pytest

from tests.desktop.harness import Desktop
from trayapp.tray import backend

pytestmark = pytest.mark.desktop


def test_the_probe_sees_a_watcher_only_when_one_owns_the_name(desktop: Desktop, monkeypatch: pytest.MonkeyPatch) -> None:
    from jeepney import DBusAddress, new_method_call
    from jeepney.io.blocking import open_dbus_connection

    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", desktop.env["DBUS_SESSION_BUS_ADDRESS"])
    assert backend.sni_watcher_present() is False, "trayer is an XEmbed tray: no watcher on this bus"
    bus = DBusAddress("/org/freedesktop/DBus", bus_name="org.freedesktop.DBus", interface="org.freedesktop.DBus")
    with open_dbus_connection(bus="SESSION") as conn:
        conn.send_and_get_reply(new_method_call(bus, "RequestName", "su", (backend.WATCHER, 0)))
        assert backend.sni_watcher_present() is True
    assert backend.sni_watcher_present() is False, "the name is released with the connection"
