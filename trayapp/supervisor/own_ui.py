"""Where an assistant's own web UI is: named in config.toml (`ui_url`), known for its preset, or
announced in its output ("WebUI: http://127.0.0.1:8765", as nanobot 0.3.5 prints it).

From output only a loopback URL is offered: a line from the program is not a reason to send the
user's browser anywhere else. The URL goes into Status.extra["own_ui"] while the program runs.
"""

from __future__ import annotations

import re

from trayapp.config import ProgramConfig
from trayapp.triage.excerpt import strip_ansi

KEY = "own_ui"  # the key in Status.extra
_ANNOUNCED = re.compile(
    r"(?i)\b(?:web\s?ui|control\s+ui|dashboard)\b[^\n]*?"
    r"(https?://(?:127\.0\.0\.1|localhost|\[::1\])(?::\d{1,5})?(?:/[^\s'\"<>)\]]*)?)(?![\w.:-]*\w)")


def announced(line: str) -> str | None:
    """The loopback URL a line names as the program's web UI, dashboard or Control UI, else None."""
    match = _ANNOUNCED.search(strip_ansi(line))
    return match.group(1).rstrip(".,;") if match else None


def configured(cfg: ProgramConfig) -> str | None:
    """`ui_url` from config.toml, else the preset's (OpenClaw's Control UI on its gateway port)."""
    return cfg.ui_url or cfg.info.ui_url
