"""`trayapp export systemd|launchd`: the assistant as a service of the system's own manager.

For a headless server the assistant is better run by systemd --user or launchd than by a tray. These
pure functions render a unit / agent from a `ProgramConfig` with the same policy trayapp applies:
restart mode, exponential backoff, restart intensity, exit 78 = no restart, stop signal and grace,
memory limit, environment and working directory. What a manager cannot express is listed by
`gaps()` so the CLI can say so. Afterwards trayapp attaches to the unit instead of spawning.
"""

from __future__ import annotations

import math
import os
import plistlib
import shutil
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from trayapp import __version__
from trayapp.config import ProgramConfig
from trayapp.i18n import _
from trayapp.units import format_duration

BASE_PATH = ("/usr/local/bin", "/usr/bin", "/bin")
MAC_PATH = ("/opt/homebrew/bin", "/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin")
_SYSTEMD_RESTART = {"always": "always", "on-failure": "on-failure", "never": "no"}


def exported_unit(program: str) -> str:
    return f"trayapp-{program}.service"


def exported_label(program: str) -> str:
    return f"io.github.trayapp.{program}"


@dataclass(frozen=True)
class Resolved:
    """What export needs from the machine: the absolute program and a PATH for the service."""

    argv: tuple[str, ...]
    path: str
    found: bool  # False: the program is not on PATH; the unit names it as written


def resolve(program: ProgramConfig, *, home: Path, which: Callable[..., str | None] = shutil.which,
            base_path: tuple[str, ...] = BASE_PATH) -> Resolved:
    """Make the command absolute (services get a minimal PATH) and build a PATH that finds its tools."""
    name, *args = program.command
    # Then the folder of trayapp's own interpreter: `pip install trayapp[nanobot]` puts nanobot there.
    search = program.env.get("PATH") or os.pathsep.join([os.environ.get("PATH", ""), os.path.dirname(sys.executable)])
    if "/" in name:
        found = str((program.cwd or Path.cwd()) / name) if not name.startswith("/") else name
    else:
        found = which(name, path=search) or ""
    absolute = os.path.abspath(found) if found else name
    if "PATH" in program.env:
        return Resolved((absolute, *args), program.env["PATH"], bool(found))
    first = [os.path.dirname(absolute)] if found else []
    dirs = _unique([*first, str(home / ".local" / "bin"), *base_path])
    return Resolved((absolute, *args), ":".join(dirs), bool(found))


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))


# --- systemd -------------------------------------------------------------------------------------

def systemd_quote(arg: str) -> str:
    """One ExecStart= word: plain when safe, else double-quoted with C escapes; % and $ doubled."""
    safe = arg and all(c.isalnum() or c in "@+=:,./-_" for c in arg)
    if not safe:
        arg = '"' + arg.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return arg.replace("%", "%%").replace("$", "$$")


def _env_assignment(key: str, value: str) -> str:
    """Environment="KEY=value": specifiers (%) expand here, variables ($) do not."""
    text = f"{key}={value}".replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%")
    return f'Environment="{text}"'


def _seconds(value: float) -> str:
    return f"{value:g}s"


def restart_steps(initial: float, maximum: float, multiplier: float) -> int:
    """How many steps systemd needs to grow RestartSec to RestartMaxDelaySec at `multiplier` a step."""
    if maximum <= initial or multiplier <= 1 or initial <= 0:
        return 0
    return max(1, math.ceil(math.log(maximum / initial) / math.log(multiplier) - 1e-9))


def render_systemd(program: ProgramConfig, resolved: Resolved) -> str:
    """A systemd --user unit running `program` with trayapp's restart policy."""
    unit = exported_unit(program.name)
    return "\n".join([*_systemd_header(program, unit), "", *_unit_section(program), "",
                      *_service_section(program, resolved), "", "[Install]", "WantedBy=default.target", ""])


def _systemd_header(program: ProgramConfig, unit: str) -> list[str]:
    return [
        f"# {unit}: {program.display_name}, run by systemd --user instead of by trayapp.",
        f"# Written by `trayapp export systemd` (trayapp {__version__}) from [programs.{program.name}].",
        f"# Install: save it as ~/.config/systemd/user/{unit}, then",
        f"#   systemctl --user daemon-reload && systemctl --user enable --now {unit}",
        "# and let trayapp watch it instead of starting a second copy, in config.toml:",
        f"#   [programs.{program.name}.attach]",
        f'#   systemd_user = "{unit}"',
    ]


def _unit_section(program: ProgramConfig) -> list[str]:
    return [
        "[Unit]",
        f"Description={program.display_name} (personal AI assistant, exported by trayapp)",
        f"# Restart intensity: at most {program.max_restarts} restarts ({program.max_restarts + 1} starts) "
        f"in {_seconds(program.window)}; then the unit stays failed until started again.",
        f"StartLimitIntervalSec={_seconds(program.window)}",
        f"StartLimitBurst={program.max_restarts + 1}",
    ]


def _service_section(program: ProgramConfig, resolved: Resolved) -> list[str]:
    lines = ["[Service]", "Type=simple", "ExecStart=" + " ".join(systemd_quote(a) for a in resolved.argv)]
    if program.cwd:
        lines.append(f"WorkingDirectory={str(program.cwd).replace('%', '%%')}")
    env = {"PATH": resolved.path, **program.env}
    lines += [_env_assignment(k, v) for k, v in sorted(env.items())]
    return lines + _restart_lines(program) + _stop_lines(program) + _limit_lines(program)


def _restart_lines(program: ProgramConfig) -> list[str]:
    b = program.backoff
    lines = [f"Restart={_SYSTEMD_RESTART[program.restart]}", f"RestartSec={_seconds(b.initial)}"]
    steps = restart_steps(b.initial, b.max, b.multiplier)
    if steps:
        lines = [f"# Backoff: {_seconds(b.initial)} growing x{b.multiplier:g} up to {_seconds(b.max)} "
                 "(RestartSteps= and RestartMaxDelaySec= need systemd 254; older versions ignore them).",
                 *lines, f"RestartSteps={steps}", f"RestartMaxDelaySec={_seconds(b.max)}"]
    if program.no_restart_exit_codes:
        lines.append("RestartPreventExitStatus=" + " ".join(map(str, program.no_restart_exit_codes)))
    success = [c for c in program.exit_codes if c != 0]
    if success:
        lines.append("SuccessExitStatus=" + " ".join(map(str, success)))
    return lines


def _stop_lines(program: ProgramConfig) -> list[str]:
    # control-group: the signal goes to every process of the service, as trayapp signals the group.
    return ["KillMode=control-group", f"KillSignal=SIG{program.stop_signal}",
            f"TimeoutStopSec={_seconds(program.stop_timeout)}"]


def _limit_lines(program: ProgramConfig) -> list[str]:
    limits, lines = program.limits, []
    if limits.memory:
        # restart: over the limit the service is killed (and restarted); notify: only throttled.
        lines.append(f"{'MemoryMax' if limits.action == 'restart' else 'MemoryHigh'}={limits.memory}")
    if limits.cpu:
        lines.append(f"# limits.cpu = {limits.cpu:g}%: CPUQuota={limits.cpu:g}% would throttle rather than "
                     "restart, so it is left to you.")
    return lines


# --- launchd -------------------------------------------------------------------------------------

def throttle_interval(program: ProgramConfig) -> int:
    """launchd has one fixed respawn delay (default 10s): the first backoff step, never under 10s
    (no tight loop) and never over the backoff maximum."""
    b = program.backoff
    return int(math.ceil(min(max(b.initial, 10.0), max(b.max, 1.0))))


def render_launchd(program: ProgramConfig, resolved: Resolved, *, log_dir: Path) -> bytes:
    """A per-user LaunchAgent running `program`, as close to trayapp's policy as launchd allows."""
    log = str(log_dir / f"{program.name}.launchd.log")
    agent: dict[str, object] = {
        "Label": exported_label(program.name),
        "ProgramArguments": list(resolved.argv),
        "EnvironmentVariables": {"PATH": resolved.path, **program.env},
        "RunAtLoad": True,
        "ThrottleInterval": throttle_interval(program),
        "ExitTimeOut": int(math.ceil(program.stop_timeout)),
        "StandardOutPath": log,
        "StandardErrorPath": log,
    }
    if program.restart != "never":
        agent["KeepAlive"] = True if program.restart == "always" else {"SuccessfulExit": False}
    if program.cwd:
        agent["WorkingDirectory"] = str(program.cwd)
    return plistlib.dumps(agent, sort_keys=False)


# --- what cannot be carried over -----------------------------------------------------------------

def gaps(program: ProgramConfig, manager: str) -> list[str]:
    """Sentences, in the user's language, for the parts of trayapp's policy this manager cannot express.
    (The exported file itself stays English: it is a config file for systemd or launchd, like config.toml.)"""
    out = []
    if program.health:
        # the check kind (http, tcp, command) is config.toml's own word
        out.append(_("health checks ({kind}) are not done by {manager}; trayapp in attach mode keeps probing "
                     "them").format(kind=program.health.kind, manager=manager))
    if manager == "systemd":
        out.append(_("after the restart limit the unit stays failed; trayapp would retry every {interval}").format(
            interval=format_duration(program.retry_after_give_up)))
        return out
    out.append(_("launchd relaunches at most every {interval} with no growing backoff and never gives up").format(
        interval=format_duration(throttle_interval(program))))
    if program.no_restart_exit_codes and program.restart != "never":
        out.append(_("launchd cannot skip restarts for exit status {codes}").format(
            codes=", ".join(map(str, program.no_restart_exit_codes))))
    if program.limits.memory or program.limits.cpu:
        out.append(_("launchd enforces no memory or CPU limit on macOS; trayapp's limits are not carried over"))
    return out


def file_mode(program: ProgramConfig) -> int:
    """0600 when the environment is written out (it may hold API keys), else 0644."""
    return 0o600 if program.env else 0o644


def environ_home(environ: Mapping[str, str]) -> Path:
    return Path(environ.get("HOME") or Path.home())
