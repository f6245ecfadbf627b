"""Runs the alert rules: follows the journal, evaluates (trayapp.alerts.rules), fires actions.

Bus handlers only enqueue. One worker thread ("trayapp-alerts") keeps a bounded window of
journal entries and memory/CPU samples, re-evaluates on every new entry and every `tick`
seconds (for "for 2m" conditions that become true with time alone), and runs the actions, so a
slow command or webhook never blocks the supervisor. Every firing is journalled as an `alert`
entry {rule, action, ok, error, detail}.
"""

from __future__ import annotations

import logging
import queue
import socket
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from trayapp.alerts.actions import Outcome, post_webhook, run_command
from trayapp.alerts.rules import Match, entry_time, evaluate, longest_window
from trayapp.clock import Clock, SystemClock
from trayapp.config.alerts import Over, Rule
from trayapp.events import EventBus, Recorded, StatusChanged
from trayapp.i18n import N_
from trayapp.message import Message

log = logging.getLogger(__name__)
_STOP = object()
MAX_ENTRIES = 20_000


class _Recorder(Protocol):
    def record(self, event: str, program: str | None = None, **fields: Any) -> Any: ...


class _Notifier(Protocol):
    def notify(self, title: str, body: Message | str = "", *, slot: str = ..., kind: str = ...,
               channels: tuple[str, ...] = ...) -> None: ...


@dataclass(frozen=True)
class Firing:
    rule: Rule
    program: str
    match: Match


class AlertEngine:
    """See the module docstring. Public methods are safe from any thread."""

    def __init__(self, rules: Sequence[Rule], *, journal: _Recorder | None = None,
                 notifier: _Notifier | None = None, clock: Clock | None = None,
                 history: Iterable[Mapping[str, Any]] = (), programs: Iterable[str] = (),
                 names: Mapping[str, str] | None = None, tick: float = 10.0, threaded: bool = True,
                 runner: Callable[..., Outcome] = run_command,
                 poster: Callable[..., Outcome] = post_webhook) -> None:
        self.rules = tuple(rules)
        self._journal, self._notifier = journal, notifier
        self._clock = clock or SystemClock()
        self._programs = set(programs)
        self._names = dict(names or {})
        self._tick, self._threaded = tick, threaded
        self._runner, self._poster = runner, poster
        self._keep = longest_window(self.rules) * 1.2 + 60
        self._entries: list[dict[str, Any]] = []
        self._state: dict[tuple[int, str], Match | None] = {}
        self._fired_at: dict[tuple[int, str], float] = {}
        self._inbox: queue.Queue[Any] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._wants_samples = any(isinstance(r.condition, Over) for r in self.rules)
        for entry in history:
            self._add(entry)
        self._evaluate(self._clock.time())  # the past sets the starting state; it fires nothing

    # -- wiring -----------------------------------------------------------------------------

    def attach(self, bus: EventBus) -> Callable[[], None]:
        """Follow journal entries and status snapshots on `bus`. Returns a function that detaches."""
        return bus.follow(self)

    def on_recorded(self, event: Recorded) -> None:
        """Bus handler (publisher's thread): queue the entry. Our own `alert` entries are skipped."""
        if event.kind != "alert" and self.rules:
            self._post(dict(event.entry))

    def on_status(self, event: StatusChanged) -> None:
        """Bus handler: memory/CPU from status snapshots become "sample" entries."""
        status = event.new
        self._names[status.program] = status.display_name
        if self._wants_samples and (status.memory is not None or status.cpu is not None):
            self._post({"event": "sample", "program": status.program, "memory": status.memory,
                        "cpu": status.cpu, "t": self._clock.time()})

    def _post(self, entry: dict[str, Any]) -> None:
        self._inbox.put(entry)
        if self._threaded:
            with self._lock:
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(target=self._run, name="trayapp-alerts", daemon=True)
                    self._thread.start()

    # -- the worker -------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            try:
                item = self._inbox.get(timeout=self._tick)
            except queue.Empty:
                item = None
            if item is _STOP:
                return
            try:
                self.step(item)
            except Exception:
                log.exception("alert evaluation failed")

    def step(self, first: dict[str, Any] | None = None) -> list[Firing]:
        """Take queued entries, evaluate every rule, run the actions of those that fire."""
        items = [first] if first is not None else []
        while True:
            try:
                items.append(self._inbox.get_nowait())
            except queue.Empty:
                break
        for item in items:
            if item is not _STOP:
                self._add(item)
        firings = self._evaluate(self._clock.time())
        for firing in firings:
            self._act(firing)
        return firings

    def close(self, timeout: float = 5.0) -> None:
        self._inbox.put(_STOP)
        if self._thread is not None:
            self._thread.join(timeout)

    # -- bookkeeping ------------------------------------------------------------------------

    def _add(self, entry: Mapping[str, Any]) -> None:
        item = dict(entry)
        item["t"] = entry_time(item)
        if item.get("program"):
            self._programs.add(str(item["program"]))
        self._entries.append(item)
        if len(self._entries) > MAX_ENTRIES or self._entries[0]["t"] < item["t"] - self._keep:
            horizon = item["t"] - self._keep
            self._entries = [e for e in self._entries[-MAX_ENTRIES:] if e["t"] >= horizon]

    def _evaluate(self, now: float) -> list[Firing]:
        firings: list[Firing] = []
        for index, rule in enumerate(self.rules):
            for program in ([rule.program] if rule.program else sorted(self._programs)):
                firing = self._edge(index, rule, program, now)
                if firing is not None:
                    firings.append(firing)
        return firings

    def _edge(self, index: int, rule: Rule, program: str, now: float) -> Firing | None:
        """Fire when the condition turns true (or a new event makes it true), at most per `repeat`."""
        key = (index, program)
        match = evaluate(rule.condition, self._entries, now, program)
        before, self._state[key] = self._state.get(key), match
        if match is None or (before is not None and before.key == match.key):
            return None
        last = self._fired_at.get(key)
        if last is not None and now - last < rule.repeat:
            return None
        self._fired_at[key] = now
        return Firing(rule, program, match)

    # -- actions ----------------------------------------------------------------------------

    def _act(self, firing: Firing) -> None:
        rule, program, match = firing.rule, firing.program, firing.match
        log.warning("alert %r for %s: %s", rule.name, program, match.detail)
        if rule.action == "command":
            outcome = self._runner(rule.command, rule.timeout, self._env(firing))
        elif rule.action == "webhook":
            outcome = self._poster(rule.url, self.payload(firing), rule.timeout)
        else:
            outcome = self._notify(firing)
        if not outcome.ok:
            log.warning("alert %r: the %s action failed: %s", rule.name, rule.action, outcome.error)
        if self._journal is not None:
            self._journal.record("alert", program, rule=rule.name, action=rule.action, ok=outcome.ok,
                                 error=str(outcome.error) or None, detail=str(match.detail),
                                 **_said("detail", match.detail), **_said("error", outcome.error))

    def _notify(self, firing: Firing) -> Outcome:
        if self._notifier is None:
            return Outcome(False, Message(N_("no notifier is running")))
        name = self._names.get(firing.program, firing.program)
        self._notifier.notify(f"{name}: {firing.rule.name}", firing.match.detail,  # logged in English
                              slot=f"alert:{firing.rule.name}:{firing.program}", kind="alert",
                              channels=firing.rule.channels)
        return Outcome(True)

    def _env(self, firing: Firing) -> dict[str, str]:
        return {"TRAYAPP_ALERT_RULE": firing.rule.name, "TRAYAPP_ALERT_PROGRAM": firing.program,
                "TRAYAPP_ALERT_DETAIL": str(firing.match.detail)}

    def payload(self, firing: Firing) -> dict[str, Any]:
        """The JSON a webhook receives."""
        return {"rule": firing.rule.name, "when": firing.rule.when, "program": firing.program,
                "display_name": self._names.get(firing.program, firing.program),
                "detail": str(firing.match.detail), "host": socket.gethostname(),
                "at": datetime.fromtimestamp(self._clock.time()).astimezone().isoformat(timespec="seconds")}


def _said(field: str, text: Message | str) -> dict[str, Any]:
    """Beside a journal entry's English `field`, the Message it came from as `field_message`, so
    `trayapp history` can show it in the reader's language (the English field stays for scripts)."""
    return {f"{field}_message": text.to_json()} if isinstance(text, Message) else {}
