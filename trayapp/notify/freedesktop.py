"""Linux: org.freedesktop.Notifications over the session D-Bus, with jeepney (pure Python).

Sends app_name "trayapp", the desktop-entry hint (so the server finds trayapp's icon and
settings), the urgency byte, an expire timeout, replaces_id so that an updated situation
replaces its old bubble, and buttons ("actions") where the server has them. jeepney is imported
on first use only.

Buttons: the server answers a press with the ActionInvoked signal, which servers such as dunst
and GNOME Shell send to the connection that created the bubble only. So the one connection is a
jeepney DBusRouter (its own receiver thread) that both sends and hears; a listener thread
("trayapp-actions") takes ActionInvoked for bubbles this backend opened and hands the key on.
"""

from __future__ import annotations

import html
import logging
import os
import queue
import threading
from collections import deque
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from trayapp.notify.note import ActionRelay, BackendUnavailable, Limits, NoNotificationService, Note, Urgency

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
    actions = [part for pair in note.actions for part in pair]  # key, label, key, label, ...
    return (app_name, replaces, note.icon, note.title, body, actions, hints, EXPIRE_MS[note.urgency])


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


def _quiet_router(conn: Any) -> Any:
    """A jeepney DBusRouter whose receiver thread ends quietly when the bus goes away (the session
    ended, the daemon restarted); the next send reconnects. jeepney's own would print a traceback."""
    from jeepney.io.threading import DBusRouter

    class QuietRouter(DBusRouter):
        def _receiver(self) -> None:
            try:
                super()._receiver()
            except (OSError, ValueError) as exc:
                log.info("the session D-Bus connection closed: %s", exc)

    return QuietRouter(conn)


class FreedesktopBackend:
    """`send` runs on the notifier's worker thread only; keeps one connection and reopens it on failure."""

    name = "freedesktop"
    limits = Limits(title=100, body=400)
    buttons = True

    def __init__(self, app_name: str = "trayapp", desktop_entry: str = "trayapp",
                 timeout: float = CALL_TIMEOUT, environ: Mapping[str, str] | None = None,
                 actions: ActionRelay | None = None) -> None:
        self.app_name, self.desktop_entry, self.timeout = app_name, desktop_entry, timeout
        self.environ = os.environ if environ is None else environ
        self.actions = actions
        self._router: Any = None
        self._capabilities: tuple[str, ...] = ()
        self._ours: deque[int] = deque(maxlen=200)  # ids of the bubbles this backend opened
        self._ours_lock = threading.Lock()  # the worker adds, the listener reads
        self._signals: queue.Queue[Any] = queue.Queue()
        self._listener: threading.Thread | None = None

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

        router = self._connection()
        if "actions" not in self._capabilities or self.actions is None or not self.actions.connected:
            note = note.without_buttons()
        args = notify_args(note, app_name=self.app_name, desktop_entry=self.desktop_entry,
                           markup="body-markup" in self._capabilities)
        reply = self._call(router, new_method_call(self._address(), "Notify", "susssasa{sv}i", args))
        with self._ours_lock:
            self._ours.append(int(reply[0]))
        return int(reply[0])

    def _connection(self) -> Any:
        if self._router is None:
            try:
                from jeepney.io.threading import open_dbus_connection
            except ImportError as exc:
                raise BackendUnavailable("jeepney is not installed") from exc
            address = session_bus_address(self.environ)
            if address is None:
                raise BackendUnavailable("no session D-Bus (DBUS_SESSION_BUS_ADDRESS is not set)")
            try:
                self._router = _quiet_router(open_dbus_connection(bus=address))
            except (OSError, ValueError) as exc:
                raise BackendUnavailable(f"cannot reach the session D-Bus at {address}: {exc}") from exc
            self._capabilities = self._ask_capabilities(self._router)
            if "actions" in self._capabilities and self.actions is not None:
                self._listen(self._router)
        return self._router

    def _ask_capabilities(self, router: Any) -> tuple[str, ...]:
        from jeepney import new_method_call

        # Fails with ServiceUnknown when no notification daemon runs: that is the useful error.
        return tuple(self._call(router, new_method_call(self._address(), "GetCapabilities"))[0])

    def _call(self, router: Any, message: Any) -> tuple[Any, ...]:
        from jeepney.wrappers import DBusErrorResponse, unwrap_msg

        try:
            return unwrap_msg(router.send_and_get_reply(message, timeout=self.timeout))
        except DBusErrorResponse as exc:
            if _no_service(str(exc.name or "")):
                raise NoNotificationService(f"no notification daemon on the session bus ({exc.name})") from exc
            raise

    def _address(self) -> Any:
        from jeepney import DBusAddress

        return DBusAddress(OBJECT_PATH, bus_name=BUS_NAME, interface=BUS_NAME)

    # -- buttons ----------------------------------------------------------------------------

    def _listen(self, router: Any) -> None:
        """Hear ActionInvoked on this connection (the bus routes it here once asked to)."""
        from jeepney import MatchRule, message_bus
        from jeepney.io.threading import Proxy

        rule = MatchRule(type="signal", interface=BUS_NAME, member="ActionInvoked", path=OBJECT_PATH)
        router.filter(rule, queue=self._signals)
        Proxy(message_bus, router, timeout=self.timeout).AddMatch(rule)
        if self._listener is None or not self._listener.is_alive():
            self._listener = threading.Thread(target=self._hear, name="trayapp-actions", daemon=True)
            self._listener.start()

    def _hear(self) -> None:
        """Listener thread: one ActionInvoked(id, key) at a time, for our own bubbles only."""
        while (message := self._signals.get()) is not None:
            bubble, key = message.body
            with self._ours_lock:
                ours = int(bubble) in self._ours
            if ours and self.actions is not None:
                self.actions.pressed(str(key))

    def close(self) -> None:
        router, self._router = self._router, None
        if router is None:
            return
        try:
            router.close()
            router.conn.close()
        except Exception:
            log.debug("closing the D-Bus connection failed", exc_info=True)

