"""Alert rules, evaluated: does a rule's condition hold, given journal entries and `now`? Pure.

A rule fires when its condition becomes true (and again only after it was false, or on a new
triggering event, and never more often than `repeat`). Memory/CPU samples from status snapshots
are fed in as "sample" entries. The rules themselves are read from config.toml by
trayapp.config.alerts; the engine that runs them and the actions live in trayapp.alerts.engine
and trayapp.alerts.actions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from trayapp.config.alerts import Condition, Count, DiskOver, Failing, Over, Rule, ShortRun
from trayapp.i18n import N_
from trayapp.message import Duration, Message, Size

SAMPLE_STALE = 120.0  # a memory/CPU rule needs a sample at least this fresh


@dataclass(frozen=True)
class Match:
    """A condition holds. `key` names the event that made it true, for event-like conditions.
    `detail` is a Message: English in the journal's JSON and the webhook, translated when shown."""

    detail: Message
    key: str | None = None


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
    if isinstance(condition, DiskOver):
        return _disk_over(mine)
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
    said = N_("{n} restarts in the last {window}") if c.what == "restarts" else N_("{n} crashes in the last {window}")
    return Match(Message(said, n=n, window=Duration(c.window)))


def _short_run(c: ShortRun, mine: list[Mapping[str, Any]]) -> Match | None:
    exits = [i for i, e in enumerate(mine) if e.get("event") == "exit"]
    if not exits or not _is_crash(mine[exits[-1]]):
        return None
    last = mine[exits[-1]]
    uptime = last.get("uptime")
    if not isinstance(uptime, (int, float)) or uptime >= c.under or not _after_restart(mine, exits[-1]):
        return None
    return Match(Message(N_("it ran only {uptime} after a restart ({exit})"), uptime=Duration(uptime),
                         exit=str(last.get("text", "exit"))),
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
    samples = [(entry_time(e), float(e[c.metric])) for e in mine
               if e.get("event") == "sample" and isinstance(e.get(c.metric), (int, float))]
    if not samples or now - samples[-1][0] > max(SAMPLE_STALE, c.duration / 2):
        return None
    start = None
    for t, value in reversed(samples):
        if value <= c.limit:
            break
        start = t
    if start is None or now - start < c.duration:
        return None
    value, took = samples[-1][1], Duration(now - start)
    if c.metric == "memory":
        return Match(Message(N_("memory at {value}, over {limit} for {took}"), value=Size(value),
                             limit=Size(c.limit), took=took))
    # the percent signs go in the values: "{value}% for" would look like a printf format to gettext tools
    return Match(Message(N_("CPU at {value}, over {limit} for {took}"), value=f"{value:.0f}%",
                         limit=f"{c.limit:.0f}%", took=took))


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
    # The probe's words as a Message when journaled as one: the notice says them in the user's
    # language, the webhook and TRAYAPP_ALERT_DETAIL get str() (English).
    detail: Message | str = Message.from_json(last.get("detail_message")) or str(last.get("detail") or "").strip()
    if detail:
        return Match(Message(N_("health check failing for {took}: {detail}"), took=Duration(since), detail=detail))
    return Match(Message(N_("health check failing for {took}"), took=Duration(since)))


def _gave_up(mine: list[Mapping[str, Any]]) -> Match | None:
    relevant = [e for e in mine if e.get("event") in ("gave_up", "start", "running")]
    if not relevant or relevant[-1].get("event") != "gave_up":
        return None
    last = relevant[-1]
    # The supervisor keeps its reason as a Message beside the English text: shown translated when there.
    reason: Message | str = Message.from_json(last.get("reason_message")) or str(last.get("reason") or "").strip()
    said = Message(N_("trayapp gave up restarting it: {reason}"), reason=reason) if reason else Message(
        N_("trayapp gave up restarting it"))
    return Match(said, key=str(last.get("ts") or entry_time(last)))


def _disk_over(mine: list[Mapping[str, Any]]) -> Match | None:
    """The supervisor journals a crossing once per episode: each such entry fires once (its key)."""
    crossings = [e for e in mine if e.get("event") == "limit" and e.get("kind") == "disk"]
    if not crossings:
        return None
    last = crossings[-1]
    return Match(Message(N_("its data folders hold {size}, over their limit of {limit}"),
                         size=Size(int(last.get("value") or 0)), limit=Size(int(last.get("limit") or 0))),
                 key=str(last.get("ts") or entry_time(last)))


def longest_window(rules: Sequence[Rule]) -> float:
    """How much history evaluation needs: the longest window or duration of any rule."""
    return max([3600.0, *(_span(r.condition) for r in rules)])


def _span(condition: Condition) -> float:
    if isinstance(condition, Count):
        return condition.window
    if isinstance(condition, ShortRun):
        return condition.under
    if isinstance(condition, (Over, Failing)):
        return condition.duration
    return 0.0
