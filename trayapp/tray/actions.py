"""What each menu entry does. Called on the GUI thread, so every action returns at once:
it enqueues a supervisor command, starts a window process or starts a short background job.
"""

from __future__ import annotations

import logging
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from trayapp.tray.host import TrayHost
from trayapp.tray.view import Action
from trayapp.ui.launch import config_target, data_folder, open_path, spawn_window

log = logging.getLogger(__name__)
PAUSE_SECONDS = 3600.0


class TrayActions:
    """Maps a menu entry's Action to the running app. `handle` runs on the GUI thread."""

    def __init__(self, app: TrayHost, refresh: Callable[[], None], has_menu: bool = True,
                 spawn: Callable[..., subprocess.Popen[bytes]] = spawn_window,
                 opener: Callable[[Path], str | None] = open_path) -> None:
        self.app, self._refresh, self.has_menu = app, refresh, has_menu
        self._spawn, self._open = spawn, opener
        self._windows: dict[tuple[str, tuple[str, ...]], subprocess.Popen[bytes]] = {}
        self.autostart: bool | None = None  # None: not known (yet), or not supported here

    def handle(self, action: Action, program: str | None) -> None:
        try:
            self._dispatch(action, program)
        except Exception as exc:  # a menu click must never take the tray down
            log.warning("tray: %s failed: %s", action, exc)

    def _dispatch(self, action: Action, program: str | None) -> None:
        simple: dict[Action, Callable[[], object]] = {
            Action.START: lambda: self.app.start(program),
            Action.STOP: lambda: self.app.stop(program),
            Action.RESTART: lambda: self.app.restart(program),
            Action.LOGS: lambda: self._window("logview", *(("--program", program) if program else ())),
            Action.STATUS_WINDOW: lambda: self._window("status"),
            Action.DIAGNOSTICS: lambda: self._window("status", "--diagnostics"),
            Action.DATA_FOLDER: lambda: self._show(data_folder(self.app.config, self.app.paths)),
            Action.CONFIG_FILE: lambda: self._show(config_target(self.app.paths)),
            Action.PAUSE: lambda: self._pause(PAUSE_SECONDS),
            Action.RESUME: lambda: self._pause(0),
            Action.AUTOSTART: self._toggle_autostart,
            Action.BACKUP: lambda: self.app.backups.request(),
            Action.RELOAD: self._reload,
            Action.QUIT: self._quit,
        }
        if action not in simple:
            raise ValueError(f"{action} is not wired in this tray")
        simple[action]()

    # -- windows and files --------------------------------------------------------------------

    def _window(self, kind: str, *args: str) -> None:
        """One window of each kind: a second click while it is open does not open another."""
        key = (kind, args)
        running = self._windows.get(key)
        if running is not None and running.poll() is None:
            return
        self._windows[key] = self._spawn(kind, *args)

    def _show(self, path: Path) -> None:
        problem = self._open(path)
        if problem:
            log.warning("tray: %s", problem)

    # -- notifications, login item, quit --------------------------------------------------------

    def _pause(self, seconds: float) -> None:
        if seconds > 0:
            self.app.notifier.pause(seconds)
        else:
            self.app.notifier.resume()
        self._refresh()

    def load_autostart(self) -> None:
        """Read the login item's state in the background (launchctl may take a moment)."""
        threading.Thread(target=self._read_autostart, name="tray-autostart", daemon=True).start()

    def _read_autostart(self) -> None:
        try:
            from trayapp import autostart

            self.autostart = bool(autostart.status().enabled)
        except Exception as exc:
            log.info("tray: no login item support here: %s", exc)
            self.autostart = None
        self._refresh()

    def _toggle_autostart(self) -> None:
        wanted = not self.autostart

        def job() -> None:
            try:
                from trayapp import autostart

                autostart.enable() if wanted else autostart.disable()
            except Exception as exc:
                log.warning("tray: could not change the login item: %s", exc)
            self._read_autostart()

        threading.Thread(target=job, name="tray-autostart", daemon=True).start()

    def _reload(self) -> None:
        """Reading and checking the file takes a moment: off the GUI thread. A file with problems
        is reported by the app itself (a notification naming the first one)."""
        threading.Thread(target=self.app.reload, name="tray-reload", daemon=True).start()

    def _quit(self) -> None:
        choice = self.app.config.tray.on_quit
        if choice == "ask":
            self._window("quitdialog")  # it answers through the control channel
        else:
            self.app.quit(stop_programs=choice == "stop")
