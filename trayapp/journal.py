"""Append-only history of what happened (JSONL): starts, exits, restarts, backups, alerts."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from trayapp.events import EventBus, Recorded
from trayapp.paths import cause, open_private
from trayapp.status import ExitInfo
from trayapp.triage.excerpt import clean, is_error_line
from trayapp.units import count, format_size, format_took, format_wait

log = logging.getLogger(__name__)

# Past this size the journal is rotated once to journal.jsonl.1; history stays bounded.
MAX_BYTES = 5_000_000


class Journal:
    """Writes one JSON object per line and publishes each as a `Recorded` event.

    `record` may be called from any thread. Each batch is one write() on an O_APPEND file and one
    fsync, so a crash of trayapp never leaves a half line behind a complete one.

    background=True (the running instance): lines go to a writer thread and `record` never waits
    for the disk, so the supervisor restarts a crashed program without waiting on fsync; `flush()`
    waits until everything queued is on disk. Otherwise (commands, tests) `record` writes at once.
    """

    def __init__(self, path: Path, bus: EventBus | None = None,
                 wall: Callable[[], float] | None = None, *, background: bool = False) -> None:
        self.path = path
        self._bus = bus
        self._wall = wall or (lambda: datetime.now(timezone.utc).timestamp())
        self._cond = threading.Condition()
        self._pending: list[bytes] = []
        self._queued = self._written = 0
        self._writer: threading.Thread | None = None
        self._background = background
        self._failing = False

    def record(self, event: str, program: str | None = None, **fields: Any) -> dict[str, Any]:
        entry: dict[str, Any] = {"ts": _iso(self._wall()), "event": event}
        if program is not None:
            entry["program"] = program
        entry.update(fields)
        line = json.dumps(entry, default=str, ensure_ascii=False) + "\n"
        if not self._background:
            with self._cond:
                self._write(line.encode("utf-8"))
        else:
            self._enqueue(line.encode("utf-8"))
        if self._bus is not None:
            self._bus.publish(Recorded(entry))
        return entry

    def _enqueue(self, data: bytes) -> None:
        with self._cond:
            self._pending.append(data)
            self._queued += 1
            if self._writer is None:
                self._writer = threading.Thread(target=self._write_forever, name="journal", daemon=True)
                self._writer.start()
            self._cond.notify_all()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every recorded line is on disk (or was dropped by a full disk)."""
        with self._cond:
            target = self._queued
            return self._cond.wait_for(lambda: self._written >= target, timeout)

    def _write_forever(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: bool(self._pending))
                batch, self._pending = self._pending, []
            self._write(b"".join(batch))
            with self._cond:
                self._written += len(batch)
                self._cond.notify_all()

    def _write(self, data: bytes) -> None:
        """A failed write (a full disk, a planted link) must not stop supervision: the events still
        reach the bus. In the running instance the first failure after a success goes to trayapp.log,
        in words; a command (background=False) stays quiet and reports its own outcome."""
        try:
            self._append(data)
        except OSError as exc:
            if self._background and not self._failing:
                log.warning("cannot write the journal %s: %s; history is not being saved", self.path, cause(exc))
            self._failing = True
        else:
            self._failing = False

    def _append(self, data: bytes) -> None:
        """One write on an O_APPEND file, never through a link, 0600 (an older 0644 is tightened)."""
        fd = open_private(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT)
        try:
            if os.fstat(fd).st_size > MAX_BYTES:
                os.replace(self.path, self.path.with_name(self.path.name + ".1"))
                os.close(fd)
                fd = open_private(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT)
            os.write(fd, _fresh_line(fd) + data)
            os.fsync(fd)
        finally:
            os.close(fd)


def _fresh_line(fd: int) -> bytes:
    """b"\n" when the file ends inside a line (a torn write, junk): else the next entry would be
    glued to it and lost with it when read."""
    size = os.fstat(fd).st_size
    if not size:
        return b""
    os.lseek(fd, size - 1, os.SEEK_SET)  # reads only: O_APPEND still writes at the very end
    return b"" if os.read(fd, 1) == b"\n" else b"\n"


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch).astimezone().isoformat(timespec="milliseconds")


def read(path: Path, last: int | None = None, program: str | None = None) -> list[dict[str, Any]]:
    """The journal's entries, oldest first; the last `last` of them if given. Bad lines are skipped."""
    keep: deque[dict[str, Any]] = deque(maxlen=last) if last else deque()
    for entry in _entries(path):
        if program is None or entry.get("program") in (program, None):
            keep.append(entry)
    return list(keep)


def _entries(path: Path) -> Iterator[dict[str, Any]]:
    for candidate in (path.with_name(path.name + ".1"), path):
        try:
            with open(open_private(candidate, os.O_RDONLY), encoding="utf-8", errors="replace") as f:
                yield from (entry for line in f if (entry := _parse(line)) is not None)
        except FileNotFoundError:
            continue
        except OSError:
            continue  # a link or another user's file where the journal should be: not ours to read


def _parse(line: str) -> dict[str, Any] | None:
    """One entry, or None for a torn line. An entry glued to a torn one by an older trayapp
    (before appends started on a fresh line) is still found: every entry begins with {"ts": ."""
    for start in (0, line.rfind('{"ts": ')):
        try:
            entry = json.loads(line[start:]) if start >= 0 else None
        except ValueError:
            continue
        if isinstance(entry, Mapping):
            return dict(entry)
    return None


# -- one human sentence per kind -------------------------------------------------------------------
# `history`, the recent events and trayapp.log show these; `--json` keeps the raw fields. Entries come
# from disk and may be old or damaged, so every field is read through a typed accessor.

Entry = Mapping[str, Any]


def describe(entry: Entry, names: Mapping[str, str] | None = None) -> str:
    """One line for `trayapp history`: "nanobot: crashed (exit 1) after 8s". `names`: config key ->
    display name, so every surface names a program the same way."""
    kind = _text(entry.get("event")) or "event"
    text = _text(entry.get("message"))
    if not text:
        try:
            text = _SENTENCES.get(kind, _unknown_kind)(entry)
        except Exception:  # a damaged entry must not break `history`: say what kind it was
            text = _unknown_kind(entry)
    key = _text(entry.get("program"))
    if not key:
        return text
    return f"{program_label(key, (names or {}).get(key, ''))}: {text}"


def program_label(key: str, display: str) -> str:
    """One name per program: its display name, with the config key where that adds something."""
    if not display or display == key:
        return key
    if key.lower() in display.lower():  # "the assistant" for key "assistant", not "the assistant (assistant)"
        return display
    return f"{display} ({key})"


def kinds() -> frozenset[str]:
    """Every event kind that has its own sentence."""
    return frozenset(_SENTENCES)


def _text(value: Any, limit: int = 300) -> str:
    """A field as one plain line (no colour codes or control characters); "" for anything but text."""
    if not isinstance(value, str):
        return ""
    line = " ".join(clean(value).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _pid(entry: Entry) -> str:
    pid = _int(entry.get("pid"))
    return f" (pid {pid})" if pid else ""


def _start(entry: Entry) -> str:
    return "started" + _pid(entry)


def _running(entry: Entry) -> str:
    again = " again after a crash" if entry.get("after_crash") is True else ""
    return f"up and running{again}{_pid(entry)}"


def _exit(entry: Entry) -> str:
    code, signal = _int(entry.get("code")), _int(entry.get("signal"))
    expected = entry.get("expected") is True
    if code is None and signal is None:  # attach mode: the owner's words
        text = _text(entry.get("text")) or ("stopped" if expected else "went down")
    else:
        verb = "stopped" if expected else ("exited" if code == 0 else "crashed")
        text = f"{verb} ({ExitInfo(code, signal).describe()})"
    uptime = _num(entry.get("uptime"))
    if uptime is not None:
        text += " within a second" if uptime < 1 else f" after {format_took(uptime)}"
    said = _text(entry.get("last_stderr"))
    if not expected and said and is_error_line(said):  # an INFO line is not "the last error"
        text += f" — last error: {said}"
    return text


def _crash(entry: Entry) -> str:
    how = _text(entry.get("exit"))
    text = "crash report" + (f" ({how})" if how else "")
    headline = _text(entry.get("headline"))
    if headline:
        text += f": {headline}"
    fix = _text(entry.get("fix"))
    if fix and entry.get("known") is True:
        text += f" — fix: {fix[:1].lower()}{fix[1:]}"
    return text


def _backoff(entry: Entry) -> str:
    delay = _num(entry.get("delay"))
    text = f"restarting in {format_wait(delay)}" if delay is not None else "restarting soon"
    failures = _int(entry.get("failures"))
    if failures and failures > 1:
        text += f" ({failures} failed starts in a row)"
    reason = _text(entry.get("reason"))
    return f"{reason}; {text}" if reason else text


_WHO = {"user": "you", "quit": "trayapp quitting", "health": "its failing health check",
        "limit": "going over its limit", "restart": "a restart", "reload": "a config reload",
        "dependency": "a program it depends on going down"}


def _by(entry: Entry, key: str) -> str:
    who = _text(entry.get(key))
    return _WHO.get(who, who) or "trayapp"


def _restart(entry: Entry) -> str:
    return f"restart asked for by {_by(entry, 'reason')}" + _via(entry)


def _stop(entry: Entry) -> str:
    return f"stop asked for by {_by(entry, 'by')}" + _via(entry)


def _via(entry: Entry) -> str:
    via = _text(entry.get("via"))
    return f", through `{via}`" if via else ""


def _gave_up(entry: Entry) -> str:
    reason = _text(entry.get("reason")) or "it kept crashing"
    text = reason if reason.startswith("gave up") else f"gave up restarting it: {reason}"
    retry = _num(entry.get("retry_in"))
    return text + (f"; trying again in {format_wait(retry)}" if retry else "")


def _spawn_failed(entry: Entry) -> str:
    return "could not start: " + (_text(entry.get("error")) or "no reason given")


def _kill(entry: Entry) -> str:
    reason = _text(entry.get("reason"))
    return "killed the whole process tree" + _pid(entry) + (f": it {reason}" if reason else "")


_HEALTH = {"healthy": "health check passes", "unhealthy": "health check failing",
           "degraded": "running but cannot answer", "unknown": "health not known yet",
           "none": "can answer again"}


def _health(entry: Entry) -> str:
    status = _text(entry.get("status"))
    text = _HEALTH.get(status, f"health {status}" if status else "health changed")
    detail = _text(entry.get("detail"))
    return f"{text}: {detail}" if detail else text


def _limit(entry: Entry) -> str:
    kind = _text(entry.get("kind")) or "memory"
    value, cap = entry.get("value"), entry.get("limit")
    if kind == "disk":
        return (f"its data folders hold {_size(value)}, over their limit of {_size(cap)}; "
                "nothing was deleted, free some space in them or raise limits.disk")
    if kind == "memory":
        used = f"used {_size(value)} of memory, over its limit of {_size(cap)}"
    else:
        used = f"used {_percent(value)} {kind.upper() if kind == 'cpu' else kind}, over its limit of {_percent(cap)}"
    action = _text(entry.get("action"))
    return used + ("; restarting it" if action == "restart" else "; left running" if action else "")


def _size(value: Any) -> str:
    number = _num(value)
    return format_size(number) if number is not None else (_text(value, 20) or "?")


def _percent(value: Any) -> str:
    number = _num(value)
    return f"{number:.0f}%" if number is not None else (_text(value, 20) or "?")


def _external(entry: Entry) -> str:
    owner = _text(entry.get("owner"))
    return _text(entry.get("detail")) or "already running outside trayapp" + (f" ({owner})" if owner else "")


def _orphan(entry: Entry) -> str:
    action = _text(entry.get("action")) or "looked at"
    return f"leftover{_pid(entry)} from an earlier trayapp: {action}"


def _adopt(entry: Entry) -> str:
    return f"took over the copy an earlier trayapp left running{_pid(entry)}"


def _owner_command(entry: Entry) -> str:
    action = _text(entry.get("action")) or "control"
    return f"could not {action} it through its owner: " + (_text(entry.get("error")) or "no reason given")


def _attach(entry: Entry) -> str:
    owner = _text(entry.get("owner"))
    return "watching it" + (f" under {owner}" if owner else "") + _pid(entry)


def _handoff(entry: Entry) -> str:
    keeper = _int(entry.get("keeper"))
    if keeper:
        return f"left running; its output goes on to its log through a log keeper (pid {keeper})"
    return "left running; its output could not be handed to a log keeper and is no longer captured"


_DISK = {"critical": "disk almost full", "warn": "disk space low", "ok": "disk space back to normal"}


def _disk(entry: Entry) -> str:
    level = _text(entry.get("level"))
    path = _text(entry.get("path"))
    where = f" on {path}" if path else ""
    return f"{_DISK.get(level, 'disk space changed')}{where}: {_size(entry.get('free'))} free of {_size(entry.get('total'))}"


def _backup(entry: Entry) -> str:
    if entry.get("ok") is not True:
        return _failed("backup failed", entry)
    parts = [_size(entry.get("size"))]
    for key, word in (("files", "file"), ("databases", "database")):
        n = _int(entry.get(key))
        if n:
            parts.append(count(n, word))
    if entry.get("verified") is True:
        parts.append("verified")
    took = _num(entry.get("duration"))
    text = f"backup saved to {_text(entry.get('path')) or 'the backup folder'} ({', '.join(parts)})"
    return text + (f" in {format_took(took)}" if took is not None else "")


def _failed(what: str, entry: Entry) -> str:
    text = f"{what}: " + (_text(entry.get("error")) or "no reason given")
    fix = _text(entry.get("fix"))
    return text + (f" — fix: {fix[:1].lower()}{fix[1:]}" if fix else "")


def _prune(entry: Entry) -> str:
    if entry.get("ok") is not True:
        return _failed("removing old backups failed", entry)
    deleted = entry.get("deleted")
    gone = len(deleted) if isinstance(deleted, list) else 0
    kept = _int(entry.get("kept")) or 0
    if not gone:
        return f"no old backups to remove ({count(kept, 'backup')} kept)"
    return f"removed {count(gone, 'old backup')}, freeing {_size(entry.get('freed'))} ({kept} kept)"


def _verify(entry: Entry) -> str:
    archive = Path(_text(entry.get("archive"))).name or "a backup"
    if entry.get("ok") is not True:
        problems = entry.get("problems")
        first = f": {_text(problems[0])}" if isinstance(problems, list) and problems else ""
        return f"backup {archive} failed verification{first}"
    files, databases = _int(entry.get("files")) or 0, _int(entry.get("databases")) or 0
    return f"backup {archive} verified: {count(files, 'file')} and {count(databases, 'database')} intact"


def _restore(entry: Entry) -> str:
    archive = _text(entry.get("archive")) or "a backup"
    if entry.get("ok") is not True:
        return _failed(f"restore from {archive} failed", entry)
    restored = entry.get("restored")
    items = f" ({count(len(restored), 'item')})" if isinstance(restored, list) and restored else ""
    took = _num(entry.get("duration"))
    text = f"restored {archive}{items}" + (f" in {format_took(took)}" if took is not None else "")
    to = _text(entry.get("to"))
    text += f" into {to}" if to else ""
    healthy = entry.get("healthy")
    return text + ("; healthy again" if healthy is True else "; not healthy afterwards" if healthy is False else "")


def _alert(entry: Entry) -> str:
    rule = _text(entry.get("rule")) or "an alert"
    detail = _text(entry.get("detail"))
    text = f"alert “{rule}”" + (f": {detail}" if detail else " fired")
    if entry.get("ok") is False:
        text += f" (its {_text(entry.get('action')) or 'action'} failed: {_text(entry.get('error')) or 'no reason given'})"
    return text


def _control_unavailable(entry: Entry) -> str:
    return "`trayapp status` and friends cannot reach this instance: " + (_text(entry.get("error")) or "unknown error")


def _dashboard_unavailable(entry: Entry) -> str:
    """The dashboard could not start (port in use, no loopback); everything else runs on."""
    port = entry.get("port")
    where = f" on port {port}" if isinstance(port, int) and port else ""
    fix = _text(entry.get("fix"))
    return (f"the dashboard could not start{where}: {_text(entry.get('error')) or 'no reason given'}; "
            "everything else runs on without it" + (f". Fix: {fix}" if fix else ""))


def _dashboard_rotated(entry: Entry) -> str:
    return "the dashboard's key was replaced: every browser was signed out"


def _quit(entry: Entry) -> str:
    if entry.get("stop_programs") is False:
        return "trayapp quit and left the programs running"
    return "trayapp quit and stopped the programs"


def _fault(entry: Entry) -> str:
    """trayapp's own bug while handling a program; the entry's message says which step (it wins above)."""
    step = _text(entry.get("during"))
    return "trayapp hit an internal error" + (f" while {step}" if step else "") + "; supervision goes on"


def _logs_refused(entry: Entry) -> str:
    folder = _text(entry.get("folder")) or _text(entry.get("path"))
    return "the log folder " + (f"{folder} " if folder else "") + "was refused; output is kept in memory only"


def _reload(entry: Entry) -> str:
    """A config reload that applied; `changes` says what it did in words (config/diff.py)."""
    return "the configuration was reloaded: " + (_text(entry.get("changes")) or "nothing changed")


def _reload_failed(entry: Entry) -> str:
    problems = entry.get("problems")
    first = problems[0] if isinstance(problems, list) and problems else _text(entry.get("error"))
    return "the new configuration was not used (the old one keeps running)" + (f": {first}" if first else "")


def _config_error(entry: Entry) -> str:
    """trayapp started on a config.toml it could not read: it runs, supervising nothing, until fixed."""
    problems = entry.get("problems")
    first = problems[0] if isinstance(problems, list) and problems else _text(entry.get("error"))
    return "config.toml has a problem, so nothing is supervised until it is fixed" + (f": {first}" if first else "")


def _held(entry: Entry) -> str:
    return "put on hold: " + (_text(entry.get("reason")) or "a program it depends on is not ready")


def _depends(entry: Entry) -> str:
    dep = _text(entry.get("dependency")) or "a program it depends on"
    return f"stopped because {dep} went down or restarted; it starts again once {dep} is ready"


def _channel_failed(entry: Entry) -> str:
    """A notice that did not reach an e-mail/chat channel; the channel is stored redacted."""
    kind = (_text(entry.get("kind")) or "a").replace("_", " ")
    channel = _text(entry.get("channel")) or "a notification channel"
    return f"the {kind} notice could not be sent to {channel}: {_text(entry.get('error')) or 'no reason given'}"


def _notice_action(entry: Entry) -> str:
    """A button pressed on a desktop notification."""
    said = {"restart": "asked for a restart", "logs": "asked for the log", "snooze": "paused notifications for an hour"}
    return f"notification button: {said.get(_text(entry.get('action')), 'pressed')}"


def _unknown_kind(entry: Entry) -> str:
    """A kind without a sentence (from a newer trayapp): its name and the one field that explains it."""
    words = (_text(entry.get("event")) or "event").replace("_", " ")
    for key in ("detail", "reason", "error", "text"):
        said = _text(entry.get(key))
        if said:
            return f"{words}: {said}"
    return words


_SENTENCES: dict[str, Callable[[Entry], str]] = {
    "start": _start, "running": _running, "exit": _exit, "crash": _crash, "backoff": _backoff,
    "restart": _restart, "stop": _stop, "gave_up": _gave_up, "spawn_failed": _spawn_failed, "kill": _kill,
    "health": _health, "limit": _limit, "external": _external, "orphan": _orphan, "adopt": _adopt,
    "owner_command": _owner_command, "attach": _attach, "handoff": _handoff, "disk": _disk, "backup": _backup,
    "prune": _prune, "restore": _restore, "verify": _verify, "alert": _alert, "control_unavailable": _control_unavailable,
    "quit": _quit, "fault": _fault, "logs_refused": _logs_refused,
    "reload": _reload, "reload_failed": _reload_failed, "config_error": _config_error, "held": _held, "depends": _depends,
    "channel_failed": _channel_failed, "notice_action": _notice_action,
    "dashboard_unavailable": _dashboard_unavailable, "dashboard_rotated": _dashboard_rotated,
}
