"""Journal entries -> notification text: plain, short and specific. Pure functions.

Titles say what happened to which program ("nanobot crashed (exit 1) — restarting in 4s"); bodies
add the one detail that helps (the crash report's exception line and fix, the reason, the numbers). Every title stays
under 64 characters for typical names so Windows (63) shows it whole; backends cut further if
they must (note.fit).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, ParamSpec

from trayapp.i18n import _, english, ngettext
from trayapp.triage.excerpt import clean, is_error_line
from trayapp.message import words
from trayapp.status import CrashReport, ExitInfo, reason_of
from trayapp.units import format_size, format_wait

_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Message:
    """A notice in the user's language. `english`: the same notice in English, for trayapp's log
    (log files stay English whatever the language); None where it was only ever made in one."""

    title: str
    body: str
    english: Message | None = field(default=None, compare=False, repr=False)

    @property
    def logged(self) -> Message:
        """The words trayapp's log gets."""
        return self.english or self


_P = ParamSpec("_P")


def _with_english(build: Callable[_P, Message]) -> Callable[_P, Message]:
    """A notice builder whose notice also carries its English twin: built again under english()."""
    @functools.wraps(build)
    def both(*args: _P.args, **kwargs: _P.kwargs) -> Message:
        with english():
            twin = build(*args, **kwargs)
        return replace(build(*args, **kwargs), english=twin)
    return both


def one_line(text: Any, limit: int = 200) -> str:
    """`text` as a single plain line: no colour codes, control characters or secrets, spaces collapsed,
    at most `limit` chars."""
    line = _SPACES.sub(" ", " ".join(clean(part) for part in str(text or "").splitlines())).strip()
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def _join(*parts: str) -> str:
    return "\n".join(p for p in parts if p)


def _exit_text(entry: Mapping[str, Any]) -> str:
    """How it ended, in the user's language: the journal's `text` is English (its JSON is
    language-neutral), so it is said from the code or signal, and used as it is only without them."""
    code, signal = entry.get("code"), entry.get("signal")
    if isinstance(signal, int) and not isinstance(signal, bool):
        return ExitInfo(None, signal).said()
    if isinstance(code, int) and not isinstance(code, bool):
        return ExitInfo(code, None).said()
    if entry.get("text"):
        return one_line(entry["text"], 40)
    return _("exit {code}").format(code="?")


def _why(exit_entry: Mapping[str, Any] | None, report: Mapping[str, Any] | None) -> str:
    """The crash report's exception line and fix; without a report, the last stderr line only when it
    reads as an error (nanobot's last stderr line is often an INFO line)."""
    if report:
        return one_line(CrashReport.from_dict(report).notice(), 300)
    line = one_line((exit_entry or {}).get("last_stderr"))
    return _("Last error: {line}").format(line=line) if line and is_error_line(line) else ""


def _delay(seconds: float) -> str:
    return format_wait(seconds)


@_with_english
def crash(name: str, exit_entry: Mapping[str, Any], *, delay: float | None = None,
          count: int = 1, span: float = 0.0, meaning: str = "",
          report: Mapping[str, Any] | None = None) -> Message:
    """A crash. The first in a while names the restart delay; later ones say how often it happened.
    `report`: the `crash` journal entry (CrashReport.to_dict()) for this exit, when there is one."""
    how = _exit_text(exit_entry)
    # A clean exit that was not asked for is news too, but "crashed" would be wrong.
    clean_exit = exit_entry.get("code") == 0 and exit_entry.get("signal") is None
    if count <= 1:
        title = (_("{name} exited ({exit})") if clean_exit else _("{name} crashed ({exit})")).format(
            name=name, exit=how)
        if delay is not None:
            title += _(" — restarting in {wait}").format(wait=_delay(delay))
        return Message(title, _join(_why(exit_entry, report), _meaning(meaning)))
    title = _("{name} keeps crashing ({exit})").format(name=name, exit=how)
    tally = ngettext("{n} crash in {span}; trayapp keeps restarting it.",
                     "{n} crashes in {span}; trayapp keeps restarting it.", count).format(n=count, span=_delay(span))
    return Message(title, _join(_why(exit_entry, report), _meaning(meaning), tally))


def _meaning(meaning: str) -> str:
    """What the preset says the exit code means (N_-marked there): in the user's language."""
    return one_line(_(meaning)) if meaning else ""


@_with_english
def spawn_failed(name: str, entry: Mapping[str, Any], *, count: int = 1) -> Message:
    body = one_line(_said(entry, "error")) or _("The program could not be started.")
    tally = ngettext("{n} failed start; trayapp keeps trying.", "{n} failed starts; trayapp keeps trying.",
                     count).format(n=count) if count > 1 else ""
    return Message(_("{name} could not start").format(name=name), _join(body, tally))


@_with_english
def gave_up(name: str, entry: Mapping[str, Any], last_exit: Mapping[str, Any] | None,
            report: Mapping[str, Any] | None = None) -> Message:
    reason = _sentence(_said(entry, "reason")) or _("It kept crashing.")
    retry = entry.get("retry_in")
    again = (_("trayapp tries again in {wait}.").format(wait=_delay(retry))
             if isinstance(retry, (int, float)) and retry > 0 else "")
    hint = _("Start it from the tray menu or with `trayapp start`.")
    return Message(_("{name} is down — gave up restarting").format(
        name=name), _join(reason, _why(last_exit, report), again, hint))


def _said(entry: Mapping[str, Any], key: str) -> str:
    """A journal field in the user's language when the journal kept it as a Message."""
    return words(reason_of(entry, key))


def _sentence(text: Any) -> str:
    line = one_line(text)
    if not line:
        return ""
    line = line[0].upper() + line[1:]
    return line if line.endswith((".", "!", "?", "。", "！", "？")) else line + _(".")


@_with_english
def recovered(name: str, crashes: int) -> Message:
    if crashes:
        body = ngettext("It came back up after {n} crash.", "It came back up after {n} crashes.", crashes).format(
            n=crashes)
    else:
        body = _("It came back up after the trouble.")
    return Message(_("{name} is running again").format(name=name), body)


@_with_english
def health(name: str, entry: Mapping[str, Any], *, failing: bool) -> Message:
    detail = one_line(_said(entry, "detail"))
    if failing:
        return Message(_("{name} is not responding").format(name=name), detail or _("Its health check is failing."))
    return Message(_("{name} is responding again").format(name=name), detail or _("Its health check passes again."))


@_with_english
def degraded(name: str, entry: Mapping[str, Any]) -> Message:
    """Running, but it cannot answer: the reason and what to do, once per episode."""
    reason = _sentence(_said(entry, "detail")) or _("It runs, but cannot answer messages.")
    fix = one_line(_said(entry, "fix"))
    return Message(_("{name} cannot answer").format(name=name), _join(reason, _("Fix: {fix}").format(
        fix=fix) if fix else ""))


@_with_english
def answering(name: str) -> Message:
    return Message(_("{name} can answer again").format(name=name), _("What kept it from answering is gone."))


@_with_english
def limit(name: str, entry: Mapping[str, Any]) -> Message:
    kind = entry.get("kind", "memory")
    value, cap = entry.get("value"), entry.get("limit")
    if kind == "disk":
        return Message(_("{name}'s data folders are too big").format(name=name),
                       _("They hold {size} (limit {limit}). Nothing was deleted: free some space "
                         "in them or raise limits.disk.").format(size=_size(value), limit=_size(cap)))
    restarted = entry.get("action", "restart") == "restart"
    if kind == "memory":
        title = _("{name} used too much memory").format(name=name)
        body = (_("It used {used} of memory (limit {limit}); trayapp restarted it.") if restarted else
                _("It used {used} of memory (limit {limit}); it is still running."))
        return Message(title, body.format(used=_size(value), limit=_size(cap)))
    title = _("{name} used too much CPU").format(name=name)
    body = (_("It used {used} CPU (limit {limit}); trayapp restarted it.") if restarted else
            _("It used {used} CPU (limit {limit}); it is still running."))
    return Message(title, body.format(used=_percent(value), limit=_percent(cap)))


def _size(value: Any) -> str:
    """Bytes as "1.2GB"; the supervisor may already have formatted it."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return format_size(value)
    return one_line(value, 20) or "?"


def _percent(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:.0f}%"
    return one_line(value, 20) or "?"


@_with_english
def disk(entry: Mapping[str, Any]) -> Message:
    level, path = entry.get("level"), one_line(entry.get("path"), 120)
    space = _("{free} free of {total} on {path}.").format(free=_size(entry.get("free")),
                                                          total=_size(entry.get("total")), path=path)
    if level == "critical":
        return Message(_("Disk almost full"), _join(space, _("trayapp paused writing logs and refuses backups "
                                                             "until space is freed.")))
    if level == "warn":
        return Message(_("Disk space is low"), _join(space, _("Free some space to keep logs and backups working.")))
    return Message(_("Disk space is back"), _join(space, _("Logs and backups work normally again.")))


@_with_english
def backup(entry: Mapping[str, Any]) -> Message:
    if entry.get("ok"):
        where = one_line(entry.get("path"), 160)
        return Message(_("Backup finished"), _("{size} saved to {path}.").format(
            size=_size(entry.get("size")), path=where))
    error = reason_of(entry, "error")
    return Message(_("Backup failed"), one_line(words(error)) or _("See `trayapp history` for details."))


@_with_english
def external(name: str, entry: Mapping[str, Any]) -> Message:
    owner = one_line(entry.get("owner") or (f"pid {entry['pid']}" if entry.get("pid") else ""), 80)
    outside = (_("It was started outside trayapp ({owner}); trayapp watches it and will not start a second copy.")
               if owner else _("It was started outside trayapp; trayapp watches it and will not start a second copy."))
    body = _sentence(words(reason_of(entry, "detail"))) or outside.format(owner=owner)
    return Message(_("{name} is already running").format(name=name), body)
