"""When to notify: coalescing, rate limiting and pause, as a pure machine over journal entries.

Every notice belongs to a *slot* (one situation: "assistant/trouble", "assistant/health",
"disk:/home", "backup"). A slot shows at most one bubble; a newer notice for it replaces the
older one (the facade passes the backend's replaces_id). So a crash loop is one bubble that is
updated, not a stack of them. Rules:

- a notice waits `settle` seconds for companions (the supervisor journals `exit` and then `backoff`
  or `gave_up` in one go), and the latest wins;
- an open bubble is updated at most once per `update_interval` (the last update is kept, not lost);
- "restarting in 4s" is only said for the first crash in `quiet_after_crash`;
- "gave up" is always shown, at once, even while paused;
- "running again" is shown once, and only after a crash notice was shown;
- pause silences everything else until its end.

No clock is read here: every method takes `now` (monotonic seconds). Not thread-safe; the
facade calls it from its worker thread only.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from trayapp.notify import messages
from trayapp.notify.messages import Message
from trayapp.notify.note import Urgency


@dataclass(frozen=True)
class Settings:
    quiet_after_crash: float = 600.0  # a crash is "the first in a while" after this long without one
    settle: float = 0.3  # how long a new notice waits for the entries that complete it
    update_interval: float = 5.0  # the least time between two updates of one bubble
    repeat_after: float = 3600.0  # the same kind of news opens a new bubble after this long


@dataclass(frozen=True)
class Outgoing:
    """A notice to deliver. `fresh`: open a new bubble instead of replacing the slot's last one."""

    slot: str
    kind: str
    message: Message
    urgency: Urgency = Urgency.NORMAL
    fresh: bool = False
    program: str = ""  # whose situation it is; crash and gave-up notices get buttons for it
    channels: tuple[str, ...] = ()  # an alert rule's own channels; () means the configured ones


@dataclass
class _Pending:
    out: Outgoing
    send_at: float
    bypass_pause: bool


# Crash times within quiet_after_crash are kept as at most this many groups [first, last, count]:
# a loop of 100 crashes a second held 60,000 floats (2 MiB) and re-filtered them on every crash
# (issue 15). A group leaves once its last crash is `quiet` old, so "first in `quiet` seconds" is
# exact; the count and span may include crashes up to quiet/_GROUPS older than that.
_GROUPS = 64


@dataclass
class _Trouble:
    """One program's crash episode."""

    crashes: deque[list[float]] = field(default_factory=deque)  # [first, last, count] groups, oldest first
    shown: bool = False  # a crash / gave-up notice went out and no "running again" since
    last_exit: Mapping[str, Any] | None = None
    report: Mapping[str, Any] | None = None  # the crash report of last_exit, once it is journaled
    delay: float | None = None

    def crashed(self, now: float, quiet: float) -> bool:
        """Count a crash; True when it is the first in `quiet` seconds."""
        while self.crashes and now - self.crashes[0][1] >= quiet:
            self.crashes.popleft()
        newest = self.crashes[-1] if self.crashes else None
        if newest is not None and now - newest[0] < quiet / _GROUPS:
            newest[1], newest[2] = now, newest[2] + 1
        else:
            self.crashes.append([now, now, 1])
        return len(self.crashes) == 1 and self.crashes[0][2] == 1

    @property
    def count(self) -> int:
        return int(sum(group[2] for group in self.crashes))

    @property
    def first(self) -> float:
        return self.crashes[0][0]


class Policy:
    """Turns journal entries into Outgoing notices at the right time. See the module docstring."""

    def __init__(self, settings: Settings | None = None, *, names: Mapping[str, str] | None = None,
                 meanings: Mapping[str, Mapping[int, str]] | None = None) -> None:
        self.settings = settings or Settings()
        self.names: dict[str, str] = dict(names or {})
        self._meanings = dict(meanings or {})
        self._pending: dict[str, _Pending] = {}
        self._sent_at: dict[str, float] = {}
        self._trouble: dict[str, _Trouble] = {}
        self._open: set[str] = set()  # health / disk slots whose bad news is showing
        self.paused_until: float | None = None

    # -- pause ------------------------------------------------------------------------------

    def pause(self, until: float) -> None:
        self.paused_until = until

    def resume(self) -> None:
        self.paused_until = None

    def paused(self, now: float) -> bool:
        return self.paused_until is not None and now < self.paused_until

    # -- input ------------------------------------------------------------------------------

    def offer(self, entry: Mapping[str, Any], now: float) -> None:
        """Take one journal entry into account. Unknown kinds are ignored."""
        handler = _HANDLERS.get(str(entry.get("event", "")))
        if handler is not None:
            handler(self, entry, str(entry.get("program") or ""), now)

    def note(self, slot: str, kind: str, message: Message, now: float, *,
             urgency: Urgency = Urgency.NORMAL, bypass_pause: bool = False,
             channels: tuple[str, ...] = ()) -> bool:
        """A notice that does not come from the journal (alert rules, the tray). True if queued."""
        out = Outgoing(slot, kind, message, urgency, fresh=self._stale(slot, now), channels=channels)
        return self._queue(out, now, bypass_pause=bypass_pause)

    # -- output -----------------------------------------------------------------------------

    def due(self, now: float) -> list[Outgoing]:
        """The notices to deliver now, oldest first. Those silenced by a pause are dropped."""
        ready = sorted((p.send_at, slot) for slot, p in self._pending.items() if p.send_at <= now)
        out: list[Outgoing] = []
        for _, slot in ready:
            pending = self._pending.pop(slot)
            if self.paused(now) and not pending.bypass_pause:
                continue
            self._sent_at[slot] = now
            out.append(pending.out)
        return out

    def next_deadline(self) -> float | None:
        return min((p.send_at for p in self._pending.values()), default=None)

    def pending_slots(self) -> list[str]:
        return list(self._pending)

    # -- helpers ----------------------------------------------------------------------------

    def name(self, program: str) -> str:
        return self.names.get(program) or program or "trayapp"

    def _stale(self, slot: str, now: float) -> bool:
        last = self._sent_at.get(slot)
        return last is None or now - last >= self.settings.repeat_after

    def _queue(self, out: Outgoing, now: float, *, urgent: bool = False, bypass_pause: bool = False) -> bool:
        if self.paused(now) and not bypass_pause:
            return False
        s = self.settings
        pending = self._pending.get(out.slot)
        if pending is not None:  # coalesce: the latest text wins, the earliest send time stays
            pending.out = replace(out, fresh=pending.out.fresh or out.fresh)
            pending.bypass_pause = pending.bypass_pause or bypass_pause
            if urgent:
                pending.send_at = min(pending.send_at, now + s.settle)
            return True
        send_at = now + s.settle
        last = self._sent_at.get(out.slot)
        if last is not None and not urgent and not out.fresh:
            send_at = max(send_at, last + s.update_interval)
        self._pending[out.slot] = _Pending(out, send_at, bypass_pause)
        return True

    def _episode(self, program: str) -> _Trouble:
        return self._trouble.setdefault(program, _Trouble())

    def _crash_message(self, program: str, t: _Trouble, now: float) -> Message:
        assert t.last_exit is not None
        code = t.last_exit.get("code")
        meaning = self._meanings.get(program, {}).get(code, "") if isinstance(code, int) else ""
        return messages.crash(self.name(program), t.last_exit, delay=t.delay, count=t.count,
                              span=now - t.first, meaning=meaning, report=t.report)

    # -- one handler per journal kind --------------------------------------------------------

    def _on_exit(self, entry: Mapping[str, Any], program: str, now: float) -> None:
        if entry.get("expected"):
            return  # stopped on request: not news
        t = self._episode(program)
        first = t.crashed(now, self.settings.quiet_after_crash)
        t.last_exit, t.report, t.delay = entry, None, None
        out = Outgoing(f"{program}/trouble", "crash", self._crash_message(program, t, now), fresh=first,
                       program=program)
        if self._queue(out, now):
            t.shown = True

    def _on_backoff(self, entry: Mapping[str, Any], program: str, now: float) -> None:
        t = self._episode(program)
        pending = self._pending.get(f"{program}/trouble")
        delay = entry.get("delay")
        if t.last_exit is None or not isinstance(delay, (int, float)):
            return
        t.delay = float(delay)
        if pending is not None and pending.out.kind == "crash":  # complete the crash notice in waiting
            pending.out = replace(pending.out, message=self._crash_message(program, t, now))

    def _on_crash(self, entry: Mapping[str, Any], program: str, now: float) -> None:
        """The crash report follows its exit: complete the crash notice in waiting with its headline."""
        t = self._episode(program)
        if t.last_exit is None:
            return
        t.report = entry
        pending = self._pending.get(f"{program}/trouble")
        if pending is not None and pending.out.kind == "crash":
            pending.out = replace(pending.out, message=self._crash_message(program, t, now))

    def _on_spawn_failed(self, entry: Mapping[str, Any], program: str, now: float) -> None:
        t = self._episode(program)
        first = t.crashed(now, self.settings.quiet_after_crash)
        message = messages.spawn_failed(self.name(program), entry, count=t.count)
        if self._queue(Outgoing(f"{program}/trouble", "spawn_failed", message, fresh=first), now):
            t.shown = True

    def _on_gave_up(self, entry: Mapping[str, Any], program: str, now: float) -> None:
        t = self._episode(program)
        message = messages.gave_up(self.name(program), entry, t.last_exit, report=t.report)
        out = Outgoing(f"{program}/trouble", "gave_up", message, Urgency.CRITICAL, program=program)
        self._queue(out, now, urgent=True, bypass_pause=True)
        t.shown = True

    def _on_running(self, entry: Mapping[str, Any], program: str, now: float) -> None:
        t = self._episode(program)
        if not t.shown:
            return
        t.shown = False  # once per episode, and not later if the pause swallowed it
        message = messages.recovered(self.name(program), t.count)
        self._queue(Outgoing(f"{program}/trouble", "recovered", message, Urgency.LOW), now)

    def _on_stop(self, entry: Mapping[str, Any], program: str, now: float) -> None:
        if entry.get("by") in ("user", "quit"):
            self._episode(program).shown = False  # the user knows; no "running again" later

    def _on_health(self, entry: Mapping[str, Any], program: str, now: float) -> None:
        """Failing and cannot-answer are two episodes, each told once and closed by any better news."""
        status = entry.get("status")
        slots = {"unhealthy": f"{program}/health", "degraded": f"{program}/answer"}
        if status in slots:
            slot = slots[str(status)]
            if slot in self._open:
                return
            message = (messages.degraded(self.name(program), entry) if status == "degraded"
                       else messages.health(self.name(program), entry, failing=True))
            kind = "degraded" if status == "degraded" else "health_failing"
            if self._queue(Outgoing(slot, kind, message, fresh=True), now):
                self._open.add(slot)
            return
        for slot in slots.values():  # healthy, none, unknown: the bad news is over
            if slot in self._open:
                self._open.discard(slot)
                message = (messages.answering(self.name(program)) if slot == slots["degraded"]
                           else messages.health(self.name(program), entry, failing=False))
                self._queue(Outgoing(slot, "health_ok", message, Urgency.LOW), now)

    def _on_limit(self, entry: Mapping[str, Any], program: str, now: float) -> None:
        slot = f"{program}/limit"
        self._queue(Outgoing(slot, "limit", messages.limit(self.name(program), entry),
                             fresh=self._stale(slot, now)), now)

    def _on_external(self, entry: Mapping[str, Any], program: str, now: float) -> None:
        slot = f"{program}/external"
        if self._stale(slot, now) and slot not in self._pending:  # said once an hour at most
            self._queue(Outgoing(slot, "external", messages.external(self.name(program), entry), fresh=True), now)

    def _on_disk(self, entry: Mapping[str, Any], program: str, now: float) -> None:
        slot, level = f"disk:{entry.get('path', '')}", entry.get("level")
        if level in ("warn", "critical"):
            urgency = Urgency.CRITICAL if level == "critical" else Urgency.NORMAL
            if self._queue(Outgoing(slot, "disk", messages.disk(entry), urgency, fresh=slot not in self._open), now):
                self._open.add(slot)
        elif level == "ok" and slot in self._open:
            self._open.discard(slot)
            self._queue(Outgoing(slot, "disk_ok", messages.disk(entry), Urgency.LOW), now)

    def _on_backup(self, entry: Mapping[str, Any], program: str, now: float) -> None:
        urgency, kind = (Urgency.LOW, "backup") if entry.get("ok") else (Urgency.NORMAL, "backup_failed")
        self._queue(Outgoing("backup", kind, messages.backup(entry), urgency, fresh=True), now)


_HANDLERS: dict[str, Callable[[Policy, Mapping[str, Any], str, float], None]] = {
    "exit": Policy._on_exit,
    "crash": Policy._on_crash,
    "backoff": Policy._on_backoff,
    "spawn_failed": Policy._on_spawn_failed,
    "gave_up": Policy._on_gave_up,
    "running": Policy._on_running,
    "stop": Policy._on_stop,
    "health": Policy._on_health,
    "limit": Policy._on_limit,
    "external": Policy._on_external,
    "disk": Policy._on_disk,
    "backup": Policy._on_backup,
}
