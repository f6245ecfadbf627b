"""Can a program's command run? What `trayapp config check` asks before the supervisor would.

The command is found exactly as the supervisor finds it (supervisor.spawn.resolve_command: the
program's PATH, then the folder of trayapp's own interpreter, or a path relative to `cwd`), so
the check and the run agree. A command that is not installed is only a warning: the program may
be installed after the config is written. One that is found but cannot run (a folder, a file
without execute permission) is a problem: it would fail on every start.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from trayapp.config import ProgramConfig


def unrunnable(command: tuple[str, ...], env: Mapping[str, str], cwd: Path | None) -> str | None:
    """Why `command` cannot run as found, or None (also when it is not found: see `missing`).

    Fits trayapp.config.CommandCheck: `config.load(path, commands=unrunnable)`."""
    from trayapp.supervisor.spawn import resolve_command

    found = resolve_command(command[0], env, cwd)
    if found is None:
        return None
    if os.path.isdir(found):
        return (f"{found} is a folder, not a program; the first item of command must be the program "
                "file to run")
    if not os.access(found, os.X_OK):
        return (f"{found} is not executable; make it so with `chmod +x {found}`, or name its "
                f'interpreter first, e.g. ["python3", "{found}"]')
    return None


def missing(program: ProgramConfig, environ: Mapping[str, str]) -> str | None:
    """A warning when `program`'s command is not installed (yet), with how to install it."""
    from trayapp.supervisor.spawn import resolve_command

    if program.attach is not None or resolve_command(program.command[0], {**environ, **program.env}, program.cwd):
        return None
    where = "does not exist" if _has_folder(program.command[0]) else "is not on PATH"
    return f"{program.command[0]} {where}; {program.info.install_hint}"


def _has_folder(name: str) -> bool:
    return os.sep in name or bool(os.altsep and os.altsep in name)
