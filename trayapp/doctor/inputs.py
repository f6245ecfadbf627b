"""What the checks look at, gathered in one object so tests can hand in their own world."""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict

from trayapp.procs import CommandRunner, SubprocessRunner
from trayapp.config import Config, HealthConfig, ProgramConfig
from trayapp.paths import AppPaths
from trayapp.status import Status
from trayapp.supervisor.health import ProbeResult


def _probe(cfg: HealthConfig, cwd: Path | None, env: Mapping[str, str]) -> ProbeResult:
    from trayapp.supervisor.health import probe

    return probe(cfg, cwd=cwd, env=env)


def _resolve(name: str, env: Mapping[str, str], cwd: Path | None) -> str | None:
    from trayapp.supervisor.spawn import resolve_command

    return resolve_command(name, env, cwd)


def _running(paths: AppPaths) -> list[Status] | None:
    """What the running trayapp says about its programs; None when none answers."""
    from trayapp import control
    from trayapp.errors import TrayAppError

    try:
        report = control.request(paths, "status", timeout=3.0)
        return [Status.from_dict(p) for p in report["programs"]]
    except (TrayAppError, OSError, KeyError, TypeError, ValueError):
        return None


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
    resolve: Callable[[str, Mapping[str, str], Path | None], str | None]
    probe: Callable[[HealthConfig, Path | None, Mapping[str, str]], ProbeResult]
    running: Callable[[AppPaths], list[Status] | None]
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
    # Resolves a command as the supervisor does (trayapp's own virtualenv included).
    resolve: Callable[[str, Mapping[str, str], Path | None], str | None] = _resolve
    probe: Callable[[HealthConfig, Path | None, Mapping[str, str]], ProbeResult] = _probe
    # The running instance's statuses (it is the one source of truth); None: no instance answers.
    running: Callable[[AppPaths], list[Status] | None] = _running
    port_open: Callable[[str, int], bool] = _port_open
    listener_pid: Callable[[str, int], int | None] = _listener
    platform: str | None = None  # "linux" / "macos" / "windows"; None: this computer's

    @functools.cached_property
    def instance(self) -> list[Status] | None:
        """The running trayapp's statuses, asked once per doctor run; None when none answers."""
        return self.running(self.paths)

    def instance_status(self, program: str) -> Status | None:
        return next((s for s in self.instance or () if s.program == program), None)

    @property
    def home(self) -> Path:
        return Path(self.environ.get("HOME") or Path.home())

    @property
    def os_name(self) -> str:
        if self.platform is not None:
            return self.platform
        from trayapp.autostart import PLATFORM

        return PLATFORM or "unknown"

    def expand(self, path: str, program: ProgramConfig | None = None) -> Path:
        """`~/x` against this world's HOME, or the program's own HOME when its env sets one (the
        assistant reads its config from there, so doctor looks there too)."""
        from trayapp.config import expand

        environ = {**self.environ, "HOME": str(self.home)}
        return Path(expand(path, program.environment(environ) if program is not None else environ))
