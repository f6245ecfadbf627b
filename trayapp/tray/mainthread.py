"""The one door to the tray's GUI thread, chosen once per pystray backend.

pystray's gtk and appindicator backends marshal their own updates, its xorg backend forwards
them to its event loop, but darwin and win32 touch the GUI on the calling thread (pystray #60).
Every tray update goes through the door returned here, so the controller's flush always runs
where the backend wants it.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)
Call = Callable[[], None]


def door_for(backend: str) -> Callable[[Call], None]:
    """A function that runs its argument soon on the right thread, and returns at once."""
    if backend in ("gtk", "appindicator"):
        return _glib_idle
    if backend == "darwin":
        from PyObjCTools import AppHelper  # ships with pystray's macOS dependencies

        return AppHelper.callAfter
    # xorg forwards icon/title changes to its own loop and waits for them; win32's
    # Shell_NotifyIcon may be called from any thread. A pump thread keeps that wait off
    # the publisher's thread and keeps updates in order.
    return Pump().submit


def _glib_idle(fn: Call) -> None:
    from gi.repository import GLib

    def once() -> bool:
        _guarded(fn)
        return False  # run once, do not repeat

    GLib.idle_add(once)


def _guarded(fn: Call) -> None:
    try:
        fn()
    except Exception:
        log.exception("tray update failed")


class Pump:
    """A daemon thread that runs submitted calls one by one, in order."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Call] = queue.SimpleQueue()
        threading.Thread(target=self._loop, name="tray-pump", daemon=True).start()

    def submit(self, fn: Call) -> None:
        self._queue.put(fn)

    def _loop(self) -> None:
        while True:
            _guarded(self._queue.get())
