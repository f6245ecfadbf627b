"""What each menu entry does. Called on the GUI thread, so every action returns at once: it
enqueues a supervisor command or starts a short background job (opening a page, a folder).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from trayapp.errors import logged
from trayapp.i18n import N_, _
from trayapp.opener import Opener
from trayapp.tray.host import TrayHost
from trayapp.tray.places import config_target, data_folder
from trayapp.tray.view import Action, own_ui

log = logging.getLogger(__name__)
PAUSE_SECONDS = 3600.0
Background = Callable[[Callable[[], None]], None]

# The dashboard page each menu entry opens; "{program}" is filled in for per-program entries.
PAGES = {Action.DASHBOARD: "/", Action.DIAGNOSTICS: "/diagnostics", Action.BACKUPS: "/backups",
         Action.LOGS: "/logs?program={program}"}
NO_DASHBOARD = N_("The dashboard is not running. Run `trayapp dashboard` in a terminal for its address.")


def _in_thread(job: Callable[[], None]) -> None:
    threading.Thread(target=job, name="tray-open", daemon=True).start()


class TrayActions:
    """Maps a menu entry's Action to the running app. `handle` runs on the GUI thread."""

    def __init__(self, app: TrayHost, refresh: Callable[[], None], has_menu: bool = True,
                 opener: Opener | None = None, background: Background = _in_thread) -> None:
        self.app, self._refresh, self.has_menu = app, refresh, has_menu
        self._opener, self._background = opener or Opener(), background
        self.autostart: bool | None = None  # None: not known (yet), or not supported here

    def handle(self, action: Action, program: str | None) -> None:
        try:
            self._dispatch(action, program)
        except Exception as exc:  # a menu click must never take the tray down
            log.warning("tray: %s failed: %s", action, logged(exc))

    def _dispatch(self, action: Action, program: str | None) -> None:
        if action in PAGES:
            self._background(lambda: self.open_page(PAGES[action].format(program=program or "")))
            return
        simple: dict[Action, Callable[[], object]] = {
            Action.START: lambda: self.app.start(program),
            Action.STOP: lambda: self.app.stop(program),
            Action.RESTART: lambda: self.app.restart(program),
            Action.OWN_UI: lambda: self._background(lambda: self._open_own_ui(program)),
            Action.DATA_FOLDER: lambda: self._background(lambda: self._show(self._data_folder())),
            Action.CONFIG_FILE: lambda: self._background(lambda: self._show(config_target(self.app.paths))),
            Action.PAUSE: lambda: self._pause(PAUSE_SECONDS),
            Action.RESUME: lambda: self._pause(0),
            Action.AUTOSTART: self._toggle_autostart,
            Action.BACKUP: lambda: self.app.backups.request(),
            Action.RELOAD: self._reload,
            Action.QUIT: lambda: self.app.quit(stop_programs=self.app.config.tray.on_quit != "leave"),
            Action.QUIT_STOP: lambda: self.app.quit(stop_programs=True),
            Action.QUIT_LEAVE: lambda: self.app.quit(stop_programs=False),
        }
        if action not in simple:
            raise ValueError(f"{action} is not wired in this tray")
        simple[action]()

    # -- pages, folders and files (background thread: a browser may take a moment to start) ----

    def open_page(self, page: str) -> None:
        """Open a dashboard page in the default browser; say why not in a notification."""
        url = self.app.dashboard_url(page)
        if url is None:
            self._tell(_("The dashboard did not open"), _(NO_DASHBOARD))
            return
        self._tell_if(_("The dashboard did not open"), self._opener.open_login(url, self.app.paths.state_dir))

    def _open_own_ui(self, program: str | None) -> None:
        status = next((s for s in self.app.statuses() if s.program == program), None)
        url = own_ui(status) if status is not None else ""
        if not url:
            self._tell(_("There is no web UI to open"),
                       _("{name} does not say where its own UI is.").format(name=program))
            return
        name = status.display_name if status else program
        self._tell_if(_("{name}'s UI did not open").format(name=name), self._opener.open_url(url))

    def _data_folder(self) -> Path:
        return data_folder(self.app.config, self.app.paths)

    def _show(self, path: Path) -> None:
        self._tell_if(_("{name} did not open").format(name=path.name or path), self._opener.open_path(path))

    def _tell_if(self, title: str, problem: str | None) -> None:
        if problem:
            self._tell(title, problem)

    def _tell(self, title: str, body: str) -> None:
        """The user clicked and nothing opened: say so even while notifications are paused."""
        log.warning("tray: %s: %s", title, body)
        self.app.notifier.notify(title, body, slot="tray/open", kind="open_failed", bypass_pause=True)

    # -- notifications, login item, reload -------------------------------------------------------

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
            log.info("tray: no login item support here: %s", logged(exc))
            self.autostart = None
        self._refresh()

    def _toggle_autostart(self) -> None:
        wanted = not self.autostart

        def job() -> None:
            try:
                from trayapp import autostart

                autostart.enable() if wanted else autostart.disable()
            except Exception as exc:
                log.warning("tray: could not change the login item: %s", logged(exc))
            self._read_autostart()

        threading.Thread(target=job, name="tray-autostart", daemon=True).start()

    def _reload(self) -> None:
        """Reading and checking the file takes a moment: off the GUI thread. A file with problems
        is reported by the app itself (a notification naming the first one)."""
        threading.Thread(target=self.app.reload, name="tray-reload", daemon=True).start()
