"""Health probes: HTTP (optionally checking JSON fields), TCP connect, or a command's exit status.

Probes block for at most their timeout and run on a worker thread, never on the supervisor's.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trayapp.i18n import _
from trayapp.config import HealthConfig, ProgramConfig
from trayapp.procs import run_in_session
from trayapp.redact import redact


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    detail: str


def check_context(program: ProgramConfig, environ: Mapping[str, str]) -> tuple[Path | None, dict[str, str]]:
    """The working folder and environment a program's health command runs in: the program's own,
    so a check that needs them (NanoClaw's Node version) agrees in every place that runs it."""
    return program.cwd, program.environment(environ)


# The longest detail a probe reports: a health endpoint's JSON can be big, a Status stays small.
DETAIL_LIMIT = 300


def probe(cfg: HealthConfig, *, cwd: Path | None = None, env: Mapping[str, str] | None = None) -> ProbeResult:
    """Run one check. Never raises."""
    result = _probe(cfg, cwd, env)
    detail = redact(result.detail)  # a URL with ?token= or user:password@ must not reach a bubble
    if len(detail) > DETAIL_LIMIT:
        detail = detail[:DETAIL_LIMIT - 1] + "…"
    return result if detail == result.detail else ProbeResult(result.ok, detail)


def _probe(cfg: HealthConfig, cwd: Path | None, env: Mapping[str, str] | None) -> ProbeResult:
    try:
        if cfg.url:
            return _http(cfg.url, cfg.expect, cfg.timeout)
        if cfg.tcp:
            host, _sep, port = cfg.tcp.rpartition(":")
            return _tcp(host, int(port), cfg.timeout)
        if cfg.command:
            return _command(cfg.command, cfg.timeout, cwd, env)
    except Exception as exc:  # a probe must never take the supervisor down
        return ProbeResult(False, _("health check failed: {error}").format(error=exc))
    return ProbeResult(True, "no check configured")


def _http(url: str, expect: Mapping[str, Any], timeout: float) -> ProbeResult:
    """GET url directly: no proxies (a health URL is local), no redirects, a bounded read."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme == "https":
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(parts.hostname or "", parts.port, timeout=timeout)
    else:
        conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)
    try:
        conn.request("GET", (parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
                     headers={"User-Agent": "trayapp-health"})
        response = conn.getresponse()
        body, status = response.read(65536), response.status
    except (TimeoutError, socket.timeout):
        return ProbeResult(False, _("{url} did not answer within {wait}").format(url=url, wait=f"{timeout:g}s"))
    except (OSError, http.client.HTTPException) as exc:
        return ProbeResult(False, _("{url} is not answering ({error})").format(url=url, error=_plain(exc)))
    finally:
        conn.close()
    if not 200 <= status < 300:
        return ProbeResult(False, _("{url} answered HTTP {status}").format(url=url, status=status))
    if not expect:
        return ProbeResult(True, f"HTTP {status}")
    return _check_fields(body, expect)


def _plain(reason: Exception) -> str:
    if isinstance(reason, ConnectionRefusedError):
        return _("connection refused")
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return str(reason) or type(reason).__name__


def _check_fields(body: bytes, expect: Mapping[str, Any]) -> ProbeResult:
    try:
        data = json.loads(body)
    except ValueError:
        return ProbeResult(False, "the health endpoint did not return JSON")
    for key, wanted in expect.items():
        got = _lookup(data, key)
        if got != wanted:
            return ProbeResult(False, _("{key} is {got!r}, expected {wanted!r}").format(
                key=key, got=got, wanted=wanted))
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
            return ProbeResult(True, _("port {port} open").format(port=port))
    except OSError as exc:
        return ProbeResult(False, _("{host}:{port} is not accepting connections ({error})").format(
            host=host, port=port, error=exc.strerror or exc))


def _command(argv: tuple[str, ...], timeout: float, cwd: Path | None, env: Mapping[str, str] | None) -> ProbeResult:
    """Run the check in its own session, so a timeout kills everything it started."""
    done = run_in_session(argv, timeout, cwd=cwd, env=env)
    if done.problem:
        return ProbeResult(False, _("health command could not run: {problem}").format(problem=done.problem))
    if done.timed_out:
        return ProbeResult(False, _("health command did not finish within {wait}").format(wait=f"{timeout:g}s"))
    if done.returncode == 0:
        return ProbeResult(True, "health command succeeded")
    if done.last_error:
        return ProbeResult(False, _("health command exited {code}: {error}").format(code=done.returncode,
                                                                                   error=done.last_error[:200]))
    return ProbeResult(False, _("health command exited {code}").format(code=done.returncode))


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
