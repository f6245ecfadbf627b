"""A real, onboarded nanobot in a throwaway HOME, on ports nobody else uses.

Use it from a test module by importing the fixture:

    from tests.integration.nanobot_fixture import nanobot_home, NanobotHome

    def test_x(nanobot_home: NanobotHome) -> None:
        proc = subprocess.Popen(nanobot_home.command, env=nanobot_home.env, ...)
        nanobot_home.wait_healthy()

Facts this relies on (checked against nanobot-ai 0.3.5):
- `nanobot onboard` with no config yet never prompts (even on a TTY) and exits 0 in about 1 s; it
  writes ~/.nanobot/config.json (mode 0644 under umask 022) and ~/.nanobot/workspace/ (a git repo).
  Run again with a config present it asks "Overwrite? [y/N]" and, with no stdin, prints
  "Aborted." and exits 1; `nanobot onboard --refresh` is the non-interactive re-run (exit 0).
- `nanobot gateway --foreground` needs no API key: GET /health answers 200 with
  {"status": "ok", "process": "alive", "ready": true, "websocket": "running"} about 1-2.5 s after
  start. It listens on two loopback ports: gateway.port (default 18790, also `--port N`) for /health
  and channels.websocket.port (default 8765) for the WebUI websocket. NANOBOT_GATEWAY__PORT is
  ignored once config.json exists, so this fixture writes both ports into config.json.
- If either port is taken it prints "nanobot cannot start because one of its local ports is
  already in use" (or "A nanobot gateway is already running") and exits 1 after about 1.5 s.
- SIGTERM or SIGINT once it is up: "Shutting down..." and exit 0 within about 0.5 s. SIGTERM in
  its first ~0.5 s (before its handler is installed) kills it by the signal (-15).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ONBOARD_TIMEOUT = 120.0   # seconds; about 1 s normally, far more on a loaded CI machine
_TEMPLATES: dict[Path, Path] = {}


def nanobot_binary() -> Path | None:
    """The `nanobot` script of the venv running the tests, else one on PATH, else None."""
    beside = Path(sys.executable).parent / "nanobot"
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    found = shutil.which("nanobot")
    return Path(found) if found else None


def nanobot_required() -> bool:
    flags = (os.environ.get("TRAYAPP_REQUIRE_NANOBOT", ""), os.environ.get("CI", ""))
    return any(f.strip().lower() not in ("", "0", "false", "no") for f in flags)


def require_nanobot() -> Path:
    """The nanobot binary; skip without it, or fail when TRAYAPP_REQUIRE_NANOBOT/CI is set."""
    binary = nanobot_binary()
    if binary is None:
        message = 'nanobot is not installed (pip install -e ".[nanobot]"; scripts/setup does it)'
        if nanobot_required():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return binary


def free_port() -> int:
    """A loopback TCP port that was free a moment ago (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(home: Path) -> dict[str, str]:
    """os.environ with HOME moved and no API keys or NANOBOT_* settings leaking in."""
    env = {k: v for k, v in os.environ.items()
           if not (k.startswith("NANOBOT_") or k.endswith("_API_KEY"))}
    env["HOME"] = str(home)
    env.pop("XDG_CONFIG_HOME", None)
    return env


@dataclass(frozen=True)
class NanobotHome:
    """An onboarded HOME: `command` with `env` starts a gateway that answers `health_url`."""

    home: Path
    binary: Path
    port: int
    websocket_port: int

    @property
    def nanobot_dir(self) -> Path:
        return self.home / ".nanobot"

    @property
    def config_file(self) -> Path:
        return self.nanobot_dir / "config.json"

    @property
    def workspace(self) -> Path:
        return self.nanobot_dir / "workspace"

    @property
    def health_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/health"

    @property
    def env(self) -> dict[str, str]:
        return clean_env(self.home)

    @property
    def command(self) -> tuple[str, ...]:
        # --port repeats config.json's gateway.port: the command line shows it in ps.
        return (str(self.binary), "gateway", "--foreground", "--port", str(self.port))

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.health_url, timeout=1) as resp:
                return resp.status == 200 and json.load(resp).get("status") == "ok"
        except (OSError, ValueError, urllib.error.URLError):
            return False

    def wait_healthy(self, proc: subprocess.Popen[bytes] | None = None,
                     timeout: float = 60.0) -> float:
        """Poll /health until it answers; returns the seconds waited. Fails if proc exits."""
        start = time.monotonic()
        while not self.healthy():
            if proc is not None and proc.poll() is not None:
                raise AssertionError(f"nanobot gateway exited with {proc.returncode} before "
                                     f"{self.health_url} answered")
            if time.monotonic() - start > timeout:
                raise AssertionError(f"{self.health_url} did not answer within {timeout:g}s")
            time.sleep(0.1)
        return time.monotonic() - start


def onboard(home: Path, binary: Path) -> None:
    """Run the real `nanobot onboard` in `home` (no prompt: there is no config yet)."""
    home.mkdir(parents=True, exist_ok=True)
    result = subprocess.run([str(binary), "onboard"], env=clean_env(home), cwd=home,
                            stdin=subprocess.DEVNULL, capture_output=True, text=True,
                            timeout=ONBOARD_TIMEOUT)
    config = home / ".nanobot" / "config.json"
    if result.returncode != 0 or not config.is_file():
        raise RuntimeError(f"nanobot onboard failed ({result.returncode}): "
                           f"{result.stdout[-1500:]}{result.stderr[-1500:]}")


def set_ports(config_file: Path, port: int, websocket_port: int) -> None:
    """Point gateway.port and channels.websocket.port at our own ports (nanobot's own keys)."""
    config = json.loads(config_file.read_text())
    config.setdefault("gateway", {})["port"] = port
    config.setdefault("channels", {}).setdefault("websocket", {})["port"] = websocket_port
    config_file.write_text(json.dumps(config, indent=2))


def _template(factory: pytest.TempPathFactory, binary: Path) -> Path:
    """One onboarded HOME per test session; each test gets a copy (onboard costs ~1 s)."""
    base = factory.getbasetemp()
    if base not in _TEMPLATES:
        home = factory.mktemp("nanobot-template")
        onboard(home, binary)
        _TEMPLATES[base] = home
    return _TEMPLATES[base]


def make_nanobot_home(home: Path, template: Path, binary: Path) -> NanobotHome:
    shutil.copytree(template / ".nanobot", home / ".nanobot", symlinks=True)
    nb = NanobotHome(home=home, binary=binary, port=free_port(), websocket_port=free_port())
    set_ports(nb.config_file, nb.port, nb.websocket_port)
    return nb


@pytest.fixture
def nanobot_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NanobotHome]:
    """A temp HOME with an onboarded ~/.nanobot on two free ports, ready for `gateway --foreground`."""
    binary = require_nanobot()
    template = _template(tmp_path_factory, binary)
    yield make_nanobot_home(tmp_path_factory.mktemp("nanobot-home"), template, binary)
