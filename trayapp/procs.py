"""Running platform tools (launchctl, gtk-update-icon-cache) behind a small, fakeable interface."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
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
