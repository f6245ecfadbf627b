"""What `trayapp autostart status` reports, the same shape on every platform."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class AutostartStatus:
    platform: str
    enabled: bool  # trayapp will start at the next login
    path: str  # the file, or the registry value, that makes it so
    detail: str  # one plain sentence: why enabled or not
    command: tuple[str, ...] | None = None  # what the login item runs, when there is one
    extra: dict[str, Any] = field(default_factory=dict)  # platform facts (loaded, approved, ...)

    def to_dict(self) -> dict[str, Any]:
        return {"enabled": self.enabled, "path": self.path, "platform": self.platform,
                "detail": self.detail, "command": list(self.command) if self.command else None,
                **self.extra}
