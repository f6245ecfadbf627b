"""How to ask a service manager about a program, and how to ask it to start, stop or restart it.

Pure: each owner turns into command lines and parses what the tool printed. Nothing here runs a
command or signals a process; attach.py runs the commands on a worker thread.

    systemd --user   systemctl --user show/start/stop/restart UNIT
    launchd          launchctl print / kickstart [-k] / bootout gui/UID/LABEL, bootstrap gui/UID PLIST
    docker           docker inspect / start / stop / restart NAME
    url              nothing to ask; health probes only, control only through configured commands
Configured `start`/`stop`/`restart` argv in [programs.NAME.attach] win over the owner's own.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from trayapp.i18n import N_
from trayapp.message import Message
from trayapp.procs import CommandResult
from trayapp.config import AttachConfig

ACTIONS = ("start", "stop", "restart")
SYSTEMD_PROPERTIES = "ActiveState,SubState,MainPID,Result,ExecMainStatus,LoadState"


@dataclass(frozen=True)
class OwnerState:
    """What the owner said. `phase` is one of: active, activating, deactivating, inactive, unknown."""

    phase: str
    pid: int | None = None
    # "active (running)", "failed (exit-code, exit 1)": the owner's own words; trayapp's ("not
    # installed", "did not answer") are Messages, said in the user's language.
    detail: Message | str = ""
    exit_code: int | None = None

    @property
    def known(self) -> bool:
        return self.phase != "unknown"


@dataclass(frozen=True)
class Owner:
    attach: AttachConfig
    uid: int = 501
    home: Path = Path("~")

    @property
    def kind(self) -> str:
        return self.attach.owner

    def describe(self) -> str:
        a = self.attach
        if a.systemd_user:
            return f"systemd --user {a.systemd_user}"
        if a.launchd:
            return f"launchd {a.launchd}"
        if a.docker:
            return f"docker container {a.docker}"
        if a.url:
            return a.url
        return "the commands in config.toml"

    @property
    def plist(self) -> Path:
        return self.home / "Library" / "LaunchAgents" / f"{self.attach.launchd}.plist"

    def query_argv(self) -> list[str] | None:
        a = self.attach
        if a.systemd_user:
            return ["systemctl", "--user", "show", f"--property={SYSTEMD_PROPERTIES}", a.systemd_user]
        if a.launchd:
            return ["launchctl", "print", f"gui/{self.uid}/{a.launchd}"]
        if a.docker:
            return ["docker", "inspect", "--format", "{{json .State}}", a.docker]
        return None

    def parse(self, result: CommandResult) -> OwnerState:
        if self.attach.systemd_user:
            return parse_systemd(result, self.attach.systemd_user)
        if self.attach.launchd:
            return parse_launchd(result)
        return parse_docker(result)

    def control_argv(self, action: str, loaded: bool = True) -> list[str] | None:
        """The command for `action`, or None when nobody can do it (a url-only owner)."""
        configured = self.attach.command_for(action)
        if configured:
            return list(configured)
        a = self.attach
        if a.systemd_user:
            return ["systemctl", "--user", action, a.systemd_user]
        if a.docker:
            return ["docker", action, a.docker]
        if a.launchd:
            return self._launchctl(action, loaded)
        return None

    def _launchctl(self, action: str, loaded: bool) -> list[str]:
        target = f"gui/{self.uid}/{self.attach.launchd}"
        if action == "restart":
            return ["launchctl", "kickstart", "-k", target]
        if action == "stop":
            return ["launchctl", "bootout", target]
        # A booted-out agent must be bootstrapped from its plist; a loaded one only kicked.
        if loaded:
            return ["launchctl", "kickstart", target]
        return ["launchctl", "bootstrap", f"gui/{self.uid}", str(self.plist)]

    def cannot(self, action: str) -> Message:
        return Message(_CANNOT.get(action, _CANNOT["start"]), owner=self.describe())


_CANNOT = {
    "start": N_("trayapp cannot start it: it is only reached at {owner}. Start it where it runs, or add "
                "`start = [\"...\"]` under [programs.NAME.attach] in config.toml"),
    "stop": N_("trayapp cannot stop it: it is only reached at {owner}. Stop it where it runs, or add "
               "`stop = [\"...\"]` under [programs.NAME.attach] in config.toml"),
    "restart": N_("trayapp cannot restart it: it is only reached at {owner}. Restart it where it runs, or add "
                  "`restart = [\"...\"]` under [programs.NAME.attach] in config.toml"),
}


def _failed(result: CommandResult, tool: str) -> OwnerState:
    said = (result.stderr or result.stdout).strip().splitlines()
    if said:
        return OwnerState("unknown", detail=Message(N_("`{tool}` did not answer (exit {code}): {said}"), tool=tool,
                                                    code=result.returncode, said=said[-1][:200]))
    return OwnerState("unknown", detail=Message(N_("`{tool}` did not answer (exit {code})"), tool=tool,
                                                code=result.returncode))


def _properties(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def parse_systemd(result: CommandResult, unit: str) -> OwnerState:
    if not result.ok:
        return _failed(result, "systemctl --user")
    props = _properties(result.stdout)
    if props.get("LoadState") == "not-found":
        return OwnerState("inactive", detail=Message(N_("{unit} is not installed (systemd does not know it)"),
                                                     unit=unit))
    active, sub = props.get("ActiveState", ""), props.get("SubState", "")
    pid = int(props.get("MainPID") or 0) or None
    code = int(props["ExecMainStatus"]) if props.get("ExecMainStatus", "").isdigit() else None
    detail = f"{active} ({sub})" if sub else active
    if active == "failed":
        detail = f"failed ({props.get('Result', 'error')}" + (f", exit {code})" if code else ")")
    phase = {"active": "active", "reloading": "active", "activating": "activating",
             "deactivating": "deactivating", "inactive": "inactive", "failed": "inactive"}.get(active, "unknown")
    return OwnerState(phase, pid if phase != "inactive" else None, detail, code if active == "failed" else None)


_LAUNCHD_STATE = re.compile(r"^\s*state = (\S+)", re.M)
_LAUNCHD_PID = re.compile(r"^\s*pid = (\d+)", re.M)
_LAUNCHD_EXIT = re.compile(r"^\s*last exit code = (-?\d+)", re.M)
LAUNCHD_NOT_LOADED = 113  # launchctl print: "Could not find service ... in domain"


def parse_launchd(result: CommandResult) -> OwnerState:
    if result.returncode == LAUNCHD_NOT_LOADED:
        return OwnerState("inactive", detail=Message(N_("not loaded (booted out)")))
    if not result.ok:
        return _failed(result, "launchctl")
    state = (m.group(1) if (m := _LAUNCHD_STATE.search(result.stdout)) else "unknown")
    pid = int(m.group(1)) if (m := _LAUNCHD_PID.search(result.stdout)) else None
    code = int(m.group(1)) if (m := _LAUNCHD_EXIT.search(result.stdout)) else None
    if state == "running":
        return OwnerState("active", pid, "running")
    detail = f"{state}" + (f" (last exit {code})" if code else "")
    return OwnerState("inactive", None, detail, code)


def parse_docker(result: CommandResult) -> OwnerState:
    if not result.ok:
        if "no such" in (result.stderr or "").lower():
            return OwnerState("inactive", detail=Message(N_("no such container")))
        return _failed(result, "docker")
    try:
        state = json.loads(result.stdout.strip() or "{}")
    except ValueError:
        return OwnerState("unknown", detail=Message(N_("`docker inspect` printed something that is not JSON")))
    status = str(state.get("Status", "unknown"))
    code = state.get("ExitCode") if isinstance(state.get("ExitCode"), int) else None
    if status == "restarting":
        return OwnerState("activating", None, "restarting")
    if state.get("Running"):
        return OwnerState("active", int(state.get("Pid") or 0) or None, status)
    return OwnerState("inactive", None, status + (f" (exit {code})" if code else ""), code)
