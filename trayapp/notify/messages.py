"""Journal entries -> notification text: plain, short and specific. Pure functions.

Titles say what happened to which program ("nanobot crashed (exit 1) — restarting in 4s"); bodies
add the one detail that helps (the crash report's exception line and fix, the reason, the numbers). Every title stays
under 64 characters for typical names so Windows (63) shows it whole; backends cut further if
they must (note.fit).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from trayapp.triage.excerpt import clean, is_error_line
from trayapp.status import CrashReport
from trayapp.units import format_size, format_wait

_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Message:
    title: str
    body: str


def one_line(text: Any, limit: int = 200) -> str:
    """`text` as a single plain line: no colour codes, control characters or secrets, spaces collapsed,
    at most `limit` chars."""
    line = _SPACES.sub(" ", " ".join(clean(part) for part in str(text or "").splitlines())).strip()
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def _join(*parts: str) -> str:
    return "\n".join(p for p in parts if p)


def _exit_text(entry: Mapping[str, Any]) -> str:
    if entry.get("text"):
        return one_line(entry["text"], 40)
    if entry.get("signal") is not None:
        return f"signal {entry['signal']}"
    return f"exit {entry.get('code', '?')}"


def _why(exit_entry: Mapping[str, Any] | None, report: Mapping[str, Any] | None) -> str:
    """The crash report's exception line and fix; without a report, the last stderr line only when it
    reads as an error (nanobot's last stderr line is often an INFO line)."""
    if report:
        return one_line(CrashReport.from_dict(report).notice(), 300)
    line = one_line((exit_entry or {}).get("last_stderr"))
    return f"Last error: {line}" if line and is_error_line(line) else ""


def _delay(seconds: float) -> str:
    return format_wait(seconds)


def crash(name: str, exit_entry: Mapping[str, Any], *, delay: float | None = None,
          count: int = 1, span: float = 0.0, meaning: str = "",
          report: Mapping[str, Any] | None = None) -> Message:
    """A crash. The first in a while names the restart delay; later ones say how often it happened.
    `report`: the `crash` journal entry (CrashReport.to_dict()) for this exit, when there is one."""
    how = _exit_text(exit_entry)
    # A clean exit that was not asked for is news too, but "crashed" would be wrong.
    verb = "exited" if exit_entry.get("code") == 0 and exit_entry.get("signal") is None else "crashed"
    if count <= 1:
        title = f"{name} {verb} ({how})"
        if delay is not None:
            title += f" — restarting in {_delay(delay)}"
        return Message(title, _join(_why(exit_entry, report), one_line(meaning)))
    title = f"{name} keeps crashing ({how})"
    tally = f"{count} crashes in {_delay(span)}; trayapp keeps restarting it."
    return Message(title, _join(_why(exit_entry, report), one_line(meaning), tally))


def spawn_failed(name: str, entry: Mapping[str, Any], *, count: int = 1) -> Message:
    body = one_line(entry.get("error")) or "The program could not be started."
    tally = f"{count} failed starts; trayapp keeps trying." if count > 1 else ""
    return Message(f"{name} could not start", _join(body, tally))


def gave_up(name: str, entry: Mapping[str, Any], last_exit: Mapping[str, Any] | None,
            report: Mapping[str, Any] | None = None) -> Message:
    reason = _sentence(entry.get("reason")) or "It kept crashing."
    retry = entry.get("retry_in")
    again = f"trayapp tries again in {_delay(retry)}." if isinstance(retry, (int, float)) and retry > 0 else ""
    hint = "Start it from the tray menu or with `trayapp start`."
    return Message(f"{name} is down — gave up restarting", _join(reason, _why(last_exit, report), again, hint))


def _sentence(text: Any) -> str:
    line = one_line(text)
    if not line:
        return ""
    line = line[0].upper() + line[1:]
    return line if line.endswith((".", "!", "?")) else line + "."


def recovered(name: str, crashes: int) -> Message:
    after = f"after {crashes} crash{'es' if crashes != 1 else ''}" if crashes else "after the trouble"
    return Message(f"{name} is running again", f"It came back up {after}.")


def health(name: str, entry: Mapping[str, Any], *, failing: bool) -> Message:
    detail = one_line(entry.get("detail"))
    if failing:
        return Message(f"{name} is not responding", detail or "Its health check is failing.")
    return Message(f"{name} is responding again", detail or "Its health check passes again.")


def degraded(name: str, entry: Mapping[str, Any]) -> Message:
    """Running, but it cannot answer: the reason and what to do, once per episode."""
    reason = _sentence(entry.get("detail")) or "It runs, but cannot answer messages."
    fix = one_line(entry.get("fix"))
    return Message(f"{name} cannot answer", _join(reason, f"Fix: {fix}" if fix else ""))


def answering(name: str) -> Message:
    return Message(f"{name} can answer again", "What kept it from answering is gone.")


def limit(name: str, entry: Mapping[str, Any]) -> Message:
    kind = entry.get("kind", "memory")
    value, cap = entry.get("value"), entry.get("limit")
    if kind == "disk":
        return Message(f"{name}'s data folders are too big",
                       f"They hold {_size(value)} (limit {_size(cap)}). Nothing was deleted: free some space "
                       "in them or raise limits.disk.")
    if kind == "memory":
        numbers = f"{_size(value)} of memory (limit {_size(cap)})"
        title = f"{name} used too much memory"
    else:
        numbers = f"{_percent(value)} CPU (limit {_percent(cap)})"
        title = f"{name} used too much CPU"
    action = "trayapp restarted it." if entry.get("action", "restart") == "restart" else "It is still running."
    return Message(title, f"It used {numbers}; {action}")


def _size(value: Any) -> str:
    """Bytes as "1.2GB"; the supervisor may already have formatted it."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return format_size(value)
    return one_line(value, 20) or "?"


def _percent(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:.0f}%"
    return one_line(value, 20) or "?"


def disk(entry: Mapping[str, Any]) -> Message:
    level, path = entry.get("level"), one_line(entry.get("path"), 120)
    space = f"{_size(entry.get('free'))} free of {_size(entry.get('total'))} on {path}."
    if level == "critical":
        return Message("Disk almost full", _join(space, "trayapp paused writing logs and refuses backups "
                                                        "until space is freed."))
    if level == "warn":
        return Message("Disk space is low", _join(space, "Free some space to keep logs and backups working."))
    return Message("Disk space is back", _join(space, "Logs and backups work normally again."))


def backup(entry: Mapping[str, Any]) -> Message:
    if entry.get("ok"):
        where = one_line(entry.get("path"), 160)
        return Message("Backup finished", f"{_size(entry.get('size'))} saved to {where}.")
    return Message("Backup failed", one_line(entry.get("error")) or "See `trayapp history` for details.")


def external(name: str, entry: Mapping[str, Any]) -> Message:
    owner = one_line(entry.get("owner") or (f"pid {entry['pid']}" if entry.get("pid") else ""), 80)
    who = f" ({owner})" if owner else ""
    body = _sentence(entry.get("detail")) or (f"It was started outside trayapp{who}; trayapp watches it "
                                               "and will not start a second copy.")
    return Message(f"{name} is already running", body)
