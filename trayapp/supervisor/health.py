"""Health probes: HTTP (optionally checking JSON fields), TCP connect, or a command's exit status.

Probes block for at most their timeout and run on a worker thread, never on the supervisor's.
What a probe says is a Message (English in the journal, `--json` and the log; the user's language
where a person reads it), with the words from outside (an error, a command's output) as its values.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trayapp.i18n import N_
from trayapp.config import HealthConfig, ProgramConfig
from trayapp.message import Duration, Message, Value
from trayapp.procs import run_in_session
from trayapp.redact import redact


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    detail: Message | str  # a Message for trayapp's own words; a str only for words from outside


def check_context(program: ProgramConfig, environ: Mapping[str, str]) -> tuple[Path | None, dict[str, str]]:
    """The working folder and environment a program's health command runs in: the program's own,
    so a check that needs them (NanoClaw's Node version) agrees in every place that runs it."""
    return program.cwd, program.environment(environ)


# The longest detail a probe reports: a health endpoint's JSON can be big, a Status stays small.
DETAIL_LIMIT = 300


def probe(cfg: HealthConfig, *, cwd: Path | None = None, env: Mapping[str, str] | None = None) -> ProbeResult:
    """Run one check. Never raises."""
    result = _probe(cfg, cwd, env)
    detail = _clipped(_redacted(result.detail))
    return result if detail == result.detail else ProbeResult(result.ok, detail)


def _redacted(detail: Message | str) -> Message | str:
    """A URL with ?token= or user:password@ must not reach a bubble, whichever value carries it."""
    if isinstance(detail, str):
        return redact(detail)
    return Message(detail.message, **{name: _redacted(value) if isinstance(value, (Message, str)) else value
                                       for name, value in detail.values.items()})


def _clipped(detail: Message | str) -> Message | str:
    """At most DETAIL_LIMIT characters in English: a Message loses the end of its longest value."""
    excess = len(str(detail)) - DETAIL_LIMIT
    if excess <= 0:
        return detail
    if isinstance(detail, str):
        return detail[:DETAIL_LIMIT - 1] + "…"
    texts = {name: value for name, value in detail.values.items() if isinstance(value, str)}
    if not texts:
        return detail
    name = max(texts, key=lambda n: len(texts[n]))
    values: dict[str, Value] = {**detail.values, name: texts[name][:max(0, len(texts[name]) - excess - 1)] + "…"}
    return Message(detail.message, **values)


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
        return ProbeResult(False, failed(exc))
    return ProbeResult(True, Message(N_("no check configured")))


def failed(exc: Exception) -> Message:
    """A probe that raised: said the same wherever it is caught."""
    return Message(N_("health check failed: {error}"), error=str(exc) or type(exc).__name__)


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
        return ProbeResult(False, Message(N_("{url} did not answer within {wait}"), url=url, wait=Duration(timeout)))
    except (OSError, http.client.HTTPException) as exc:
        return ProbeResult(False, Message(N_("{url} is not answering ({error})"), url=url, error=_plain(exc)))
    finally:
        conn.close()
    if not 200 <= status < 300:
        return ProbeResult(False, Message(N_("{url} answered HTTP {status}"), url=url, status=status))
    if not expect:
        return ProbeResult(True, Message(N_("HTTP {status}"), status=status))
    return _check_fields(body, expect)


def _plain(reason: Exception) -> Message | str:
    """Why a connection failed: our words for the usual case, else the system's own."""
    if isinstance(reason, ConnectionRefusedError):
        return Message(N_("connection refused"))
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return str(reason) or type(reason).__name__


def _check_fields(body: bytes, expect: Mapping[str, Any]) -> ProbeResult:
    try:
        data = json.loads(body)
    except ValueError:
        return ProbeResult(False, Message(N_("the health endpoint did not return JSON")))
    for key, wanted in expect.items():
        got = _lookup(data, key)
        if got != wanted:  # the values as Python writes them ('ok', True, None): the same in every language
            return ProbeResult(False, Message(N_("{key} is {got}, expected {wanted}"), key=key, got=repr(got),
                                              wanted=repr(wanted)))
    return ProbeResult(True, Message(N_("healthy")))


def _lookup(data: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def _tcp(host: str, port: int, timeout: float) -> ProbeResult:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return ProbeResult(True, Message(N_("port {port} open"), port=port))
    except OSError as exc:
        return ProbeResult(False, Message(N_("{host}:{port} is not accepting connections ({error})"),
                                          host=host, port=port, error=_plain(exc)))


def _command(argv: tuple[str, ...], timeout: float, cwd: Path | None, env: Mapping[str, str] | None) -> ProbeResult:
    """Run the check in its own session, so a timeout kills everything it started."""
    done = run_in_session(argv, timeout, cwd=cwd, env=env)
    if done.problem:
        return ProbeResult(False, Message(N_("health command could not run: {problem}"), problem=done.problem))
    if done.timed_out:
        return ProbeResult(False, Message(N_("health command did not finish within {wait}"), wait=Duration(timeout)))
    if done.returncode == 0:
        return ProbeResult(True, Message(N_("health command succeeded")))
    code = "?" if done.returncode is None else done.returncode
    if done.last_error:
        return ProbeResult(False, Message(N_("health command exited {code}: {error}"), code=code,
                                          error=done.last_error[:200]))
    return ProbeResult(False, Message(N_("health command exited {code}"), code=code))


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
