"""What the checks look at, gathered in one object so tests can hand in their own world."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict

from trayapp.procs import CommandRunner, SubprocessRunner
from trayapp.config import Config, HealthConfig
from trayapp.paths import AppPaths
from trayapp.supervisor.health import ProbeResult


def _which(name: str, path: str | None = None) -> str | None:
    return shutil.which(name, path=path)


def _probe(cfg: HealthConfig) -> ProbeResult:
    from trayapp.supervisor.health import probe

    return probe(cfg)


def _listener(host: str, port: int) -> int | None:
    from trayapp.supervisor.orphans import listener_pid

    return listener_pid(host, port)


def _port_open(host: str, port: int) -> bool:
    from trayapp.supervisor.health import port_open

    return port_open(host, port)


class World(TypedDict, total=False):
    """The parts of `Inputs` a caller of `doctor.run_all` / `diagnose` may replace (tests, mostly)."""

    environ: Mapping[str, str]
    now: Callable[[], float]
    runner: CommandRunner
    which: Callable[[str, str | None], str | None]
    probe: Callable[[HealthConfig], ProbeResult]
    port_open: Callable[[str, int], bool]
    listener_pid: Callable[[str, int], int | None]
    platform: str | None


@dataclass
class Inputs:
    """Everything a check may consult. Production defaults; tests replace what they need."""

    config: Config
    paths: AppPaths
    config_error: str | None = None  # config.toml did not load: the checks use the defaults
    fix: bool = False  # `--fix`: permission checks tighten what they can
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    now: Callable[[], float] = time.time
    runner: CommandRunner = field(default_factory=lambda: SubprocessRunner(timeout=10.0))
    which: Callable[[str, str | None], str | None] = _which
    probe: Callable[[HealthConfig], ProbeResult] = _probe
    port_open: Callable[[str, int], bool] = _port_open
    listener_pid: Callable[[str, int], int | None] = _listener
    platform: str | None = None  # "linux" / "macos" / "windows"; None: this computer's

    @property
    def home(self) -> Path:
        return Path(self.environ.get("HOME") or Path.home())

    @property
    def os_name(self) -> str:
        if self.platform is not None:
            return self.platform
        from trayapp.autostart import PLATFORM

        return PLATFORM or "unknown"

    def expand(self, path: str) -> Path:
        """`~/x` against this world's HOME."""
        from trayapp.config import expand

        return Path(expand(path, {**self.environ, "HOME": str(self.home)}))
