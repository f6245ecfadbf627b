"""nanobot's config: is there a usable model provider? Pure; the keys themselves are never shown."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trayapp.i18n import N_, _
from trayapp.doctor.report import Check, ok, warn
from trayapp.message import words
from trayapp.supervisor.degraded import nanobot_provider

GROUP = N_("config")


def checks(data: Mapping[str, Any]) -> list[Check]:
    """The same verdict the running trayapp gives (a degraded nanobot), so the two never disagree."""
    verdict = nanobot_provider(data)
    if verdict is None:
        return [ok(GROUP, N_("nanobot model provider"), _("a usable model provider is set"))]
    return [warn(GROUP, N_("nanobot model provider"), words(verdict.reason), words(verdict.fix))]
