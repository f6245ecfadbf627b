"""macOS: a per-user LaunchAgent, ~/Library/LaunchAgents/<label>.plist, managed with launchctl 2.

`render_agent` is pure (plistlib does the XML escaping); `LaunchdAutostart` asks launchctl about the
current state through an injected `CommandRunner` and returns a `Plan`. Only the current verbs are used:
bootstrap, bootout, enable, print, print-disabled; never the deprecated load/unload.
"""

from __future__ import annotations

import plistlib
import re
from collections.abc import Iterable
from pathlib import Path

from trayapp.autostart.entry import LaunchCommand
from trayapp.autostart.plan import MakeDir, Plan, Registry, RemoveFile, RunCommand, WriteFile
from trayapp.procs import CommandRunner
from trayapp.autostart.status import AutostartStatus
from trayapp.i18n import _

LABEL = "io.github.trayapp"  # also the .app's CFBundleIdentifier
LAUNCHCTL = "/bin/launchctl"
# launchd starts jobs with a minimal PATH; assistants installed by Homebrew, npm or pipx need these.
SYSTEM_PATH = ("/opt/homebrew/bin", "/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin")


def agent_path(home: Path, label: str = LABEL) -> Path:
    return home / "Library" / "LaunchAgents" / f"{label}.plist"


def login_path(first: Iterable[str]) -> str:
    """An explicit PATH: the folders given first (the entry point's, ~/.local/bin), then the system's."""
    seen: list[str] = []
    for folder in (*first, *SYSTEM_PATH):
        if folder and folder not in seen:
            seen.append(folder)
    return ":".join(seen)


def render_agent(command: LaunchCommand, *, home: Path, log_dir: Path, label: str = LABEL) -> bytes:
    """The LaunchAgent plist for starting trayapp at login."""
    program_dir = str(Path(command.program).parent)
    env = {"PATH": login_path([program_dir, str(home / ".local" / "bin")]), **command.env}
    agent = {
        "Label": label,
        "ProgramArguments": list(command.argv),
        "RunAtLoad": True,
        # Relaunch after a crash, but not after Quit (exit 0): KeepAlive=true would undo every Quit.
        "KeepAlive": {"SuccessfulExit": False},
        # Without Interactive, launchd applies background throttling of CPU and I/O.
        "ProcessType": "Interactive",
        "LimitLoadToSessionType": "Aqua",  # only in a GUI login, not over SSH
        "StandardOutPath": str(log_dir / "launchd.out.log"),
        "StandardErrorPath": str(log_dir / "launchd.err.log"),
        "EnvironmentVariables": env,
    }
    return plistlib.dumps(agent, fmt=plistlib.FMT_XML, sort_keys=False)


def domain(uid: int) -> str:
    return f"gui/{uid}"


def target(uid: int, label: str = LABEL) -> str:
    return f"gui/{uid}/{label}"


def parse_pid(print_output: str) -> int | None:
    """The running pid from `launchctl print gui/UID/LABEL`, or None when the job is not running."""
    match = re.search(r"^\s*pid = (\d+)\s*$", print_output, re.MULTILINE)
    return int(match[1]) if match else None


def parse_disabled(print_disabled_output: str, label: str = LABEL) -> bool:
    """True when `launchctl print-disabled gui/UID` lists the label as disabled (=> disabled / => true)."""
    pattern = rf'^\s*"{re.escape(label)}"\s*=>\s*(disabled|true)\s*$'
    return re.search(pattern, print_disabled_output, re.MULTILINE) is not None


class LaunchdAutostart:
    """The login item on macOS. Thread: any; runs launchctl, which may take a moment."""

    platform = "macos"
    registry: Registry | None = None  # only Windows keeps its login item in a registry

    def __init__(self, command: LaunchCommand, *, home: Path, log_dir: Path, uid: int,
                 runner: CommandRunner, own_pid: int, label: str = LABEL) -> None:
        self.command, self.home, self.log_dir, self.uid = command, home, log_dir, uid
        self.runner, self.own_pid, self.label = runner, own_pid, label
        self.path = agent_path(home, label)

    def _launchctl(self, *args: str) -> tuple[str, ...]:
        return (LAUNCHCTL, *args)

    def plan_enable(self) -> Plan:
        text = render_agent(self.command, home=self.home, log_dir=self.log_dir, label=self.label)
        actions: list = [
            MakeDir(self.path.parent, 0o755),
            MakeDir(self.log_dir, 0o700),  # launchd does not create the folders of StandardOutPath
            WriteFile(self.path, text, 0o644),  # launchd refuses group- or world-writable plists
            RunCommand(self._launchctl("enable", target(self.uid, self.label)), False,
                       _("clear a disabled override left by an earlier disable")),
        ]
        notes: tuple[str, ...] = ()
        if self._loaded_pid() is None:
            actions.append(RunCommand(self._launchctl("bootstrap", domain(self.uid), str(self.path)), False,
                                      _("load it now; without a GUI session this fails and it loads at next login")))
        else:
            notes = (_("the agent is already loaded; the new file takes effect at the next login"),)
        return Plan(self.platform, "enable", tuple(actions), notes)

    def plan_disable(self) -> Plan:
        actions: list = []
        notes: tuple[str, ...] = ()
        pid = self._loaded_pid()
        if pid is not None and pid == self.own_pid:
            # bootout would SIGTERM this very tray; launchd forgets the job when it exits or at logout.
            notes = (_("this trayapp was started by the agent, so it is not booted out now; "
                       "the removed file stops it at the next login"),)
        elif pid is not None:
            actions.append(RunCommand(self._launchctl("bootout", target(self.uid, self.label)), False,
                                      _("unload the agent")))
        if self.path.exists():
            actions.append(RemoveFile(self.path))
        return Plan(self.platform, "disable", tuple(actions), notes)

    def _loaded_pid(self) -> int | None:
        """0 when loaded but not running, the pid when running, None when not loaded."""
        result = self.runner.run(self._launchctl("print", target(self.uid, self.label)))
        if not result.ok:
            return None
        return parse_pid(result.stdout) or 0

    def status(self) -> AutostartStatus:
        loaded = self._loaded_pid() is not None
        facts = {"loaded": loaded, "label": self.label}
        if not self.path.exists():
            return AutostartStatus(self.platform, False, str(self.path), _("no LaunchAgent file"), None, facts)
        command = _agent_command(self.path)
        disabled = self.runner.run(self._launchctl("print-disabled", domain(self.uid)))
        if disabled.ok and parse_disabled(disabled.stdout, self.label):
            return AutostartStatus(self.platform, False, str(self.path),
                                   _("switched off in System Settings > General > Login Items"), command, facts)
        if command is None:
            return AutostartStatus(self.platform, False, str(self.path),
                                   _("the LaunchAgent file is unreadable; run `trayapp autostart enable`"), None, facts)
        return AutostartStatus(self.platform, True, str(self.path), _("starts at login"), command, facts)


def _agent_command(path: Path) -> tuple[str, ...] | None:
    try:
        with path.open("rb") as f:
            agent = plistlib.load(f)
        return tuple(agent["ProgramArguments"])
    except (OSError, plistlib.InvalidFileException, KeyError, TypeError, ValueError):
        return None
