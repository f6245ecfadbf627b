"""Health probes: HTTP (optionally checking JSON fields), TCP connect, or a command's exit status.

Probes block for at most their timeout and run on a worker thread, never on the supervisor's.
"""

from __future__ import annotations

import json
import socket
import subprocess
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trayapp.config import HealthConfig


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    detail: str


def probe(cfg: HealthConfig, *, cwd: Path | None = None, env: Mapping[str, str] | None = None) -> ProbeResult:
    """Run one check. Never raises."""
    try:
        if cfg.url:
            return _http(cfg.url, cfg.expect, cfg.timeout)
        if cfg.tcp:
            host, _, port = cfg.tcp.rpartition(":")
            return _tcp(host, int(port), cfg.timeout)
        if cfg.command:
            return _command(cfg.command, cfg.timeout, cwd, env)
    except Exception as exc:  # a probe must never take the supervisor down
        return ProbeResult(False, f"health check failed: {exc}")
    return ProbeResult(True, "no check configured")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


# No proxies (a health URL is local) and no redirects.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def _http(url: str, expect: Mapping[str, Any], timeout: float) -> ProbeResult:
    try:
        with _OPENER.open(url, timeout=timeout) as response:
            body = response.read(65536)
            status = response.status
    except urllib.error.HTTPError as exc:
        return ProbeResult(False, f"{url} answered HTTP {exc.code}")
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, (socket.timeout, TimeoutError)) or "timed out" in str(reason):
            return ProbeResult(False, f"{url} did not answer within {timeout:g}s")
        return ProbeResult(False, f"{url} is not answering ({_plain(reason)})")
    if not expect:
        return ProbeResult(200 <= status < 300, f"HTTP {status}")
    return _check_fields(body, expect)


def _plain(reason: object) -> str:
    text = str(reason)
    if "Connection refused" in text:
        return "connection refused"
    return text.removeprefix("[Errno 111] ")


def _check_fields(body: bytes, expect: Mapping[str, Any]) -> ProbeResult:
    try:
        data = json.loads(body)
    except ValueError:
        return ProbeResult(False, "the health endpoint did not return JSON")
    for key, wanted in expect.items():
        got = _lookup(data, key)
        if got != wanted:
            return ProbeResult(False, f"{key} is {got!r}, expected {wanted!r}")
    return ProbeResult(True, "healthy")


def _lookup(data: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def _tcp(host: str, port: int, timeout: float) -> ProbeResult:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return ProbeResult(True, f"port {port} open")
    except OSError as exc:
        return ProbeResult(False, f"{host}:{port} is not accepting connections ({exc.strerror or exc})")


def _command(argv: tuple[str, ...], timeout: float, cwd: Path | None, env: Mapping[str, str] | None) -> ProbeResult:
    try:
        done = subprocess.run(list(argv), cwd=cwd, env=dict(env) if env else None, timeout=timeout,
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, start_new_session=True)
    except subprocess.TimeoutExpired:
        return ProbeResult(False, f"health command did not finish within {timeout:g}s")
    except OSError as exc:
        return ProbeResult(False, f"health command could not run: {exc.strerror or exc}")
    if done.returncode == 0:
        return ProbeResult(True, "health command succeeded")
    last = (done.stderr or b"").decode(errors="replace").strip().splitlines()[-1:] or [""]
    return ProbeResult(False, f"health command exited {done.returncode}" + (f": {last[0][:200]}" if last[0] else ""))


def port_of(url: str | None) -> tuple[str, int] | None:
    """("127.0.0.1", 18790) from a health URL, for detecting a copy already running."""
    if not url:
        return None
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.hostname is None:
        return None
    return parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)


def port_open(host: str, port: int, timeout: float = 0.3) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False
