"""What the status window shows for one program, as (label, value) rows. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from trayapp.journal import describe
from trayapp.status import Health, Mode, Status
from trayapp.tray.view import restarts_today
from trayapp.units import format_ago, format_duration, format_size


def _ago(ts: float | None, now: float) -> str:
    return "" if ts is None else format_ago(max(0.0, now - ts))


def _last_exit(status: Status, now: float) -> str:
    if status.last_exit is None:
        return "none yet"
    when = _ago(status.last_exit_at, now)
    return status.last_exit.describe() + (f", {when}" if when else "")


def _last_crash(status: Status, now: float) -> str:
    """The crash report's headline, cause and fix, and the end of what it printed (Copy has it all)."""
    crash = status.last_crash
    if crash is None:
        return "none yet"
    lines = [f"{_ago(crash.when, now) or 'just now'}, {crash.exit}: {crash.headline}"]
    if crash.known:
        lines.append(f"fix: {crash.fix}")
    return "\n".join([*lines, *crash.excerpt[-6:]])


def _health(status: Status) -> str:
    if status.health is Health.NONE:
        return "no health check configured"
    text = str(status.health) + (f" ({status.health_detail})" if status.health_detail else "")
    return text + (f"; fix: {status.health_fix}" if status.health_fix else "")


def rows(status: Status, now: float) -> list[tuple[str, str]]:
    """State, pid, uptime, restarts, last exit and cause, health, memory, CPU (and owner if not ours)."""
    uptime = status.uptime(now)
    out = [
        ("State", str(status.state).replace("_", " ") + (f" — {status.reason}" if status.reason else "")),
        ("PID", str(status.pid) if status.pid else "—"),
        ("Uptime", format_duration(int(uptime)) if uptime is not None else "—"),
        ("Restarts", f"{status.restarts} since trayapp started, {restarts_today(status, now)} today"),
        ("Last exit", _last_exit(status, now)),
        ("Last crash", _last_crash(status, now)),
        ("Health", _health(status)),
        ("Memory", format_size(status.memory) if status.memory is not None else "not sampled"),
        ("CPU", f"{status.cpu:.1f}%" if status.cpu is not None else "not sampled"),
    ]
    if status.mode is not Mode.MANAGED:
        out.append(("Owner", f"{status.mode}" + (f": {status.owner}" if status.owner else "")))
    return out


def event_line(entry: Mapping[str, Any], names: Mapping[str, str] | None = None) -> str:
    """"14:03:12  nanobot: crashed (exit 1) after 8s" for one journal entry."""
    stamp = str(entry.get("ts", ""))
    try:
        stamp = datetime.fromisoformat(stamp).astimezone().strftime("%H:%M:%S")
    except ValueError:
        pass
    return f"{stamp}  {describe(entry, names)}"
