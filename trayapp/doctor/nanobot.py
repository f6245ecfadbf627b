"""nanobot's config: is there a usable model provider? Pure; the keys themselves are never shown."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trayapp.doctor.report import Check, ok, warn
from trayapp.supervisor.degraded import nanobot_provider

GROUP = "config"


def checks(data: Mapping[str, Any]) -> list[Check]:
    """The same verdict the running trayapp gives (a degraded nanobot), so the two never disagree."""
    verdict = nanobot_provider(data)
    if verdict is None:
        return [ok(GROUP, "nanobot model provider", "a usable model provider is set")]
    return [warn(GROUP, "nanobot model provider", verdict.reason, verdict.fix)]
