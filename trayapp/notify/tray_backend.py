"""The tray icon's own notification (pystray `Icon.notify`): the first choice on macOS and Windows.

On Windows it reuses trayapp's icon instead of plyer's extra icon per message (plyer #752), and on
macOS it needs no pyobjus. Any `NotifyingIcon` with a true `HAS_NOTIFICATION` works, so this module
never imports pystray.
"""

from __future__ import annotations

import sys
from typing import Protocol

from trayapp.notify.note import BackendUnavailable, Limits, Note
from trayapp.notify.plyer_backend import WINDOWS_LIMITS


class NotifyingIcon(Protocol):
    """What this backend needs of a pystray Icon."""

    def notify(self, message: str, title: str | None = None) -> None: ...


def supports_notify(icon: NotifyingIcon) -> bool:
    """pystray backends without notifications lack the flag or set it False (pystray #51).

    The flag is an optional attribute of a third-party class, not part of trayapp's interface:
    reading it with getattr is the only way to ask."""
    flag = getattr(type(icon), "HAS_NOTIFICATION", None)
    if flag is None:
        flag = getattr(icon, "HAS_NOTIFICATION", False)
    return bool(flag)


class TrayIconBackend:
    """Sends through the tray icon. pystray's notify may be called from any thread on every
    backend (win32 posts to its own window, darwin runs osascript, gtk marshals to its loop)."""

    name = "tray"
    buttons = False

    def __init__(self, icon: NotifyingIcon, platform: str = sys.platform) -> None:
        self.icon = icon
        self.limits = WINDOWS_LIMITS if platform == "win32" else Limits(title=100, body=250)

    def send(self, note: Note) -> None:
        if not supports_notify(self.icon):
            raise BackendUnavailable("the tray icon's backend cannot show notifications")
        try:
            # Always a title: pystray 0.19.5 on macOS fails on a missing one (pystray PR #192).
            self.icon.notify(note.body or note.title, note.title or "trayapp")
        except Exception as exc:
            raise BackendUnavailable(f"the tray icon could not notify: {type(exc).__name__}: {exc}") from exc
        return None
