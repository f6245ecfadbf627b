"""Alert rules from config ([[alerts]] tables): parsing with key paths, and pure evaluation.

    [[alerts]]
    name = "crash loop"               # optional; defaults to the `when` text
    when = "restarts > 3 in 1h"       # see FORMS
    program = "assistant"             # optional; default: every program
    action = "notify"                 # notify | command | webhook (default: notify)
    command = ["notify-me", "--urgent"]   # for action = "command": argv, never a shell
    url = "https://example.org/hook"  # for action = "webhook": POST JSON
    timeout = "10s"                   # for command and webhook
    repeat = "1h"                     # fire again for the same program no sooner than this

A rule fires when its condition becomes true (and again only after it was false, or on a new
triggering event, and never more often than `repeat`). Evaluation is a pure function of journal
entries and `now`; memory/CPU samples from status snapshots are fed in as "sample" entries.
The engine that runs it and the actions live in trayapp.alerts.engine and trayapp.alerts.actions.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from trayapp.config import expand
from trayapp.errors import ConfigError
from trayapp.units import format_duration, format_size, parse_duration, parse_size

FORMS = ('"restarts > 3 in 1h"', '"crashes >= 5 in 10m"', '"uptime < 5m after restart"',
         '"memory > 1GB for 10m"', '"cpu > 90% for 5m"', '"health failing for 2m"', '"gave up"')
ACTIONS = ("notify", "command", "webhook")
KEYS = ("name", "when", "program", "action", "command", "url", "timeout", "repeat")
SAMPLE_STALE = 120.0  # a memory/CPU rule needs a sample at least this fresh


# -- conditions ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Count:
    """`restarts > 3 in 1h`: how many restarts (or crashes) fell within the window."""

    what: str  # restarts | crashes
    at_least: int  # "> 3" is stored as at_least 4
    window: float


@dataclass(frozen=True)
class ShortRun:
    """`uptime < 5m after restart`: a run that followed an automatic restart ended this soon."""

    under: float


@dataclass(frozen=True)
class Over:
    """`memory > 1GB for 10m`: every sample over the limit for this long."""

    metric: str  # memory | cpu
    limit: float
    duration: float


@dataclass(frozen=True)
class Failing:
    """`health failing for 2m`."""

    duration: float


@dataclass(frozen=True)
class GaveUp:
    """`gave up`: trayapp stopped restarting the program."""


Condition = Count | ShortRun | Over | Failing | GaveUp


@dataclass(frozen=True)
class Rule:
    name: str
    when: str
    condition: Condition
    program: str | None = None
    action: str = "notify"
    command: tuple[str, ...] = ()
    url: str = ""
    timeout: float = 10.0
    repeat: float = 3600.0


@dataclass(frozen=True)
class Match:
    """A condition holds. `key` names the event that made it true, for event-like conditions."""

    detail: str
    key: str | None = None


# -- parsing -------------------------------------------------------------------------------

_COUNT = re.compile(r"(restarts|crashes)\s*(>=|>)\s*(\d+)\s+in\s+(.+)")
_SHORT = re.compile(r"uptime\s*<\s*(.+?)\s+after\s+(?:a\s+)?restarts?")
_MEMORY = re.compile(r"(?:memory|mem|rss)\s*>\s*(.+?)\s+for\s+(.+)")
_CPU = re.compile(r"cpu\s*>\s*(\d+(?:\.\d+)?)\s*%?\s+for\s+(.+)")
_FAILING = re.compile(r"health\s+(?:failing|unhealthy|fails)\s+for\s+(.+)")
_GAVE_UP = re.compile(r"gave[\s_-]?up|given[\s_-]?up")


def parse_condition(text: str) -> Condition:
    """`when` text -> Condition. Raises ValueError naming the accepted forms."""
    t = " ".join(str(text).lower().split())
    try:
        if m := _COUNT.fullmatch(t):
            n = int(m.group(3))
            return Count(m.group(1), n + 1 if m.group(2) == ">" else max(1, n), parse_duration(m.group(4)))
        if m := _SHORT.fullmatch(t):
            return ShortRun(parse_duration(m.group(1)))
        if m := _MEMORY.fullmatch(t):
            return Over("memory", float(parse_size(m.group(1).replace(" ", ""))), parse_duration(m.group(2)))
        if m := _CPU.fullmatch(t):
            return Over("cpu", float(m.group(1)), parse_duration(m.group(2)))
        if m := _FAILING.fullmatch(t):
            return Failing(parse_duration(m.group(1)))
        if _GAVE_UP.fullmatch(t):
            return GaveUp()
    except ValueError as exc:
        raise ValueError(f"{text!r}: {exc}") from exc
    raise ValueError(f"cannot read {text!r}; write one of: {', '.join(FORMS)}")


def parse_rules(tables: Sequence[Mapping[str, Any]], *, programs: Sequence[str] | None = None,
                environ: Mapping[str, str] | None = None) -> tuple[Rule, ...]:
    """Every [[alerts]] table -> Rule. Raises ConfigError listing all problems with key paths."""
    found, problems = _parse_all(tables, programs, environ or {})
    if problems:
        raise ConfigError(f"the [[alerts]] rules have {len(problems)} problem{'s' if len(problems) > 1 else ''}:",
                          problems=problems, fix="edit the [[alerts]] tables in config.toml, "
                                                 "then run `trayapp config check`")
    return found


def rule_problems(tables: Sequence[Mapping[str, Any]], *, programs: Sequence[str] | None = None,
                  environ: Mapping[str, str] | None = None) -> list[str]:
    """The problems `parse_rules` would report, as "alerts[0].when: ..." lines (for config check)."""
    return _parse_all(tables, programs, environ or {})[1]


def _parse_all(tables: Sequence[Mapping[str, Any]], programs: Sequence[str] | None,
               environ: Mapping[str, str]) -> tuple[tuple[Rule, ...], list[str]]:
    rules: list[Rule] = []
    problems: list[str] = []
    for index, table in enumerate(tables):
        rule = _parse_rule(f"alerts[{index}]", table, programs, environ, problems)
        if rule is not None:
            rules.append(rule)
    return tuple(rules), problems


def _parse_rule(path: str, table: Mapping[str, Any], programs: Sequence[str] | None,
                environ: Mapping[str, str], problems: list[str]) -> Rule | None:
    if not isinstance(table, Mapping):
        problems.append(f"{path}: expected a table like [[alerts]] when = \"restarts > 3 in 1h\"")
        return None
    before = len(problems)
    _unknown_keys(path, table, problems)
    when = table.get("when")
    condition = _field(path, "when", problems, lambda: parse_condition(_text(when)) if when is not None
                       else _missing(f"missing; e.g. when = {FORMS[0]}"))
    action = _field(path, "action", problems, lambda: _choice(table.get("action", "notify"), ACTIONS))
    program = _field(path, "program", problems, lambda: _program(table.get("program"), programs))
    timeout = _field(path, "timeout", problems, lambda: parse_duration(table.get("timeout", 10.0)))
    repeat = _field(path, "repeat", problems, lambda: parse_duration(table.get("repeat", 3600.0)))
    command = _field(path, "command", problems, lambda: _argv(table.get("command"), action, environ))
    url = _field(path, "url", problems, lambda: _url(table.get("url"), action, environ))
    if len(problems) > before:
        return None
    name = str(table.get("name") or " ".join(str(when).split()))
    return Rule(name, str(when), condition, program, action, command, url, max(0.1, timeout), repeat)


def _field(path: str, key: str, problems: list[str], read: Any) -> Any:
    try:
        return read()
    except (ValueError, TypeError) as exc:
        problems.append(f"{path}.{key}: {exc}")
        return None


def _unknown_keys(path: str, table: Mapping[str, Any], problems: list[str]) -> None:
    for key in table:
        if key not in KEYS:
            hint = difflib.get_close_matches(key, KEYS, n=1)
            tail = f"; did you mean {hint[0]!r}?" if hint else f"; known keys: {', '.join(KEYS)}"
            problems.append(f"{path}.{key}: unknown key{tail}")


def _missing(message: str) -> Any:
    raise ValueError(message)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string such as {FORMS[0]}")
    return value


def _choice(value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        hint = difflib.get_close_matches(str(value), choices, n=1)
        extra = f"; did you mean {hint[0]!r}?" if hint else ""
        raise ValueError(f"must be one of {', '.join(choices)}, got {value!r}{extra}")
    return str(value)


def _program(value: Any, programs: Sequence[str] | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("expected a program name (a string)")
    if programs is not None and value not in programs:
        hint = difflib.get_close_matches(value, list(programs), n=1)
        extra = f"; did you mean {hint[0]!r}?" if hint else f"; programs: {', '.join(programs)}"
        raise ValueError(f"no program named {value!r}{extra}")
    return value


def _argv(value: Any, action: str | None, environ: Mapping[str, str]) -> tuple[str, ...]:
    if value is None:
        if action == "command":
            raise ValueError('missing; action = "command" needs command = ["program", "arg", ...]')
        return ()
    if isinstance(value, str):
        raise ValueError('expected a list of strings such as ["notify-me", "--urgent"], not one string '
                         "(trayapp never runs a shell)")
    if not isinstance(value, list) or not value or not all(isinstance(s, str) and s for s in value):
        raise ValueError('expected a non-empty list of strings such as ["notify-me", "--urgent"]')
    return tuple(expand(s, environ) for s in value)


def _url(value: Any, action: str | None, environ: Mapping[str, str]) -> str:
    if value is None:
        if action == "webhook":
            raise ValueError('missing; action = "webhook" needs url = "https://..."')
        return ""
    url = expand(_text_url(value), environ)
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"must start with http:// or https://, got {url!r}")
    return url


def _text_url(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError('expected a string such as "https://example.org/hook"')
    return value


# -- evaluation (pure) ---------------------------------------------------------------------

def entry_time(entry: Mapping[str, Any]) -> float:
    """Epoch seconds of an entry: its "t" if given, else its ISO "ts"; 0.0 when unreadable."""
    if isinstance(entry.get("t"), (int, float)):
        return float(entry["t"])
    try:
        return datetime.fromisoformat(str(entry.get("ts"))).timestamp()
    except ValueError:
        return 0.0


def evaluate(condition: Condition, entries: Sequence[Mapping[str, Any]], now: float,
             program: str) -> Match | None:
    """Does `condition` hold for `program` at `now`, given `entries` (oldest first)?"""
    mine = [e for e in entries if e.get("program") == program]
    if isinstance(condition, Count):
        return _count(condition, mine, now)
    if isinstance(condition, ShortRun):
        return _short_run(condition, mine)
    if isinstance(condition, Over):
        return _over(condition, mine, now)
    if isinstance(condition, Failing):
        return _failing(condition, mine, now)
    return _gave_up(mine)


def _is_restart(entry: Mapping[str, Any]) -> bool:
    """An automatic restart: a scheduled one after a crash, or one for health or a limit."""
    kind = entry.get("event")
    return kind == "backoff" or (kind == "restart" and entry.get("reason") not in ("user", "crash"))


def _is_crash(entry: Mapping[str, Any]) -> bool:
    return entry.get("event") == "exit" and not entry.get("expected")


def _count(c: Count, mine: list[Mapping[str, Any]], now: float) -> Match | None:
    test = _is_restart if c.what == "restarts" else _is_crash
    n = sum(1 for e in mine if test(e) and now - c.window < entry_time(e) <= now)
    if n < c.at_least:
        return None
    return Match(f"{n} {c.what} in the last {format_duration(c.window)}")


def _short_run(c: ShortRun, mine: list[Mapping[str, Any]]) -> Match | None:
    exits = [i for i, e in enumerate(mine) if e.get("event") == "exit"]
    if not exits or not _is_crash(mine[exits[-1]]):
        return None
    last = mine[exits[-1]]
    uptime = last.get("uptime")
    if not isinstance(uptime, (int, float)) or uptime >= c.under or not _after_restart(mine, exits[-1]):
        return None
    return Match(f"it ran only {format_duration(uptime)} after a restart ({last.get('text', 'exit')})",
                 key=str(last.get("ts") or entry_time(last)))


def _after_restart(mine: list[Mapping[str, Any]], exit_index: int) -> bool:
    """Was the run that ended at `exit_index` started by an automatic restart?"""
    starts = 0
    for e in reversed(mine[max(0, exit_index - 30):exit_index]):
        kind = e.get("event")
        if _is_restart(e) or kind == "gave_up":  # gave_up: the slow retry is automatic too
            return starts == 1
        if kind == "start":
            starts += 1
            if starts > 1:
                return False
        elif (kind == "stop" and e.get("by") in ("user", "quit")) or (_is_crash(e) and starts):
            return False
    return False


def _over(c: Over, mine: list[Mapping[str, Any]], now: float) -> Match | None:
    samples = [(entry_time(e), e.get(c.metric)) for e in mine if e.get("event") == "sample"]
    samples = [(t, v) for t, v in samples if isinstance(v, (int, float))]
    if not samples or now - samples[-1][0] > max(SAMPLE_STALE, c.duration / 2):
        return None
    start = None
    for t, value in reversed(samples):
        if value <= c.limit:
            break
        start = t
    if start is None or now - start < c.duration:
        return None
    value = samples[-1][1]
    shown = format_size(value) if c.metric == "memory" else f"{value:.0f}%"
    limit = format_size(c.limit) if c.metric == "memory" else f"{c.limit:.0f}%"
    return Match(f"{c.metric} at {shown}, over {limit} for {format_duration(now - start)}")


def _failing(c: Failing, mine: list[Mapping[str, Any]], now: float) -> Match | None:
    relevant = [e for e in mine if e.get("event") in ("health", "start", "exit", "stop")]
    if not relevant:
        return None
    last = relevant[-1]
    if last.get("event") != "health" or last.get("status") != "unhealthy":
        return None
    since = now - entry_time(last)
    if since < c.duration:
        return None
    detail = str(last.get("detail") or "").strip()
    return Match(f"health check failing for {format_duration(since)}" + (f": {detail}" if detail else ""))


def _gave_up(mine: list[Mapping[str, Any]]) -> Match | None:
    relevant = [e for e in mine if e.get("event") in ("gave_up", "start", "running")]
    if not relevant or relevant[-1].get("event") != "gave_up":
        return None
    last = relevant[-1]
    return Match(f"trayapp gave up restarting it: {last.get('reason', '')}".rstrip(": "),
                 key=str(last.get("ts") or entry_time(last)))


def longest_window(rules: Sequence[Rule]) -> float:
    """How much history evaluation needs: the longest window or duration of any rule."""
    spans = [getattr(r.condition, name, 0.0) for r in rules for name in ("window", "duration", "under")]
    return max([3600.0, *spans])
