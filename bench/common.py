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


def stop(proc: subprocess.Popen | None) -> None:
    """SIGTERM, 30 s to go, then SIGKILL."""
    if proc is None:
        return
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()


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
        stop(self.proc)
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
        stop(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Pm2:
    """pm2 (npm `pm2`) with one app, for comparison in the same run. Installed on first use into
    ~/.cache/trayapp-bench/pm2 when npm is there; its daemon gets a PM2_HOME of its own."""

    CACHE = Path.home() / ".cache" / "trayapp-bench" / "pm2"

    def __init__(self, argv: list[str], **options: Any) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="pm2-bench-"))
        self.env = {**os.environ, "PM2_HOME": str(self.home / "pm2")}
        app = {"name": "assistant", "script": argv[0], "args": argv[1:], "interpreter": "none",
               "autorestart": True, "restart_delay": 0, "max_restarts": 100000, "min_uptime": 0,
               "out_file": str(self.home / "out.log"), "error_file": str(self.home / "err.log"), **options}
        self.ecosystem = self.home / "ecosystem.json"
        self.ecosystem.write_text(json.dumps({"apps": [app]}))

    @classmethod
    def bin(cls) -> str | None:
        """The pm2 executable, installing it if need be; None when npm is missing or fails."""
        exe = cls.CACHE / "node_modules" / ".bin" / "pm2"
        if exe.exists():
            return str(exe)
        if shutil.which("npm") is None:
            return None
        cls.CACHE.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", "--prefix",
                               str(cls.CACHE), "pm2"], capture_output=True, text=True, timeout=600)
        return str(exe) if done.returncode == 0 and exe.exists() else None

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        exe = self.bin()
        assert exe is not None
        return subprocess.run([exe, *args], env=self.env, capture_output=True, text=True, timeout=120)

    def __enter__(self) -> "Pm2":
        if self.cli("start", str(self.ecosystem)).returncode != 0:
            raise RuntimeError("pm2 did not start")
        return self

    def daemon_pid(self) -> int:
        return int((self.home / "pm2" / "pm2.pid").read_text().strip())

    def __exit__(self, *exc: object) -> None:
        self.cli("kill")
        shutil.rmtree(self.home, ignore_errors=True)
