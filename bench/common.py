"""Shared by the benchmarks: temporary homes, a headless trayapp, supervisord, results files."""

from __future__ import annotations

import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PY = sys.executable


def save(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    data = {"bench": name, "when": time.strftime("%Y-%m-%d %H:%M:%S"), "machine": machine(), **data}
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path


def machine() -> str:
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def median_ms(values: list[float]) -> float:
    return round(statistics.median(values) * 1000, 2)


def wait_for(predicate: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise TimeoutError("benchmark setup timed out")


class HeadlessTrayapp:
    """`trayapp run --headless` in a throwaway TRAYAPP_HOME."""

    def __init__(self, config: str) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="trayapp-bench-"))
        (self.home / "config.toml").write_text(config)
        self.env = {**os.environ, "TRAYAPP_HOME": str(self.home)}
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> "HeadlessTrayapp":
        self.proc = subprocess.Popen([PY, "-m", "trayapp", "run", "--headless"], env=self.env, cwd=ROOT,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: self.cli("status").returncode == 0)
        return self

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([PY, "-m", "trayapp", *args], env=self.env, cwd=ROOT, capture_output=True, text=True)

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.home, ignore_errors=True)


class Supervisord:
    """supervisord (PyPI `supervisor`) with one program, for comparison in the same run."""

    def __init__(self, command: str, extra: str = "") -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="supervisord-bench-"))
        self.sock = self.dir / "s.sock"
        self.conf = self.dir / "supervisord.conf"
        self.conf.write_text(f"""[unix_http_server]
file={self.sock}
[supervisord]
logfile={self.dir}/supervisord.log
pidfile={self.dir}/supervisord.pid
nodaemon=true
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[supervisorctl]
serverurl=unix://{self.sock}
[program:assistant]
command={command}
stdout_logfile={self.dir}/assistant.log
stderr_logfile={self.dir}/assistant.err
{extra}
""")
        self.proc: subprocess.Popen | None = None

    @staticmethod
    def available() -> bool:
        return shutil.which("supervisord", path=os.path.dirname(PY)) is not None

    def bin(self, name: str) -> str:
        return os.path.join(os.path.dirname(PY), name)

    def __enter__(self) -> "Supervisord":
        self.proc = subprocess.Popen([self.bin("supervisord"), "-c", str(self.conf)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: self.ctl("status").returncode in (0, 3) and "RUNNING" in self.ctl("status").stdout)
        return self

    def ctl(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([self.bin("supervisorctl"), "-c", str(self.conf), *args], capture_output=True, text=True)

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
