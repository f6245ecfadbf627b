"""Running helper commands: platform tools behind a small, fakeable interface (launchctl,
gtk-update-icon-cache, systemctl), and commands in a session of their own with a timeout (health
commands, alert actions)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class CommandResult:
    returncode: int
    stdout: str = ""
    stderr: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0


class CommandRunner(Protocol):
    """Runs one command to completion and reports what it said. Must not raise for a failing command."""

    def run(self, argv: Sequence[str]) -> CommandResult: ...


class SubprocessRunner:
    """The real runner: no shell, captured output, a timeout so a wedged tool cannot hang the tray."""

    def __init__(self, timeout: float = 30.0) -> None:
        self.timeout = timeout

    def run(self, argv: Sequence[str]) -> CommandResult:
        try:
            done = subprocess.run(list(argv), capture_output=True, text=True, timeout=self.timeout,
                                  stdin=subprocess.DEVNULL, check=False)
        except FileNotFoundError as exc:
            return CommandResult(127, "", f"{argv[0]}: not found ({exc.strerror})")
        except subprocess.TimeoutExpired:
            return CommandResult(124, "", f"{argv[0]}: gave no answer within {self.timeout:g}s")
        except OSError as exc:
            return CommandResult(126, "", f"{argv[0]}: {exc}")
        return CommandResult(done.returncode, done.stdout, done.stderr)


class NoRunner:
    """For previews of another platform: its tools do not exist here, so nothing is ever loaded."""

    def run(self, argv: Sequence[str]) -> CommandResult:
        return CommandResult(127, "", f"{argv[0]} is not available on this computer")


@dataclass(frozen=True)
class SessionRun:
    """How a command run by `run_in_session` ended. `returncode` is None when it did not start
    (`problem` says why in words) or was killed at its timeout (`timed_out`)."""

    returncode: int | None
    last_error: str = ""  # the last line it wrote to stderr
    problem: str = ""
    timed_out: bool = False


def run_in_session(argv: Sequence[str], timeout: float, *, cwd: Path | None = None,
                   env: Mapping[str, str] | None = None) -> SessionRun:
    """Run `argv` in its own session (its own process group), stdout dropped and stderr kept; at
    the timeout SIGKILL the whole group, helpers it started included. Never raises. Shared by
    health commands and alert actions."""
    try:
        proc = subprocess.Popen(list(argv), cwd=cwd, env=dict(env) if env is not None else None,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                start_new_session=sys.platform != "win32")
    except FileNotFoundError:
        return SessionRun(None, problem=f"command not found: {argv[0]}")
    except (OSError, ValueError) as exc:
        return SessionRun(None, problem=f"cannot run {argv[0]}: {_words(exc)}")
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_session(proc)
        return SessionRun(None, timed_out=True)
    lines = (err or b"").decode("utf-8", "replace").strip().splitlines()
    return SessionRun(proc.returncode, last_error=lines[-1].strip() if lines else "")


def _kill_session(proc: subprocess.Popen[bytes]) -> None:
    """The process and anything it started: we started it, so it is ours to stop."""
    with contextlib.suppress(OSError):
        if sys.platform == "win32":
            proc.kill()  # no process groups to signal there
        else:
            os.killpg(proc.pid, signal.SIGKILL)
    try:  # a helper that left the group may still hold stderr open: do not wait for it forever
        proc.communicate(timeout=2)
    except subprocess.TimeoutExpired:
        if proc.stderr is not None:
            proc.stderr.close()
        proc.wait()


def _words(exc: Exception) -> str:
    return (exc.strerror if isinstance(exc, OSError) and exc.strerror else "") or str(exc)
