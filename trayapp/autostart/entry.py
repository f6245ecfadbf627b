"""Which command a login item runs: the absolute path of this installation's entry point.

PATH at login does not include venv or pipx folders, so the login item always names an absolute
program. The order of preference:

1. a frozen bundle (PyInstaller): the bundle's own executable;
2. the `trayapp` script next to the running interpreter (the venv or pipx install that is running now,
   not some other copy that happens to come first on PATH);
3. `shutil.which("trayapp")`;
4. the running interpreter with `-m trayapp`.

On Windows the GUI launcher is used instead (`trayapp-gui.exe`, else `pythonw.exe -m trayapp`), so no
console window opens at login. Symlinks are not resolved: a venv's python is a symlink to the base
interpreter, and following it would leave the venv (and its packages) behind.
"""

from __future__ import annotations

import ntpath
import os
import posixpath
import shutil
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

AUTOSTART_ARGS = ("run", "--autostart")  # `--autostart` tells `trayapp run` it was started at login


@dataclass(frozen=True)
class LaunchCommand:
    argv: tuple[str, ...]  # absolute program first
    env: Mapping[str, str] = field(default_factory=dict)  # extra variables, e.g. TRAYAPP_HOME

    @property
    def program(self) -> str:
        return self.argv[0]


def resolve(platform: str, *, args: tuple[str, ...] = AUTOSTART_ARGS,
            executable: str | None = None, frozen: bool | None = None,
            which: Callable[[str], str | None] = shutil.which,
            exists: Callable[[str], bool] = os.path.exists,
            environ: Mapping[str, str] | None = None) -> LaunchCommand:
    """The command that starts this installation of trayapp with `args`."""
    exe = executable or sys.executable
    env = os.environ if environ is None else environ
    # PyInstaller sets sys.frozen in its bundles; it is no part of sys's declared interface.
    is_frozen = bool(getattr(sys, "frozen", False)) if frozen is None else frozen
    extra = {"TRAYAPP_HOME": os.path.abspath(env["TRAYAPP_HOME"])} if env.get("TRAYAPP_HOME") else {}
    if is_frozen:
        return LaunchCommand((exe, *args), extra)
    if platform == "windows":
        return LaunchCommand((*_windows_program(exe, exists), *args), extra)
    return LaunchCommand((*_posix_program(exe, which, exists), *args), extra)


def _posix_program(exe: str, which: Callable[[str], str | None],
                   exists: Callable[[str], bool]) -> tuple[str, ...]:
    exe = posixpath.abspath(exe) if exe.startswith("/") else exe
    sibling = posixpath.join(posixpath.dirname(exe), "trayapp")
    if exists(sibling):
        return (sibling,)
    found = which("trayapp")
    if found:
        return (posixpath.abspath(found),)
    return (exe, "-m", "trayapp")


def _windows_program(exe: str, exists: Callable[[str], bool]) -> tuple[str, ...]:
    folder = ntpath.dirname(exe)
    for script_dir in (folder, ntpath.join(folder, "Scripts")):
        gui = ntpath.join(script_dir, "trayapp-gui.exe")
        if exists(gui):
            return (gui,)
    # pythonw.exe sits beside python.exe in both base installs and venvs.
    return (ntpath.join(folder, "pythonw.exe"), "-m", "trayapp")
