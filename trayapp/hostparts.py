"""The running app's parts as both its faces see them: the tray (tray/host.py) and the dashboard
(dashboard/host.py) each declare what they use of the App, and share these pieces."""

from __future__ import annotations

from typing import Any, Protocol

from trayapp.config import Config
from trayapp.diskwatch import Level
from trayapp.events import EventBus
from trayapp.paths import AppPaths
from trayapp.status import Status


class InstanceView(Protocol):
    """What both faces read of the running instance: its config, folders, event bus and statuses."""

    @property
    def config(self) -> Config: ...

    @property
    def paths(self) -> AppPaths: ...

    @property
    def bus(self) -> EventBus: ...

    @property
    def config_problems(self) -> tuple[str, ...]:
        """Every problem of config.toml while trayapp runs in the "config error" state (at start or
        after the last reload); empty when the file is fine."""

    def statuses(self) -> list[Status]: ...


class PauseControl(Protocol):
    """The notification facade's pause: "Pause notifications for 1 hour" and "Resume"."""

    @property
    def paused_until(self) -> float | None: ...

    def pause(self, seconds: float) -> float | None: ...

    def resume(self) -> None: ...


class BackupsView(Protocol):
    """The backup jobs: "Back up now", its progress and when the last one succeeded."""

    @property
    def progress(self) -> str | None: ...

    @property
    def last_ok_at(self) -> float | None: ...

    def request(self) -> str: ...


class DiskView(Protocol):
    """The free-space watch: the worst level and each watched volume (path, level, free, total)."""

    @property
    def level(self) -> Level: ...

    def snapshot(self) -> list[dict[str, Any]]: ...
