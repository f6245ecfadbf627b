"""Windows: the HKCU Run value, read together with Task Manager's StartupApproved flag.

`render_run_value` is pure; `WindowsAutostart` reads the registry through an injected `Registry`
(the real one, `WinRegistry`, imports winreg lazily so this module imports anywhere).
"""

from __future__ import annotations

import sys

from trayapp.autostart.entry import LaunchCommand
from trayapp.autostart.plan import DeleteRegistryValue, Plan, Registry, SetRegistryValue
from trayapp.autostart.status import AutostartStatus
from trayapp.i18n import _

RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
APPROVED_KEY = r"Software\Microsoft\Windows\CurrentVersion\Explorer\StartupApproved\Run"
VALUE_NAME = "trayapp"
_NEEDS_QUOTES = set(' \t"')  # what splits or ends an argument


def quote_arg(arg: str, *, force: bool = False) -> str:
    """One argument as Windows' command-line parser reads it (the CommandLineToArgvW rules)."""
    if not force and arg and not any(c in _NEEDS_QUOTES for c in arg):
        return arg
    out, backslashes = ['"'], 0
    for c in arg:
        if c == "\\":
            backslashes += 1
            continue
        # Backslashes are literal unless they precede a quote; double those, then escape the quote.
        out.append("\\" * (backslashes * 2 + 1) + '"' if c == '"' else "\\" * backslashes + c)
        backslashes = 0
    out.append("\\" * (backslashes * 2) + '"')
    return "".join(out)


def render_run_value(command: LaunchCommand) -> str:
    """The Run value: the GUI program always quoted (paths with spaces), then its arguments."""
    program, *args = command.argv
    return " ".join([quote_arg(program, force=True), *(quote_arg(a) for a in args)])


def approved(data: object) -> bool | None:
    """Task Manager's flag: None when absent; first byte 0x02 (or 0x06) enabled, 0x03 (odd) disabled."""
    if not isinstance(data, (bytes, bytearray)) or not data:
        return None
    return not data[0] & 0x01


class WindowsAutostart:
    """The login item on Windows. Thread: any; registry calls are quick."""

    platform = "windows"

    def __init__(self, command: LaunchCommand, registry: Registry) -> None:
        self.command, self.registry = command, registry
        self.path = f"HKCU\\{RUN_KEY}\\{VALUE_NAME}"

    def plan_enable(self) -> Plan:
        notes: tuple[str, ...] = ()
        if approved(self.registry.get(APPROVED_KEY, VALUE_NAME)) is False:
            # Do not flip the user's Task Manager choice back on behind their back.
            notes = (_("Task Manager has trayapp disabled at startup; it stays disabled until you turn it "
                       "on there (Task Manager > Startup apps)"),)
        if self.command.env:
            notes += (_("a Run value cannot set TRAYAPP_HOME; set it as a user environment variable instead"),)
        action = SetRegistryValue(RUN_KEY, VALUE_NAME, render_run_value(self.command))
        return Plan(self.platform, "enable", (action,), notes)

    def plan_disable(self) -> Plan:
        present = self.registry.get(RUN_KEY, VALUE_NAME) is not None
        actions = (DeleteRegistryValue(RUN_KEY, VALUE_NAME),) if present else ()
        return Plan(self.platform, "disable", actions)

    def status(self) -> AutostartStatus:
        value = self.registry.get(RUN_KEY, VALUE_NAME)
        flag = approved(self.registry.get(APPROVED_KEY, VALUE_NAME))
        facts = {"approved": flag is not False}
        if not isinstance(value, str):
            return AutostartStatus(self.platform, False, self.path, _("no Run value"), None, facts)
        if flag is False:
            return AutostartStatus(self.platform, False, self.path,
                                   _("disabled in Task Manager > Startup apps"), (value,), facts)
        return AutostartStatus(self.platform, True, self.path, _("starts at login"), (value,), facts)


class WinRegistry:
    """HKEY_CURRENT_USER through winreg, imported only when used (it exists only on Windows).

    Each method starts with the same `sys.platform` check, written out, because that is the form mypy
    reads: the winreg code is then type-checked for win32 and skipped for the other platforms."""

    def get(self, key: str, name: str) -> object | None:
        if sys.platform != "win32":
            raise OSError("no Windows registry here")
        import winreg

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, key) as handle:
                return winreg.QueryValueEx(handle, name)[0]
        except FileNotFoundError:
            return None

    def set_string(self, key: str, name: str, value: str) -> None:
        if sys.platform != "win32":
            raise OSError("no Windows registry here")
        import winreg

        with winreg.CreateKeyEx(winreg.HKEY_CURRENT_USER, key, 0, winreg.KEY_SET_VALUE) as handle:
            winreg.SetValueEx(handle, name, 0, winreg.REG_SZ, value)

    def delete(self, key: str, name: str) -> None:
        if sys.platform != "win32":
            raise OSError("no Windows registry here")
        import winreg

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, key, 0, winreg.KEY_SET_VALUE) as handle:
                winreg.DeleteValue(handle, name)
        except FileNotFoundError:
            pass


class EmptyRegistry:
    """For previews on other platforms: a registry with nothing in it, that refuses writes."""

    def get(self, key: str, name: str) -> object | None:
        return None

    def set_string(self, key: str, name: str, value: str) -> None:
        raise OSError("no Windows registry here")

    def delete(self, key: str, name: str) -> None:
        raise OSError("no Windows registry here")
