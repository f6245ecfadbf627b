"""Is the assistant already run by its own service manager? Then trayapp must attach, not spawn.

`nanobot gateway install-service` writes ~/.config/systemd/user/nanobot-gateway.service (Linux) or
~/Library/LaunchAgents/ai.nanobot.gateway.plist (macOS); `openclaw gateway install` makes
ai.openclaw.gateway / openclaw-gateway.service; `trayapp export` makes trayapp-<program>.service /
io.github.trayapp.<program>. Detection only looks at files: it is quick, runs no tool and has no
side effects, so the lead (at start) and the doctor can call it freely.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from trayapp.config import ProgramConfig

# systemd.unit(5), "User Unit Search Path": the fixed folders (XDG ones come from the environment).
SYSTEM_UNIT_DIRS = (Path("/etc/systemd/user"), Path("/usr/local/lib/systemd/user"), Path("/usr/lib/systemd/user"))
SYSTEM_AGENT_DIRS = (Path("/Library/LaunchAgents"),)


@dataclass(frozen=True)
class ServiceInfo:
    manager: str  # "systemd_user" or "launchd": the key to set under [programs.NAME.attach]
    name: str  # unit name or launchd label
    path: Path  # the unit file or plist found
    origin: str  # "assistant" (its own installer) or "export" (made by `trayapp export`)
    enabled: bool | None = None  # systemd: linked into a *.wants folder; None when unknown

    def attach_toml(self, program: str) -> str:
        """The config.toml lines that switch `program` to attach mode against this service."""
        return f'[programs.{program}.attach]\n{self.manager} = "{self.name}"\n'

    def describe(self) -> str:
        kind = "systemd user service" if self.manager == "systemd_user" else "launchd agent"
        return f"{kind} {self.name} ({self.path})"

    def to_dict(self) -> dict[str, object]:
        return {"manager": self.manager, "name": self.name, "path": str(self.path),
                "origin": self.origin, "enabled": self.enabled}


def detect_service(program: ProgramConfig, *, environ: Mapping[str, str] | None = None,
                   platform: str | None = None, system_dirs: bool = True) -> ServiceInfo | None:
    """The installed service that already runs `program`, or None. Thread: any; reads a few files."""
    env = os.environ if environ is None else environ
    if platform is None:
        from trayapp.autostart import PLATFORM

        platform = PLATFORM
    if platform == "linux":
        return _find_unit(program, env, system_dirs)
    if platform == "macos":
        return _find_agent(program, env, system_dirs)
    return None


def _names(program: ProgramConfig, manager: str) -> list[tuple[str, str]]:
    from trayapp.export import exported_label, exported_unit

    info = program.info
    own: list[str | None] = [info.systemd_user_unit if manager == "systemd_user" else info.launchd_label]
    if program.preset == "nanoclaw":
        own = list(nanoclaw_service_names(program.cwd, manager))
    ours = exported_unit(program.name) if manager == "systemd_user" else exported_label(program.name)
    return [(n, "assistant") for n in own if n] + [(ours, "export")]


def nanoclaw_service_names(checkout: Path | None, manager: str) -> list[str]:
    """NanoClaw v2 names its service after its checkout: nanoclaw-v2-<first 8 hex of sha1(path)>;
    v1 used plain nanoclaw. The hash is of the checkout's absolute path as NanoClaw sees it."""
    names = []
    if checkout is not None:
        digest = hashlib.sha1(str(checkout).encode()).hexdigest()[:8]
        names.append(f"nanoclaw-v2-{digest}.service" if manager == "systemd_user" else f"com.nanoclaw-v2-{digest}")
    return names + (["nanoclaw.service"] if manager == "systemd_user" else ["com.nanoclaw"])


def _home(env: Mapping[str, str]) -> Path:
    return Path(env.get("HOME") or Path.home())


def _xdg(env: Mapping[str, str], var: str, default: Path) -> Path:
    value = env.get(var, "")
    return Path(value) if value.startswith("/") else default


def _xdg_list(env: Mapping[str, str], var: str, default: str) -> list[Path]:
    return [Path(d) for d in (env.get(var) or default).split(":") if d.startswith("/")]


def systemd_user_dirs(env: Mapping[str, str], system_dirs: bool = True) -> list[Path]:
    """Where systemd --user looks for units, highest priority first."""
    home = _home(env)
    config = _xdg(env, "XDG_CONFIG_HOME", home / ".config")
    data = _xdg(env, "XDG_DATA_HOME", home / ".local" / "share")
    dirs = [config / "systemd" / "user"]
    dirs += [d / "systemd" / "user" for d in _xdg_list(env, "XDG_CONFIG_DIRS", "/etc/xdg")]
    if env.get("XDG_RUNTIME_DIR", "").startswith("/"):
        dirs.append(Path(env["XDG_RUNTIME_DIR"]) / "systemd" / "user")
    dirs.append(data / "systemd" / "user")
    dirs += [d / "systemd" / "user" for d in _xdg_list(env, "XDG_DATA_DIRS", "/usr/local/share:/usr/share")]
    return dirs + (list(SYSTEM_UNIT_DIRS) if system_dirs else [])


def _find_unit(program: ProgramConfig, env: Mapping[str, str], system_dirs: bool) -> ServiceInfo | None:
    dirs = systemd_user_dirs(env, system_dirs)
    for name, origin in _names(program, "systemd_user"):
        path = _first_existing(dirs, name)
        if path is not None and not _masked(path):
            return ServiceInfo("systemd_user", name, path, origin, _unit_enabled(dirs, name))
    return None


def _first_existing(dirs: Sequence[Path], name: str) -> Path | None:
    for folder in dirs:
        if os.path.lexists(folder / name):
            return folder / name
    return None


def _masked(path: Path) -> bool:
    """`systemctl --user mask` links the unit to /dev/null: installed, but it can never start."""
    return path.is_symlink() and os.path.realpath(path) == os.devnull


def _unit_enabled(dirs: Sequence[Path], name: str) -> bool:
    return any(folder.is_dir() and any(folder.glob(f"*.wants/{name}")) for folder in dirs)


def _find_agent(program: ProgramConfig, env: Mapping[str, str], system_dirs: bool) -> ServiceInfo | None:
    dirs = [_home(env) / "Library" / "LaunchAgents", *(SYSTEM_AGENT_DIRS if system_dirs else ())]
    for label, origin in _names(program, "launchd"):
        path = _first_existing(dirs, f"{label}.plist")
        if path is not None:
            return ServiceInfo("launchd", label, path, origin)
    return None
