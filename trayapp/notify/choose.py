"""Which backends to try, in order, on each platform. Chosen once, at start."""

from __future__ import annotations

import sys
from collections.abc import Mapping

from trayapp.notify.freedesktop import FreedesktopBackend
from trayapp.notify.log_backend import LogBackend
from trayapp.notify.note import ActionRelay, Backend
from trayapp.notify.plyer_backend import PlyerBackend
from trayapp.notify.tray_backend import NotifyingIcon, TrayIconBackend


def choose_backends(platform: str = sys.platform, *, tray_icon: NotifyingIcon | None = None,
                    environ: Mapping[str, str] | None = None, actions: ActionRelay | None = None) -> list[Backend]:
    """linux: freedesktop (jeepney), plyer, log. macOS/Windows: tray icon (if given), plyer, log.

    None of these imports pystray, plyer or jeepney until it sends. `actions`: where presses of
    notification buttons go (freedesktop only; elsewhere the body names the command instead).
    """
    backends: list[Backend] = []
    if platform.startswith("linux") or platform.startswith("freebsd"):
        backends.append(FreedesktopBackend(environ=environ, actions=actions))
    backends.append(PlyerBackend(platform, environ))
    backends.append(LogBackend())
    return with_tray_icon(backends, tray_icon, platform) if tray_icon is not None else backends


def with_tray_icon(backends: list[Backend], icon: NotifyingIcon, platform: str = sys.platform) -> list[Backend]:
    """`backends` with the tray icon's notify added: first on macOS/Windows, else before plyer."""
    rest = [b for b in backends if b.name != "tray"]
    tray = TrayIconBackend(icon, platform)
    if platform in ("darwin", "win32"):
        return [tray, *rest]
    at = next((i for i, b in enumerate(rest) if b.name in ("plyer", "log")), len(rest))
    return [*rest[:at], tray, *rest[at:]]
