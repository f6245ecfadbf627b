"""nanobot's config: which providers have an API key. Pure; the keys themselves are never shown."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trayapp.doctor.report import Check, info

GROUP = "config"


def provider_names(data: Mapping[str, Any]) -> list[str]:
    """Providers whose apiKey is set (to anything but empty)."""
    providers = data.get("providers")
    if not isinstance(providers, Mapping):
        return []
    return sorted(name for name, p in providers.items()
                  if isinstance(p, Mapping) and isinstance(p.get("apiKey"), str) and p["apiKey"].strip())


def checks(data: Mapping[str, Any]) -> list[Check]:
    names = provider_names(data)
    if names:
        return [info(GROUP, "nanobot provider keys", f"an API key is set for: {', '.join(names)}")]
    return [info(GROUP, "nanobot provider keys", "no provider has an API key yet; nanobot cannot answer "
                 "until one has", "add a key under providers.<name>.apiKey in ~/.nanobot/config.json, "
                 "or run: nanobot onboard --wizard")]
