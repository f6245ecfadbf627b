"""Start trayapp's windows and the desktop's own viewers without waiting for them.

Used by the tray's menu callbacks and by the windows themselves, so everything here returns at
once: it starts a process and lets it run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trayapp.config import Config
    from trayapp.paths import AppPaths

WINDOWS = ("status", "logview", "quitdialog")


def window_command(kind: str, *args: str) -> list[str]:
    """The argv that opens one of trayapp's windows as its own process."""
    if kind not in WINDOWS:
        raise ValueError(f"unknown window {kind!r}")
    from trayapp.selfcmd import module_command

    return module_command(f"ui.{kind}", *args)


def spawn_window(kind: str, *args: str) -> subprocess.Popen[bytes]:
    """Open a window process. It inherits the environment, so TRAYAPP_HOME reaches it."""
    return subprocess.Popen(window_command(kind, *args), stdin=subprocess.DEVNULL, close_fds=True)


def opener_command(path: Path, platform: str = sys.platform) -> list[str] | None:
    """The desktop's "open this" command for `path`, or None on Windows (os.startfile)."""
    if platform == "darwin":
        return ["open", str(path)]
    if platform == "win32":
        return None
    return ["xdg-open", str(path)]


def open_path(path: Path) -> str | None:
    """Open a file or folder in the system viewer. Returns a plain error message, or None on success."""
    if not path.exists():
        return f"{path} does not exist yet"
    if sys.platform == "win32":
        os.startfile(str(path))
        return None
    command = opener_command(path)
    if command is None:
        return f"cannot open {path}: this system has no known viewer"
    if shutil.which(command[0]) is None:
        return f"cannot open {path}: `{command[0]}` is not installed (on Linux: install xdg-utils)"
    subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL, start_new_session=True)
    return None


def data_folder(config: "Config | None", paths: "AppPaths") -> Path:
    """"Open data folder": the assistant's own data folder when it exists here, else trayapp's."""
    if config is not None and config.programs:
        for folder in config.assistant.data_dirs:
            if Path(folder).is_dir():
                return Path(folder)
    return paths.data_dir


def config_target(paths: "AppPaths") -> Path:
    """"Open config file": config.toml, or its folder while there is none (defaults in use)."""
    return paths.config_file if paths.config_file.exists() else paths.config_dir
