"""Run a real `trayapp run --headless` in a subprocess and talk to it like a user would."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from trayapp import control
from trayapp.errors import TrayAppError
from trayapp.paths import AppPaths

CHILD = str(Path(__file__).with_name("child.py"))
ROOT = Path(__file__).resolve().parents[2]


def child_command(*args: object) -> str:
    """A TOML array running tests/integration/child.py with `args`."""
    items = [sys.executable, CHILD, *map(str, args)]
    return "[" + ", ".join(f'"{a}"' for a in items) + "]"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Trayapp:
    """One `trayapp run --headless` with its own TRAYAPP_HOME."""

    def __init__(self, home: Path, config: str | None = None, env: dict[str, str] | None = None) -> None:
        self.home = home
        home.mkdir(parents=True, exist_ok=True)
        if config is not None:
            (home / "config.toml").write_text(config)
        self.env = {**os.environ, "TRAYAPP_HOME": str(home), **(env or {})}
        self.paths = AppPaths.discover({"TRAYAPP_HOME": str(home)})
        self.proc: subprocess.Popen | None = None
        self.out = home / "stdout.txt"

    def cli(self, *args: str, timeout: float = 30) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "trayapp", *args], env=self.env, cwd=ROOT,
                              capture_output=True, text=True, timeout=timeout)

    def start(self, *extra: str, headless: bool = True) -> "Trayapp":
        flags = ["--headless"] if headless else []
        with open(self.out, "ab") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "trayapp", "run", *flags, *extra],
                                         env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)
        wait_for(self._answers, 20, "trayapp to answer on its control channel")
        return self

    def _answers(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"trayapp exited early ({self.proc.returncode}):\n{self.output()}")
        try:
            self.request("status")
            return True
        except TrayAppError:
            return False

    def request(self, cmd: str, **args: Any) -> Any:
        return control.request(self.paths, cmd, timeout=10, **args)

    def program(self, name: str = "assistant") -> dict[str, Any]:
        return next(p for p in self.request("status")["programs"] if p["program"] == name)

    def find(self, name: str) -> dict[str, Any] | None:
        """The program's status, or None while the running trayapp has no such program (yet)."""
        return next((p for p in self.request("status")["programs"] if p["program"] == name), None)

    def wait_state(self, state: str, name: str = "assistant", timeout: float = 20) -> dict[str, Any]:
        """Wait until `name` is in `state`; a program a reload is still adding counts as not yet."""
        return wait_for(lambda: (p := self.find(name)) is not None and p["state"] == state and p, timeout,
                        f"{name} to be {state}")

    def journal(self) -> list[dict[str, Any]]:
        """The journal; from the running instance (which flushes it first) while there is one."""
        from trayapp import journal

        if self.proc is not None and self.proc.poll() is None:
            return self.request("history", n=1_000_000)
        return journal.read(self.paths.journal_file)

    def output(self) -> str:
        return self.out.read_text(errors="replace") if self.out.exists() else ""

    def terminate(self, timeout: float = 30) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(10)
