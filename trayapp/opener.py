"""Open a folder, a file or a URL with what the desktop offers, without waiting for it.

Folders and files: `xdg-open` on Linux and the BSDs, `open` on macOS, os.startfile on Windows.
URLs: the standard library's webbrowser module, which knows each platform's browsers.
A dashboard login URL carries a one-time code: a browser started for it would keep it in its
command line, which every local user can read (/proc), so open_login hands the browser a private
file that leads on to the URL instead (as Jupyter does).
Each call returns None when the viewer was started, or one sentence saying why it was not, with
the path or URL in it so the user can copy it (the caller shows that sentence in a notification).
"""

from __future__ import annotations

import html
import os
import secrets
import shutil
import subprocess
import sys
import threading
import time
import webbrowser
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from trayapp.atomic import atomic_write
from trayapp.i18n import _

LAUNCH_PREFIX = "dashboard-open-"
LAUNCH_LIFETIME = 60.0  # seconds a launch file is kept: the browser has read it by then


class Runner(Protocol):
    """Starts a command and lets it run; raises OSError when it cannot be started."""

    def __call__(self, argv: Sequence[str]) -> None: ...


def _spawn(argv: Sequence[str]) -> None:
    # A session of its own: a viewer outlives neither trayapp's signals nor its terminal.
    subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL, start_new_session=True)


def _browse(url: str) -> bool:
    return webbrowser.open(url)  # looked up at each call: a test may stand in for it


def _startfile(path: str) -> None:
    if sys.platform == "win32":
        os.startfile(path)
    else:
        raise OSError("os.startfile exists on Windows only")


def folder_command(path: Path, platform: str = sys.platform) -> list[str] | None:
    """The desktop's "open this" command for `path`; None on Windows (os.startfile instead)."""
    if platform == "darwin":
        return ["open", str(path)]
    if platform == "win32":
        return None
    return ["xdg-open", str(path)]


class Opener:
    """Opens paths and URLs. The runner, the `which` lookup, the browser and the platform are
    injected so the tests need no desktop."""

    def __init__(self, run: Runner = _spawn, which: Callable[[str], str | None] = shutil.which,
                 browse: Callable[[str], bool] | None = None, platform: str = sys.platform,
                 startfile: Callable[[str], None] = _startfile) -> None:
        self._run, self._which, self._browse = run, which, browse or _browse
        self._platform, self._startfile = platform, startfile

    def open_path(self, path: Path) -> str | None:
        """Show a folder or file in the system viewer. None, or why not (naming the path)."""
        if not path.exists():
            return _("{path} does not exist yet.").format(path=path)
        command = folder_command(path, self._platform)
        try:
            if command is None:
                self._startfile(str(path))
                return None
            if self._which(command[0]) is None:
                said = (_("No program to open it: `{program}` is not installed (install xdg-utils). It is at {path}")
                        if command[0] == "xdg-open" else
                        _("No program to open it: `{program}` is not installed. It is at {path}"))
                return said.format(program=command[0], path=path)
            self._run(command)
        except OSError as exc:
            return _("It could not be opened ({error}). It is at {path}").format(error=exc.strerror or exc, path=path)
        return None

    def open_url(self, url: str) -> str | None:
        """Show a URL in the default browser. None, or why not (with the URL to copy)."""
        try:
            opened = self._browse(url)
        except Exception as exc:  # webbrowser raises its own Error and OSError from a broken browser
            return _("The browser could not be opened ({error}). Open this address yourself: {url}").format(
                error=exc, url=url)
        return None if opened else _("No web browser was found. Open this address yourself: {url}").format(url=url)

    def open_login(self, url: str, folder: Path) -> str | None:
        """Open a login URL through a private launch file in `folder` (trayapp's state folder), so
        the one-time code is never in a browser's command line. None, or why not (with the URL)."""
        try:
            launch = write_launch_file(url, folder)
        except OSError as exc:
            return _("The dashboard could not be opened ({error}). Open this address yourself: {url}").format(
                error=exc.strerror or exc, url=url)
        timer = threading.Timer(LAUNCH_LIFETIME, _remove, (launch,))
        timer.daemon = True  # `trayapp dashboard --open` does not wait a minute to exit: the next use removes it
        timer.start()
        problem = self.open_url(launch.as_uri())
        return None if problem is None else problem.replace(launch.as_uri(), url)


def write_launch_file(url: str, folder: Path, now: float | None = None) -> Path:
    """A 0600 page with a random name that sends the browser on to `url`; older ones are removed."""
    remove_stale_launch_files(folder, time.time() if now is None else now)
    path = folder / f"{LAUNCH_PREFIX}{secrets.token_urlsafe(16)}.html"
    target = html.escape(url, quote=True)
    atomic_write(path, _LAUNCH_PAGE.format(url=target), mode=0o600, durable=False)
    return path


def remove_stale_launch_files(folder: Path, now: float) -> None:
    """Launch files older than LAUNCH_LIFETIME (a timer that did not run: the process ended first)."""
    try:
        entries = [e for e in os.scandir(folder) if e.name.startswith(LAUNCH_PREFIX) and e.name.endswith(".html")]
    except OSError:
        return
    for entry in entries:
        try:
            if now - entry.stat(follow_symlinks=False).st_mtime >= LAUNCH_LIFETIME:
                os.unlink(entry.path)
        except OSError:  # gone already
            pass


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except OSError:  # removed already, at the next use
        pass


_LAUNCH_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">
<meta http-equiv="refresh" content="0;url={url}"><title>trayapp dashboard</title></head>
<body><p><a href="{url}">Open the trayapp dashboard</a></p></body></html>
"""
