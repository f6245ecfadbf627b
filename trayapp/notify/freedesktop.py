"""Linux: org.freedesktop.Notifications over the session D-Bus, with jeepney (pure Python).

Sends app_name "trayapp", the desktop-entry hint (so the server finds trayapp's icon and
settings), the urgency byte, an expire timeout, and replaces_id so that an updated situation
replaces its old bubble. jeepney is imported on first use only.
"""

from __future__ import annotations

import html
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from trayapp.notify.note import BackendUnavailable, Limits, NoNotificationService, Note, Urgency

log = logging.getLogger(__name__)

BUS_NAME = "org.freedesktop.Notifications"
OBJECT_PATH = "/org/freedesktop/Notifications"
# Milliseconds; critical bubbles stay until dismissed, as the spec asks.
EXPIRE_MS = {Urgency.LOW: 8_000, Urgency.NORMAL: 15_000, Urgency.CRITICAL: 0}
CALL_TIMEOUT = 5.0


def notify_args(note: Note, *, app_name: str = "trayapp", desktop_entry: str = "trayapp",
                markup: bool = False) -> tuple[Any, ...]:
    """The Notify(susssasa{sv}i) arguments for `note`. Pure, so it is tested without a bus."""
    replaces = note.replaces if isinstance(note.replaces, int) and note.replaces > 0 else 0
    # A server that understands body markup would read "<" and "&" in an error line as tags.
    body = html.escape(note.body, quote=False) if markup else note.body
    hints = {"urgency": ("y", int(note.urgency)), "desktop-entry": ("s", desktop_entry)}
    return (app_name, replaces, note.icon, note.title, body, [], hints, EXPIRE_MS[note.urgency])


def _no_service(error_name: str) -> bool:
    """D-Bus errors meaning nobody owns org.freedesktop.Notifications and none could be started."""
    return error_name in ("org.freedesktop.DBus.Error.ServiceUnknown",
                          "org.freedesktop.DBus.Error.NameHasNoOwner") or ".Error.Spawn." in error_name


def session_bus_address(environ: Mapping[str, str]) -> str | None:
    """$DBUS_SESSION_BUS_ADDRESS, else systemd's per-user bus socket, else None."""
    if environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return environ["DBUS_SESSION_BUS_ADDRESS"]
    runtime = environ.get("XDG_RUNTIME_DIR")
    if runtime and Path(runtime, "bus").exists():
        return f"unix:path={Path(runtime, 'bus')}"
    return None


class FreedesktopBackend:
    """Runs on the notifier's worker thread only; keeps one connection and reopens it on failure."""

    name = "freedesktop"
    limits = Limits(title=100, body=400)

    def __init__(self, app_name: str = "trayapp", desktop_entry: str = "trayapp",
                 timeout: float = CALL_TIMEOUT, environ: Mapping[str, str] | None = None) -> None:
        self.app_name, self.desktop_entry, self.timeout = app_name, desktop_entry, timeout
        self.environ = os.environ if environ is None else environ
        self._conn: Any = None
        self._markup = False

    def send(self, note: Note) -> int:
        try:
            return self._send(note)
        except BackendUnavailable:
            self.close()
            raise
        except Exception as exc:  # jeepney raises OSError, DBusErrorResponse, TimeoutError, ...
            self.close()
            raise BackendUnavailable(f"D-Bus notification failed: {exc}") from exc

    def _send(self, note: Note) -> int:
        from jeepney import new_method_call

        conn = self._connection()
        args = notify_args(note, app_name=self.app_name, desktop_entry=self.desktop_entry, markup=self._markup)
        reply = self._call(conn, new_method_call(self._address(), "Notify", "susssasa{sv}i", args))
        return int(reply[0])

    def _connection(self) -> Any:
        if self._conn is None:
            try:
                from jeepney.io.blocking import open_dbus_connection
            except ImportError as exc:
                raise BackendUnavailable("jeepney is not installed") from exc
            address = session_bus_address(self.environ)
            if address is None:
                raise BackendUnavailable("no session D-Bus (DBUS_SESSION_BUS_ADDRESS is not set)")
            try:
                self._conn = open_dbus_connection(bus=address)
            except (OSError, ValueError) as exc:
                raise BackendUnavailable(f"cannot reach the session D-Bus at {address}: {exc}") from exc
            self._markup = "body-markup" in self._capabilities(self._conn)
        return self._conn

    def _capabilities(self, conn: Any) -> tuple[str, ...]:
        from jeepney import new_method_call

        # Fails with ServiceUnknown when no notification daemon runs: that is the useful error.
        return tuple(self._call(conn, new_method_call(self._address(), "GetCapabilities"))[0])

    def _call(self, conn: Any, message: Any) -> tuple[Any, ...]:
        from jeepney.wrappers import DBusErrorResponse, unwrap_msg

        try:
            return unwrap_msg(conn.send_and_get_reply(message, timeout=self.timeout))
        except DBusErrorResponse as exc:
            if _no_service(str(exc.name or "")):
                raise NoNotificationService(f"no notification daemon on the session bus ({exc.name})") from exc
            raise

    def _address(self) -> Any:
        from jeepney import DBusAddress

        return DBusAddress(OBJECT_PATH, bus_name=BUS_NAME, interface=BUS_NAME)

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:
                log.debug("closing the D-Bus connection failed", exc_info=True)
