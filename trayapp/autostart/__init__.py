"""Start trayapp at login: XDG autostart (Linux), a LaunchAgent (macOS), the Run key (Windows).

The platform is chosen once, at import (`PLATFORM`). `backend()` builds the right backend, and the
three calls the tray and the CLI need are `status()`, `enable()` and `disable()`:

    from trayapp import autostart
    autostart.status().enabled          # the "Start at login" check mark
    autostart.enable(); autostart.disable()

Each backend renders its files as text in pure functions, builds a `Plan` from the current state and
`plan.apply` writes it atomically; `--dry-run` prints the same plan instead, for any platform.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypedDict, Unpack

from trayapp.autostart.entry import LaunchCommand, resolve
from trayapp.autostart.plan import Plan, Registry, apply
from trayapp.procs import CommandRunner, NoRunner, SubprocessRunner
from trayapp.autostart.status import AutostartStatus
from trayapp.errors import PlatformNotSupported
from trayapp.i18n import _

PLATFORMS = ("linux", "macos", "windows")


def platform_of(sys_platform: str) -> str | None:
    if sys_platform.startswith("linux") or "bsd" in sys_platform:
        return "linux"  # the BSDs' desktops follow the same XDG autostart spec
    return {"darwin": "macos", "win32": "windows"}.get(sys_platform)


PLATFORM = platform_of(sys.platform)


class Backend(Protocol):
    platform: str

    def plan_enable(self) -> Plan: ...

    def plan_disable(self) -> Plan: ...

    def status(self) -> AutostartStatus: ...

    @property
    def registry(self) -> Registry | None:
        """The Windows registry the plan writes to; None on the other platforms."""


class BackendOptions(TypedDict, total=False):
    """What `status`, `enable` and `disable` pass on to `backend`."""

    platform: str | None
    environ: Mapping[str, str] | None
    runner: CommandRunner | None
    registry: Registry | None
    command: LaunchCommand | None


@dataclass(frozen=True)
class Outcome:
    status: AutostartStatus
    plan: Plan
    warnings: tuple[str, ...]


def backend(platform: str | None = None, *, environ: Mapping[str, str] | None = None,
            runner: CommandRunner | None = None, registry: Registry | None = None,
            command: LaunchCommand | None = None) -> Backend:
    """The backend for `platform` (default: this computer's). Another platform's backend sees an
    empty state (no launchctl, no registry) and is good for previews only."""
    target = platform or PLATFORM
    if target not in PLATFORMS:
        raise PlatformNotSupported(_("login items are not supported on {platform}").format(platform=sys.platform),
                                   fix=_("start trayapp from your session's startup settings"))
    native = target == PLATFORM
    env = os.environ if environ is None else environ
    command = command or resolve(target, environ=env)
    if target == "linux":
        from trayapp.autostart.xdg import XdgAutostart

        return XdgAutostart(command, env)
    if target == "macos":
        return _launchd(command, env, runner or (SubprocessRunner() if native else NoRunner()))
    from trayapp.autostart.windows import EmptyRegistry, WindowsAutostart, WinRegistry

    return WindowsAutostart(command, registry or (WinRegistry() if native else EmptyRegistry()))


def _launchd(command: LaunchCommand, env: Mapping[str, str], runner: CommandRunner) -> Backend:
    from trayapp.autostart.launchd import LaunchdAutostart

    home = Path(env.get("HOME") or Path.home())
    return LaunchdAutostart(command, home=home, log_dir=macos_log_dir(env, home), uid=_uid(),
                            runner=runner, own_pid=os.getpid())


def _uid() -> int:
    if sys.platform == "win32":
        return 501  # previews from Windows: the first macOS user
    return os.getuid()


def macos_log_dir(env: Mapping[str, str], home: Path) -> Path:
    """trayapp's log folder as it is on macOS (TRAYAPP_HOME/logs, else ~/Library/Logs/trayapp)."""
    if env.get("TRAYAPP_HOME"):
        from trayapp.paths import AppPaths

        return AppPaths.discover(dict(env)).log_dir
    return home / "Library" / "Logs" / "trayapp"


def status(**kwargs: Unpack[BackendOptions]) -> AutostartStatus:
    """Whether trayapp starts at login on this computer. Thread: any (may run launchctl)."""
    return backend(**kwargs).status()


def enable(**kwargs: Unpack[BackendOptions]) -> Outcome:
    """Make trayapp start at login; idempotent. Raises AutostartError. Thread: any but the GUI's."""
    return _change(backend(**kwargs), "enable", kwargs)


def disable(**kwargs: Unpack[BackendOptions]) -> Outcome:
    """Stop trayapp starting at login and remove what enable wrote; idempotent. Raises AutostartError."""
    return _change(backend(**kwargs), "disable", kwargs)


def _change(chosen: Backend, what: str, kwargs: BackendOptions) -> Outcome:
    faked = kwargs.get("runner") or kwargs.get("registry")
    if chosen.platform != PLATFORM and not faked:
        raise PlatformNotSupported(_("this computer is not {platform}; its login item cannot be changed here").format(
                                       platform=chosen.platform),
                                   fix=_("add --dry-run to see what would be written there"))
    plan = chosen.plan_enable() if what == "enable" else chosen.plan_disable()
    runner = kwargs.get("runner") or SubprocessRunner()
    warnings = apply(plan, runner, chosen.registry)
    return Outcome(chosen.status(), plan, tuple(warnings))
