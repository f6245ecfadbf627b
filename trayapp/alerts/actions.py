"""What an alert rule does when it fires: run a command (argv, no shell) or POST JSON to a webhook.

Both have a timeout and report an Outcome instead of raising; the engine journals it. They run
on the alert engine's worker thread, never on the supervisor's.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import socket
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from trayapp import __version__
from trayapp.notify.messages import one_line
from trayapp.units import format_duration


@dataclass(frozen=True)
class Outcome:
    ok: bool
    error: str = ""


def run_command(argv: tuple[str, ...], timeout: float, env: Mapping[str, str] | None = None) -> Outcome:
    """Run `argv` in its own session; kill its whole group if it outlives `timeout`."""
    try:
        proc = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, env={**os.environ, **(env or {})},
                                start_new_session=os.name == "posix")
    except FileNotFoundError:
        return Outcome(False, f"command not found: {argv[0]}")
    except OSError as exc:
        return Outcome(False, f"cannot run {argv[0]}: {exc.strerror or exc}")
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(proc)
        return Outcome(False, f"{argv[0]} did not finish within {format_duration(timeout)}; it was stopped")
    if proc.returncode != 0:
        lines = (err or b"").decode("utf-8", "replace").strip().splitlines()
        last = one_line(lines[-1], 160) if lines else ""
        return Outcome(False, f"{argv[0]} failed (exit {proc.returncode})" + (f": {last}" if last else ""))
    return Outcome(True)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """The process and anything it started: we started it, so it is ours to stop."""
    try:
        if sys.platform == "win32":
            proc.kill()
        else:
            os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass
    try:  # a helper that left the group may still hold stderr open: do not wait for it forever
        proc.communicate(timeout=2)
    except subprocess.TimeoutExpired:
        if proc.stderr is not None:
            proc.stderr.close()
        proc.wait()


def post_webhook(url: str, payload: Mapping[str, Any], timeout: float, opener: Any = None) -> Outcome:
    """POST `payload` as JSON. Errors never repeat the URL: it may hold a secret token."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, data=json.dumps(payload, default=str).encode("utf-8"), method="POST",
                                     headers={"Content-Type": "application/json",
                                              "User-Agent": f"trayapp/{__version__}"})
    try:
        with (opener or urllib.request.urlopen)(request, timeout=timeout) as response:
            status = getattr(response, "status", 200)
    except urllib.error.HTTPError as exc:
        return Outcome(False, f"the webhook answered HTTP {exc.code} {exc.reason}")
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, (TimeoutError, socket.timeout)):
            return _no_answer(timeout)
        return Outcome(False, f"cannot reach the webhook: {exc.reason}")
    except (TimeoutError, socket.timeout):
        return _no_answer(timeout)
    except (OSError, ValueError) as exc:
        return Outcome(False, f"webhook failed: {type(exc).__name__}: {exc}")
    if not 200 <= status < 300:
        return Outcome(False, f"the webhook answered HTTP {status}")
    return Outcome(True)


def _no_answer(timeout: float) -> Outcome:
    return Outcome(False, f"the webhook did not answer within {format_duration(timeout)}")
