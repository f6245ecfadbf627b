"""What the tray needs of the running app, declared: `App` satisfies `TrayHost` and hands itself over.

The tray never imports trayapp.app (that would be an import cycle) and never probes the app for a
feature: everything it uses is named here, so the type checker holds both sides to it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from trayapp.hostparts import BackupsView, DiskView, InstanceView, PauseControl
from trayapp.notify.tray_backend import NotifyingIcon


class TrayNotifier(PauseControl, Protocol):
    """The notification facade, as far as the tray's menu and icon use it. Any thread."""

    def notify(self, title: str, body: str = "", *, slot: str = "trayapp", kind: str = "note",
               bypass_pause: bool = False) -> None:
        """Show a notice (what did not open, and why). Never raises."""

    def use_tray_icon(self, icon: NotifyingIcon) -> None:
        """Let the pystray icon show notifications too (first choice on macOS and Windows)."""


TrayBackups = BackupsView
TrayDisk = DiskView


class TrayHost(InstanceView, Protocol):
    """The running app as the tray sees it. Commands only enqueue, so any of them may be called
    from the GUI thread; `start_background` runs once, on pystray's setup thread."""

    @property
    def notifier(self) -> TrayNotifier: ...

    @property
    def backups(self) -> TrayBackups: ...

    @property
    def disk(self) -> TrayDisk: ...

    def dashboard_url(self, page: str) -> str | None:
        """A one-time login URL for `page` ("/", "/logs?program=NAME", ...) of the running
        dashboard, or None when the dashboard is off or unavailable."""

    def start(self, program: str | None = None) -> None: ...

    def stop(self, program: str | None = None) -> None: ...

    def restart(self, program: str | None = None) -> None: ...

    def quit(self, stop_programs: bool = True) -> None: ...

    def reload(self) -> dict[str, Any]:
        """Read config.toml again and apply what changed (the tray's "Reload config")."""

    def on_quit(self, callback: Callable[[], None]) -> None:
        """`callback` runs once shutdown is complete (the tray stops its icon there)."""

    def start_background(self) -> None:
        """Start the supervisor, the control channel and the monitors."""
