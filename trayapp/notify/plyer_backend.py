"""plyer as a fallback, with every known plyer failure turned into BackendUnavailable.

Known failures (see the reference notes, section 3.2) and what is done about each:
- no implementation at all (Linux without dbus-python and without notify-send, or an unknown
  platform): plyer raises NotImplementedError -> checked before the call, caught anyway;
- dbus-python given None for app_name/app_icon fails (plyer #658) -> always strings;
- the Flatpak portal call builds a GVariant by pasting text between single quotes, so a quote
  in the text breaks it, and "/app" existing is taken for Flatpak -> quotes are replaced by
  typographic ones;
- Windows keeps title and message in fixed buffers (64 / 256 UTF-16 units) -> Limits(63, 255);
- macOS needs pyobjus, which plyer does not install (#593), and even then the notification
  center may be None (#449) -> unavailable without pyobjus, AttributeError caught;
- plyer warns and prints tracebacks while choosing -> warnings silenced, errors caught.
plyer is imported on first send only.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import warnings
from collections.abc import Mapping
from pathlib import Path

from trayapp.notify.note import BackendUnavailable, Limits, Note, Urgency

WINDOWS_LIMITS = Limits(title=63, body=255, utf16=True)
_QUOTES = str.maketrans({"'": "’", '"': "”", "`": "’"})
_TIMEOUT = {Urgency.LOW: 8, Urgency.NORMAL: 15, Urgency.CRITICAL: 30}


def plain(text: str) -> str:
    """Text that survives plyer's Flatpak portal call (no ASCII quotes, no NUL)."""
    return text.translate(_QUOTES).replace("\x00", "")


def _session_bus_exists(environ: Mapping[str, str]) -> bool:
    """notify-send and dbus-python both need a session bus; without one they fail silently."""
    address = environ.get("DBUS_SESSION_BUS_ADDRESS", "")
    if "path=" in address:
        return Path(address.split("path=", 1)[1].split(",", 1)[0]).exists()
    if address:
        return True  # abstract socket or tcp: cannot check cheaply, let plyer try
    runtime = environ.get("XDG_RUNTIME_DIR", "")
    return bool(runtime) and Path(runtime, "bus").exists()


def unusable_reason(platform: str, environ: Mapping[str, str]) -> str | None:
    """Why plyer cannot deliver here, or None if it may. Pure apart from module/binary lookups."""
    if platform == "darwin" and importlib.util.find_spec("pyobjus") is None:
        return "plyer needs pyobjus on macOS, which is not installed"
    if platform.startswith("linux"):
        if importlib.util.find_spec("dbus") is None and shutil.which("notify-send") is None:
            return "plyer needs dbus-python or notify-send; neither is installed"
        if not _session_bus_exists(environ):
            return "no session D-Bus for plyer to talk to"
    return None


class PlyerBackend:
    """Runs on the notifier's worker thread. plyer's own threads (Windows) are its business."""

    name = "plyer"
    buttons = False

    def __init__(self, platform: str = sys.platform, environ: Mapping[str, str] | None = None,
                 app_name: str = "trayapp") -> None:
        self.platform = platform
        self.environ = os.environ if environ is None else environ
        self.app_name = app_name
        self.limits = WINDOWS_LIMITS if platform == "win32" else Limits(title=100, body=400)

    def send(self, note: Note) -> None:
        reason = unusable_reason(self.platform, self.environ)
        if reason:
            raise BackendUnavailable(reason)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                from plyer import notification

                notification.notify(title=plain(note.title) or "trayapp", message=plain(note.body),
                                     app_name=self.app_name, app_icon=note.icon or "",
                                     timeout=_TIMEOUT[note.urgency])
        except NotImplementedError as exc:
            raise BackendUnavailable("plyer has no notification implementation here") from exc
        except Exception as exc:  # AttributeError on macOS (#449), OSError/ValueError on Windows, ...
            raise BackendUnavailable(f"plyer failed: {type(exc).__name__}: {exc}") from exc
        return None
