"""What the status window shows for one program, as (label, value) rows. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from trayapp.journal import describe
from trayapp.status import Health, Mode, Status
from trayapp.tray.view import restarts_today
from trayapp.units import format_duration, format_size


def _ago(ts: float | None, now: float) -> str:
    return "" if ts is None else f"{format_duration(max(0.0, now - ts))} ago"


def _last_exit(status: Status, now: float) -> str:
    if status.last_exit is None:
        return "none yet"
    text = status.last_exit.describe()
    when = _ago(status.last_exit_at, now)
    cause = status.last_stderr.strip()
    return text + (f", {when}" if when else "") + (f" — last error: {cause}" if cause else "")


def _health(status: Status) -> str:
    if status.health is Health.NONE:
        return "no health check configured"
    return str(status.health) + (f" ({status.health_detail})" if status.health_detail else "")


def rows(status: Status, now: float) -> list[tuple[str, str]]:
    """State, pid, uptime, restarts, last exit and cause, health, memory, CPU (and owner if not ours)."""
    uptime = status.uptime(now)
    out = [
        ("State", str(status.state).replace("_", " ") + (f" — {status.reason}" if status.reason else "")),
        ("PID", str(status.pid) if status.pid else "—"),
        ("Uptime", format_duration(uptime) if uptime is not None else "—"),
        ("Restarts", f"{status.restarts} since trayapp started, {restarts_today(status, now)} today"),
        ("Last exit", _last_exit(status, now)),
        ("Health", _health(status)),
        ("Memory", format_size(status.memory) if status.memory is not None else "not sampled"),
        ("CPU", f"{status.cpu:.1f}%" if status.cpu is not None else "not sampled"),
    ]
    if status.mode is not Mode.MANAGED:
        out.append(("Owner", f"{status.mode}" + (f": {status.owner}" if status.owner else "")))
    return out


def event_line(entry: Mapping[str, Any]) -> str:
    """"14:03:12  exit assistant: code=1, ..." for one journal entry."""
    stamp = str(entry.get("ts", ""))
    try:
        stamp = datetime.fromisoformat(stamp).astimezone().strftime("%H:%M:%S")
    except ValueError:
        pass
    return f"{stamp}  {describe(entry)}"
