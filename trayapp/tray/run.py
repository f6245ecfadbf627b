"""Entry point of the tray: `run_tray(host)` on the main thread until Quit.

    app.py:  try: run_tray(app)        # the App hands itself over as a TrayHost (tray/host.py)
             except TrayUnavailable as why: print(why); run headless

Everything that can fail before the icon exists (no display, no pystray backend) raises
TrayUnavailable first, so the caller can still run headless.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from typing import Any

from trayapp.i18n import _
from trayapp.diskwatch import Level
from trayapp.events import ExtrasChanged, ProgramRemoved, StatusChanged
from trayapp.tray.actions import TrayActions
from trayapp.tray.controller import TrayController
from trayapp.tray.host import TrayDisk, TrayHost
from trayapp.tray.mainthread import door_for
from trayapp.tray.view import Extras, tray_view
from trayapp.units import format_size

log = logging.getLogger(__name__)
TICK = 60.0  # the tooltip's uptime is in minutes: refresh it once a minute, and only then


class TrayUnavailable(Exception):
    """No tray can be shown here; str() is one plain line saying why."""


def _display_problem(environ: dict[str, str] | os._Environ[str], platform: str = sys.platform) -> str | None:
    if platform in ("darwin", "win32"):
        return None
    if not environ.get("DISPLAY") and not environ.get("WAYLAND_DISPLAY"):
        return _("no graphical display (DISPLAY and WAYLAND_DISPLAY are not set)")
    return None


def load_menu_module() -> Any:
    """Import tray/menu.py (and with it pystray), or raise TrayUnavailable saying why not."""
    problem = _display_problem(os.environ)
    if problem:
        raise TrayUnavailable(problem)
    if sys.platform.startswith("linux"):
        from trayapp.tray import backend

        backend.apply(os.environ)
    try:
        from trayapp.tray import menu
    except Exception as exc:  # pystray raises ImportError, Xlib raises its own errors
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise TrayUnavailable(_("the tray icon could not start ({error})").format(error=detail)) from exc
    if menu.backend_name() == "dummy":
        raise TrayUnavailable(_("pystray's dummy backend was chosen (PYSTRAY_BACKEND=dummy)"))
    return menu


def _extras(host: TrayHost, actions: TrayActions) -> Extras:
    backups = host.backups
    problems = host.config_problems
    return Extras(on_quit=host.config.tray.on_quit, notifications=True,
                  paused_until=host.notifier.paused_until, autostart=actions.autostart,
                  backup=True, last_backup_at=backups.last_ok_at,
                  backup_progress=backups.progress, disk_warning=_disk_warning(host.disk),
                  config_problem=problems[0] if problems else None)


def _disk_warning(disk: TrayDisk) -> str | None:
    level = disk.level
    if level is Level.OK:
        return None
    low = [v for v in disk.snapshot() if v["level"] != Level.OK]
    where = _(", ").join(_("{free} free on {path}").format(free=format_size(v["free"] or 0), path=v["path"])
                         for v in low)
    return (_("Disk almost full: {where}") if level is Level.CRITICAL else _("Disk low: {where}")).format(where=where)


def _ticker(controller: TrayController, stop: threading.Event) -> None:
    while not stop.wait(TICK):
        if any(s.started_at is not None or s.retry_at is not None for s in controller.statuses()):
            controller.refresh()


# An XEmbed icon can end up undocked: the dock request raced the tray's start (seen about once
# in 20 starts with pystray's xorg backend), the panel started after trayapp at login, or the panel
# was restarted. Look now and then and ask again; only on xorg, and the checks are cheap X queries.
DOCK_CHECKS = (2.0, 5.0, 10.0)  # after start
DOCK_CHECK_EVERY = 30.0  # while docked
DOCK_RETRY_MAX = 30.0  # while undocked, asking again after 2, 4, 8 ... seconds, at most this


def _keep_docked(menu: Any, icon: Any, stop: threading.Event) -> None:
    """Own thread, xorg backend only."""
    later = iter(DOCK_CHECKS[1:])
    wait, retry = DOCK_CHECKS[0], 0.0
    conn = menu.x_connection()  # one connection for every check: a check is one round trip
    while not stop.wait(wait):
        if menu.docked(icon, conn) is False:
            if not retry:
                log.info("tray: the icon is not in the tray; asking the tray to take it again")
            menu.redock(icon)
            retry = wait = min(DOCK_RETRY_MAX, retry * 2 or 2.0)
        else:
            retry, wait = 0.0, next(later, DOCK_CHECK_EVERY)


# Quit has already stopped the programs and flushed the logs when the GUI loop is asked to end;
# should the loop not end (a backend that loses the request: seen once with xorg under SIGTERM),
# the process must still go away rather than linger without its tray.
LOOP_EXIT_GRACE = 5.0


def _exit_if_the_loop_hangs() -> None:
    timer = threading.Timer(LOOP_EXIT_GRACE, _exit_now)
    timer.daemon = True
    timer.start()


def _exit_now() -> None:
    log.warning("tray: the GUI loop did not end; exiting")
    os._exit(0)


def _on_signal(host: TrayHost, backend: str) -> None:
    """SIGTERM/SIGINT quit in order (programs stopped), also while the GUI loop owns the thread."""
    def quit_now(*_: object) -> bool:
        host.quit(stop_programs=True)
        return True

    if backend in ("gtk", "appindicator"):
        from gi.repository import GLib  # Python handlers would wait for the GTK loop to return

        for sig in (signal.SIGTERM, signal.SIGINT):
            GLib.unix_signal_add(GLib.PRIORITY_HIGH, sig, quit_now)
        return
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, quit_now)


def _close(icon: Any, stop_ticking: threading.Event) -> None:
    """The shutdown thread, once the programs are down: end the helper threads and the GUI loop."""
    stop_ticking.set()
    _exit_if_the_loop_hangs()
    icon.stop()


def run_tray(host: TrayHost) -> None:
    """Main thread only. Shows the icon until Quit; the supervisor starts in pystray's setup thread."""
    menu = load_menu_module()
    backend = menu.backend_name()
    stop_ticking = threading.Event()
    holder: dict[str, Any] = {}  # pystray's Icon: a third-party object, untyped
    actions = TrayActions(host, refresh=lambda: controller.refresh(), has_menu=menu.has_menu())
    controller = TrayController(lambda view, parts: menu.apply_view(holder["icon"], view, parts), door_for(backend),
                                order=list(host.config.programs), extras=lambda: _extras(host, actions))
    first = tray_view(host.statuses(), time.time(), _extras(host, actions))
    icon = holder["icon"] = menu.make_icon(first, lambda: controller.view, actions.handle)
    controller.view = first
    host.bus.subscribe(StatusChanged, controller.on_status)
    host.bus.subscribe(ProgramRemoved, controller.on_removed)
    host.bus.subscribe(ExtrasChanged, lambda _: controller.refresh())
    host.on_quit(lambda: _close(icon, stop_ticking))
    _on_signal(host, backend)
    log.info("tray: pystray backend %s (menu: %s)", backend, "yes" if menu.has_menu() else "no, click opens the dashboard")

    def setup(icon: Any) -> None:  # pystray's setup thread: keep it short (pystray #113)
        icon.visible = True
        # Only gtk needs it (see show_title). On xorg the extra hop to pystray's loop from this
        # thread left the title stuck at its first words in 2 of 6 runs of the desktop test.
        if backend == "gtk":
            menu.show_title(icon)
        host.notifier.use_tray_icon(icon)
        host.start_background()
        controller.seed(host.statuses())
        actions.load_autostart()
        threading.Thread(target=_ticker, args=(controller, stop_ticking), name="tray-tick", daemon=True).start()
        if backend == "xorg":
            threading.Thread(target=_keep_docked, args=(menu, icon, stop_ticking), name="tray-dock",
                             daemon=True).start()

    icon.run(setup=setup)
