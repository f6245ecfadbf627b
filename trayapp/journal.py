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
from trayapp.i18n import N_, _, ngettext
from trayapp.message import Message
from trayapp.status import ExitInfo, cannot_answer, reason_of
from trayapp.triage.excerpt import clean, is_error_line
from trayapp.units import format_size, format_took, format_wait

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
        entry.update(_plain(fields))
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


def _plain(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A Message field is kept twice: in English under its own key (scripts and alert rules read
    it), and as Message JSON under "<key>_message", so `history` can say it in the user's language."""
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if isinstance(value, Message):
            out[key], out[f"{key}_message"] = str(value), value.to_json()
        else:
            out[key] = value
    return out


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
    try:
        text = _said(entry, "message") or _SENTENCES.get(kind, _unknown_kind)(entry)
    except Exception:  # a damaged entry must not break `history`: say what kind it was
        text = _unknown_kind(entry)
    key = _text(entry.get("program"))
    if not key:
        return text
    return _("{program}: {what}").format(program=program_label(key, (names or {}).get(key, "")), what=text)


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


def _said(entry: Entry, key: str) -> str:
    """A field in the user's language when it was recorded as a Message ("<key>_message"); else its
    English text (an older journal, or words from outside)."""
    reason = reason_of(entry, key)
    return _text(reason.words() if isinstance(reason, Message) else reason)


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _pid(entry: Entry) -> str:
    pid = _int(entry.get("pid"))
    return _(" (pid {pid})").format(pid=pid) if pid else ""


def _start(entry: Entry) -> str:
    return _("started") + _pid(entry)


def _running(entry: Entry) -> str:
    text = _("up and running again after a crash") if entry.get("after_crash") is True else _("up and running")
    return text + _pid(entry)


def _exit(entry: Entry) -> str:
    code, signal = _int(entry.get("code")), _int(entry.get("signal"))
    expected = entry.get("expected") is True
    if code is None and signal is None:  # attach mode: the owner's words
        text = _said(entry, "text") or (_("stopped") if expected else _("went down"))
    else:
        verb = _("stopped ({exit})") if expected else (_("exited ({exit})") if code == 0 else _("crashed ({exit})"))
        text = verb.format(exit=ExitInfo(code, signal).said())
    uptime = _num(entry.get("uptime"))
    if uptime is not None:
        text += _(" within a second") if uptime < 1 else _(" after {took}").format(took=format_took(uptime))
    said = _text(entry.get("last_stderr"))
    if not expected and said and is_error_line(said):  # an INFO line is not "the last error"
        text += _(" — last error: {line}").format(line=said)
    return text


def _lower_first(text: str) -> str:
    return f"{text[:1].lower()}{text[1:]}"


def _crash(entry: Entry) -> str:
    code, signal = _int(entry.get("code")), _int(entry.get("signal"))
    # "exit" is English (the journal's JSON); said again from the numbers where it has them
    how = ExitInfo(code, signal).said() if code is not None or signal is not None else _text(entry.get("exit"))
    text = _("crash report ({exit})").format(exit=how) if how else _("crash report")
    headline = _said(entry, "headline")
    if headline:
        text += _(": {detail}").format(detail=headline)
    fix = _said(entry, "fix")
    if fix and entry.get("known") is True:
        text += _(" — fix: {fix}").format(fix=_lower_first(fix))
    return text


def _backoff(entry: Entry) -> str:
    delay = _num(entry.get("delay"))
    text = _("restarting in {wait}").format(wait=format_wait(delay)) if delay is not None else _("restarting soon")
    failures = _int(entry.get("failures"))
    if failures and failures > 1:
        text += _(" ({n} failed starts in a row)").format(n=failures)
    reason = _said(entry, "reason")
    return _("{reason}; {then}").format(reason=reason, then=text) if reason else text


_WHO = {"user": N_("you"), "quit": N_("trayapp quitting"), "health": N_("its failing health check"),
        "limit": N_("going over its limit"), "restart": N_("a restart"), "reload": N_("a config reload"),
        "dependency": N_("a program it depends on going down")}


def _by(entry: Entry, key: str) -> str:
    who = _text(entry.get(key))
    return _(_WHO[who]) if who in _WHO else who or "trayapp"


def _restart(entry: Entry) -> str:
    return _("restart asked for by {who}").format(who=_by(entry, "reason")) + _via(entry)


def _stop(entry: Entry) -> str:
    return _("stop asked for by {who}").format(who=_by(entry, "by")) + _via(entry)


def _via(entry: Entry) -> str:
    via = _text(entry.get("via"))
    return _(", through `{command}`").format(command=via) if via else ""


def _no_reason(entry: Entry, key: str = "error") -> str:
    return _said(entry, key) or _("no reason given")


def _says_gave_up(entry: Entry) -> bool:
    """Whether the reason is a whole sentence that says it gave up: the entry says so; an entry from
    before it did (English only) is read by its words."""
    said = entry.get("says_gave_up")
    if isinstance(said, bool):
        return said
    return _text(entry.get("reason")).startswith("gave up")


def _gave_up(entry: Entry) -> str:
    reason = _said(entry, "reason")
    if not reason:
        text = _("gave up restarting it: it kept crashing")
    else:
        text = reason if _says_gave_up(entry) else _("gave up restarting it: {reason}").format(reason=reason)
    retry = _num(entry.get("retry_in"))
    return text + (_("; trying again in {wait}").format(wait=format_wait(retry)) if retry else "")


def _spawn_failed(entry: Entry) -> str:
    return _("could not start: {error}").format(error=_no_reason(entry))


def _kill(entry: Entry) -> str:
    reason = _said(entry, "reason")
    text = _("killed the whole process tree") + _pid(entry)
    return text + (_(": it {reason}").format(reason=reason) if reason else "")


_HEALTH = {"healthy": N_("health check passes"), "unhealthy": N_("health check failing"),
           "degraded": N_("running but cannot answer"), "unknown": N_("health not known yet"),
           "none": N_("can answer again")}


def _health(entry: Entry) -> str:
    status = _text(entry.get("status"))
    if status in _HEALTH:
        text = _(_HEALTH[status])
    else:
        text = _("health {status}").format(status=status) if status else _("health changed")
    detail = _said(entry, "detail")
    if status == "degraded":  # "running but cannot answer" says the "NAME is running but" already
        detail = _text(cannot_answer(reason_of(entry, "detail"), ""))
    return _("{what}: {detail}").format(what=text, detail=detail) if detail else text


def _limit(entry: Entry) -> str:
    kind = _text(entry.get("kind")) or "memory"
    value, cap = entry.get("value"), entry.get("limit")
    if kind == "disk":
        return _("its data folders hold {size}, over their limit of {limit}; nothing was deleted, free some "
                 "space in them or raise limits.disk").format(size=_size(value), limit=_size(cap))
    if kind == "memory":
        used = _("used {used} of memory, over its limit of {limit}").format(used=_size(value), limit=_size(cap))
    else:
        used = _("used {used} {resource}, over its limit of {limit}").format(
            used=_percent(value), resource=kind.upper() if kind == "cpu" else kind, limit=_percent(cap))
    action = _text(entry.get("action"))
    return used + (_("; restarting it") if action == "restart" else _("; left running") if action else "")


def _size(value: Any) -> str:
    number = _num(value)
    return format_size(number) if number is not None else (_text(value, 20) or "?")


def _percent(value: Any) -> str:
    number = _num(value)
    return f"{number:.0f}%" if number is not None else (_text(value, 20) or "?")


def _external(entry: Entry) -> str:
    owner = _text(entry.get("owner"))
    if _said(entry, "detail"):
        return _said(entry, "detail")
    return (_("already running outside trayapp ({owner})").format(owner=owner) if owner
            else _("already running outside trayapp"))


_ORPHAN = {"gone": N_("already gone"), "stopped": N_("stopped"), "left alone": N_("left alone"),
           "adopted": N_("taken over"), "could not stop": N_("could not stop it")}


def _orphan(entry: Entry) -> str:
    action = _text(entry.get("action"))
    action = _(_ORPHAN[action]) if action in _ORPHAN else action or _("looked at")
    return _("leftover{pid} from an earlier trayapp: {action}").format(pid=_pid(entry), action=action)


def _adopt(entry: Entry) -> str:
    return _("took over the copy an earlier trayapp left running{pid}").format(pid=_pid(entry))


_THROUGH_OWNER = {"start": N_("could not start it through its owner: {error}"),
                  "stop": N_("could not stop it through its owner: {error}"),
                  "restart": N_("could not restart it through its owner: {error}")}


def _owner_command(entry: Entry) -> str:
    # An action this version does not know (or none, in a damaged line) is not a word to show as is.
    said = _THROUGH_OWNER.get(_text(entry.get("action")), N_("could not control it through its owner: {error}"))
    return _(said).format(error=_no_reason(entry))


def _attach(entry: Entry) -> str:
    owner = _text(entry.get("owner"))
    text = _("watching it under {owner}").format(owner=owner) if owner else _("watching it")
    return text + _pid(entry)


def _handoff(entry: Entry) -> str:
    keeper = _int(entry.get("keeper"))
    if keeper:
        return _("left running; its output goes on to its log through a log keeper (pid {pid})").format(pid=keeper)
    return _("left running; its output could not be handed to a log keeper and is no longer captured")


_DISK = {"critical": N_("disk almost full"), "warn": N_("disk space low"), "ok": N_("disk space back to normal")}


def _disk(entry: Entry) -> str:
    level, path = _text(entry.get("level")), _text(entry.get("path"))
    what = _(_DISK[level]) if level in _DISK else _("disk space changed")
    free, total = _size(entry.get("free")), _size(entry.get("total"))
    if path:
        return _("{what} on {path}: {free} free of {total}").format(what=what, path=path, free=free, total=total)
    return _("{what}: {free} free of {total}").format(what=what, free=free, total=total)


def _backup(entry: Entry) -> str:
    if entry.get("ok") is not True:
        return _failed(_("backup failed"), entry)
    parts = [_size(entry.get("size"))]
    files, databases = _int(entry.get("files")), _int(entry.get("databases"))
    if files:
        parts.append(ngettext("{n} file", "{n} files", files).format(n=files))
    if databases:
        parts.append(ngettext("{n} database", "{n} databases", databases).format(n=databases))
    if entry.get("verified") is True:
        parts.append(_("verified"))
    where = _text(entry.get("path")) or _("the backup folder")
    text = _("backup saved to {path} ({details})").format(path=where, details=_(", ").join(parts))
    took = _num(entry.get("duration"))
    return text + (_(" in {took}").format(took=format_took(took)) if took is not None else "")


def _failed(what: str, entry: Entry) -> str:
    text = _("{what}: {error}").format(what=what, error=_no_reason(entry))
    fix = _said(entry, "fix")
    return text + (_(" — fix: {fix}").format(fix=_lower_first(fix)) if fix else "")


def _prune(entry: Entry) -> str:
    if entry.get("ok") is not True:
        return _failed(_("removing old backups failed"), entry)
    deleted = entry.get("deleted")
    gone = len(deleted) if isinstance(deleted, list) else 0
    kept = _int(entry.get("kept")) or 0
    if not gone:
        return ngettext("no old backups to remove ({n} backup kept)", "no old backups to remove ({n} backups kept)",
                        kept).format(n=kept)
    return ngettext("removed {n} old backup, freeing {size} ({kept} kept)",
                    "removed {n} old backups, freeing {size} ({kept} kept)", gone).format(
        n=gone, size=_size(entry.get("freed")), kept=kept)


def _verify(entry: Entry) -> str:
    archive = Path(_text(entry.get("archive"))).name or _("a backup")
    if entry.get("ok") is not True:
        problem = _first_problem(entry)
        if problem:
            return _("backup {archive} failed verification: {problem}").format(archive=archive, problem=problem)
        return _("backup {archive} failed verification").format(archive=archive)
    files, databases = _int(entry.get("files")) or 0, _int(entry.get("databases")) or 0
    return _("backup {archive} verified: {files} and {databases} intact").format(
        archive=archive, files=ngettext("{n} file", "{n} files", files).format(n=files),
        databases=ngettext("{n} database", "{n} databases", databases).format(n=databases))


def _restore(entry: Entry) -> str:
    archive = _text(entry.get("archive")) or _("a backup")
    if entry.get("ok") is not True:
        return _failed(_("restore from {archive} failed").format(archive=archive), entry)
    restored = entry.get("restored")
    text = _("restored {archive}").format(archive=archive)
    if isinstance(restored, list) and restored:
        text += ngettext(" ({n} item)", " ({n} items)", len(restored)).format(n=len(restored))
    took = _num(entry.get("duration"))
    text += _(" in {took}").format(took=format_took(took)) if took is not None else ""
    to = _text(entry.get("to"))
    text += _(" into {path}").format(path=to) if to else ""
    healthy = entry.get("healthy")
    return text + (_("; healthy again") if healthy is True else _("; not healthy afterwards") if healthy is False else "")


def _alert(entry: Entry) -> str:
    rule = _text(entry.get("rule")) or _("an alert")
    detail = _said(entry, "detail")
    text = _("alert “{rule}”: {detail}").format(rule=rule, detail=detail) if detail else _(
        "alert “{rule}” fired").format(rule=rule)
    if entry.get("ok") is False:
        text += _(" (its {action} failed: {error})").format(action=_text(entry.get("action")) or _("action"),
                                                            error=_no_reason(entry))
    return text


def _control_unavailable(entry: Entry) -> str:
    error = _text(entry.get("error")) or _("unknown error")
    return _("`trayapp status` and friends cannot reach this instance: {error}").format(error=error)


def _dashboard_unavailable(entry: Entry) -> str:
    """The dashboard could not start (port in use, no loopback); everything else runs on."""
    port = entry.get("port")
    error = _no_reason(entry)
    if isinstance(port, int) and port:
        text = _("the dashboard could not start on port {port}: {error}; everything else runs on without it")
    else:
        text = _("the dashboard could not start: {error}; everything else runs on without it")
    fix = _text(entry.get("fix"))
    return text.format(port=port, error=error) + (_(". Fix: {fix}").format(fix=fix) if fix else "")


def _dashboard_rotated(entry: Entry) -> str:
    return _("the dashboard's key was replaced: every browser was signed out")


def _quit(entry: Entry) -> str:
    if entry.get("stop_programs") is False:
        return _("trayapp quit and left the programs running")
    return _("trayapp quit and stopped the programs")


def _fault(entry: Entry) -> str:
    """trayapp's own bug while handling a program; the entry's message says which step (it wins above)."""
    step = _text(entry.get("during"))
    if step:
        return _("trayapp hit an internal error while {step}; supervision goes on").format(step=step)
    return _("trayapp hit an internal error; supervision goes on")


def _logs_refused(entry: Entry) -> str:
    folder = _text(entry.get("folder")) or _text(entry.get("path"))
    if folder:
        return _("the log folder {folder} was refused; output is kept in memory only").format(folder=folder)
    return _("the log folder was refused; output is kept in memory only")


def _reload(entry: Entry) -> str:
    """A config reload that applied; `changes` says what it did (config/diff.py), in the reader's
    language when it was kept as a Message."""
    changes = _said(entry, "changes") or _("nothing changed")
    return _("the configuration was reloaded: {changes}").format(changes=changes)


def _first_problem(entry: Entry) -> str:
    """The first of `problems` (else `error`), in the user's language when it was kept as a Message."""
    said, problems = entry.get("problems_message"), entry.get("problems")
    first = Message.from_json(said[0]) if isinstance(said, list) and said else None
    if first is not None:
        return _text(first.words())
    return _text(problems[0]) if isinstance(problems, list) and problems else _said(entry, "error")


def _reload_failed(entry: Entry) -> str:
    first = _first_problem(entry)
    text = _("the new configuration was not used (the old one keeps running)")
    return text + (_(": {detail}").format(detail=first) if first else "")


def _config_error(entry: Entry) -> str:
    """trayapp started on a config.toml it could not read: it runs, supervising nothing, until fixed."""
    first = _first_problem(entry)
    text = _("config.toml has a problem, so nothing is supervised until it is fixed")
    return text + (_(": {detail}").format(detail=first) if first else "")


def _held(entry: Entry) -> str:
    reason = _said(entry, "reason") or _("a program it depends on is not ready")
    return _("put on hold: {reason}").format(reason=reason)


def _depends(entry: Entry) -> str:
    dep = _text(entry.get("dependency"))
    if not dep:
        return _("stopped because a program it depends on went down or restarted; it starts again once that "
                 "program is ready")
    return _("stopped because {dependency} went down or restarted; it starts again once {dependency} is "
             "ready").format(dependency=dep)


def _channel_failed(entry: Entry) -> str:
    """A notice that did not reach an e-mail/chat channel; the channel is stored redacted."""
    kind = _text(entry.get("kind"))
    channel = _text(entry.get("channel")) or _("a notification channel")
    error = _no_reason(entry)
    if kind in _NOTICE_KINDS:
        return _("the “{kind}” notice could not be sent to {channel}: {error}").format(
            kind=_(_NOTICE_KINDS[kind]), channel=channel, error=error)
    return _("a notice could not be sent to {channel}: {error}").format(channel=channel, error=error)


# The notices channels carry (config/alerts.py CHANNEL_KINDS), as their names read in a sentence.
_NOTICE_KINDS = {"crash": N_("crash"), "spawn_failed": N_("could not start"), "gave_up": N_("gave up"),
                 "recovered": N_("running again"), "health_failing": N_("health check failing"),
                 "degraded": N_("cannot answer"), "health_ok": N_("healthy again"), "limit": N_("over its limit"),
                 "external": N_("already running"), "disk": N_("low disk space"), "disk_ok": N_("disk space ok"),
                 "backup": N_("backup finished"), "backup_failed": N_("backup failed"), "alert": N_("alert")}


_BUTTONS = {"restart": N_("asked for a restart"), "logs": N_("asked for the log"),
            "snooze": N_("paused notifications for an hour")}


def _notice_action(entry: Entry) -> str:
    """A button pressed on a desktop notification."""
    action = _text(entry.get("action"))
    said = _(_BUTTONS[action]) if action in _BUTTONS else _("pressed")
    return _("notification button: {what}").format(what=said)


def _unknown_kind(entry: Entry) -> str:
    """A kind without a sentence (from a newer trayapp): its name and the one field that explains it."""
    words = (_text(entry.get("event")) or "event").replace("_", " ")
    for key in ("detail", "reason", "error", "text"):
        said = _said(entry, key)
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
