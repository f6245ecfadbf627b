"""One managed program's state machine. Runs only on the supervisor thread (or in tests).

Every state change goes through `_set`, which checks the edge against state.ALLOWED and publishes
a new immutable Status. Decisions come from policy.py; processes come from the injected spawner.

Readiness: a program is ready when its health check first passes or its `ready_log_line` appears
(then STARTING -> RUNNING at once); with neither configured, when it has stayed up `startsecs`.
Without a signal by `startsecs` it is shown RUNNING anyway, as before. A crash counts toward the
restart intensity (crash loop -> given up) only when the run never became ready or died within
`startsecs`; any crash still backs off.
"""

from __future__ import annotations

import enum
import itertools
import os
import random
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from trayapp import journal as journal_file
from trayapp.clock import Clock
from trayapp.config import HealthConfig, ProgramConfig
from trayapp.errors import SpawnError
from trayapp.i18n import N_
from trayapp.journal import Journal
from trayapp.message import Duration, Wait
from trayapp.message import Message as Reason  # supervisor.messages has its own Message: the inbox's
from trayapp.status import (
    STOPPED_BY,
    STOPPED_BY_WHO,
    STOPPED_EXIT,
    TRYING_AGAIN,
    Control,
    CrashReport,
    ExitInfo,
    Health,
    Mode,
    State,
    Status,
    refusal,
)
from trayapp.supervisor import degraded as degraded_sources
from trayapp.supervisor import history, policy
from trayapp.supervisor.degraded import Verdict
from trayapp.supervisor.health import ProbeResult, check_context, failed, port_of
from trayapp.supervisor.marks import PROGRAM_VAR
from trayapp.supervisor.disklimit import DiskBudget, folder_size
from trayapp.supervisor.messages import Degraded, DiskMeasured, Exited, HealthChecked, Message, OwnUi, Ready
from trayapp.supervisor import own_ui as ui_source
from trayapp.supervisor.output import OutputWatch, RunListener
from trayapp.supervisor.pidfile import ChildRecord, PidFile
from trayapp.supervisor.readiness import ReadyLineWatch
from trayapp.supervisor.resources import Sample
from trayapp.supervisor.rlimits import ChildLimits
from trayapp.supervisor.services import ServiceInfo
from trayapp.supervisor.spawn import ChildHandle, LogSink, Spawner, resolve_command
from trayapp.supervisor.state import moved
from trayapp.triage import report as crash_reports

if TYPE_CHECKING:
    from trayapp.supervisor.supervised import Supervised

# Longest text kept from a program's output or an exception in a Status: snapshots stay small.
TEXT_LIMIT = 500
# A degraded verdict from output lapses this long after the last line that said so (seconds).
DEGRADED_HOLD = 900.0
# How often the program's own settings are read again while it runs (seconds).
SETTINGS_EVERY = 60.0


class Sampler(Protocol):
    def sample(self, pid: int) -> Sample | None: ...


@dataclass
class Context:
    """What every program needs from the outside world; tests pass fakes."""

    clock: Clock
    spawner: Spawner
    journal: Journal
    publish: Callable[[Status | None, Status], None]
    post: Callable[[Message], None]
    run_in_background: Callable[[Callable[[], None]], None]
    probe: Callable[[HealthConfig, Path | None, Mapping[str, str]], ProbeResult]
    sampler: Callable[[], Sampler]
    listener_pid: Callable[[str, int], int | None]  # who listens on host:port (None: nobody we can see)
    port_open: Callable[[str, int], bool]
    logs: Callable[[str], LogSink | None] = lambda name: None
    pidfile: PidFile | None = None
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    rand: Callable[[], float] = random.random
    # The program's own installed service (services.detect_service), or None: attach, never spawn.
    service: Callable[[ProgramConfig], ServiceInfo | None] = lambda cfg: None
    # The kernel's out-of-memory kill count for our cgroup (None: no record), and the machine's memory:
    # a SIGKILL while the count went up, or near the memory, is the OOM killer's.
    oom_kills: Callable[[], int | None] = lambda: None
    total_memory: Callable[[], int | None] = lambda: None
    # A reload removed this program and it is down: it leaves every view (the tray keeps the rest).
    forget: Callable[[str], None] = lambda name: None
    _history: list[dict[str, Any]] | None = field(default=None, init=False, repr=False)
    # Run tokens are unique across programs, so a report about a run that a reload replaced (a
    # health answer still in flight) can never be taken for its successor's.
    _tokens: Iterator[int] = field(default_factory=lambda: itertools.count(1), init=False, repr=False)

    def next_token(self) -> int:
        return next(self._tokens)

    def history(self) -> list[dict[str, Any]]:
        """The journal as it was at start, read once for every program (to seed today's counts)."""
        if self._history is None:
            self._history = journal_file.read(self.journal.path)
        return self._history


class StopFor(enum.Enum):
    """Why a program is STOPPING, which decides where it goes once it is down."""

    STOP = "stop"  # the user or quit asked: STOPPED
    RESTART = "restart"  # half of a restart: STARTING again
    GIVE_UP = "give_up"  # automatic restarts ran out: GIVEN_UP, with the slow retry


# Who stopped it, as the STOPPED reason says it (the Stop message's `by`; the journal keeps the key).
def stopped_by(by: str) -> Reason:
    """"stopped by you": the reason a program shows after a stop."""
    return Reason(STOPPED_BY[by]) if by in STOPPED_BY else Reason(STOPPED_BY_WHO, who=by)


def _clip(text: str) -> str:
    return text if len(text) <= TEXT_LIMIT else text[:TEXT_LIMIT - 1] + "…"


class Program:
    """Keeps one program alive according to its ProgramConfig."""

    def __init__(self, cfg: ProgramConfig, ctx: Context) -> None:
        self.cfg = cfg
        self.ctx = ctx
        wall = ctx.clock.time()
        self.status = Status(program=cfg.name, display_name=cfg.display_name,
                             health=Health.UNKNOWN if cfg.health else Health.NONE, since_at=wall,
                             restart_counts=history.from_journal(ctx.history(), cfg.name, wall))
        self._child: ChildHandle | None = None
        self._token = 0
        self._started = 0.0  # monotonic time of the current spawn
        self._stable_at: float | None = None  # STARTING -> RUNNING at this time
        self._ready = False  # this run's health check passed, its ready line appeared, or it lasted startsecs
        self._ready_line = re.compile(cfg.ready_log_line) if cfg.ready_log_line else None
        self._retry_at: float | None = None  # BACKOFF / GIVEN_UP slow retry
        self._kill_at: float | None = None  # STOPPING: SIGKILL the tree at this time
        self._stopping: StopFor | None = None  # set exactly while STOPPING
        self._give_up_reason = Reason("")  # with StopFor.GIVE_UP: the reason GIVEN_UP will show
        # Monotonic times of the crash-loop restarts within the window: at most max_restarts + 1.
        self._restart_times: list[float] = []
        self._after_give_up = False  # this run is the slow retry after giving up
        self._fault_said = ""  # the internal error last journaled, so a repeating one is told once
        self._health_due: float | None = None
        self._probing: int | None = None  # the run (token) whose health probe is in flight
        self._health_streak = policy.Streak()
        self._limits = policy.LimitGuard(cfg.limits)
        self._sample_due: float | None = None
        self._sampler: Sampler | None = None
        # limits.disk: kept across restarts, so a crash loop does not tell the same episode again
        self._disk = DiskBudget(cfg.limits.disk) if cfg.limits.disk is not None else None
        self._disk_due: float | None = None
        self._measuring = False
        self._patterns = degraded_sources.patterns_for(cfg)
        self._listener: RunListener | None = None  # this run's output, for its crash report
        self._said: Verdict | None = None  # what this run's output said about answering
        self._said_at = 0.0
        self._settings: Verdict | None = None  # what its own settings say
        self._oom_at_start: int | None = None  # the kernel's OOM-kill count when this run started
        # What the health check itself last said this run (UNKNOWN until it passes; NONE without a
        # check); the status shows DEGRADED over it while a verdict says it cannot answer.
        self._checked = Health.UNKNOWN if cfg.health else Health.NONE
        self._settings_due: float | None = None

    # -- commands ---------------------------------------------------------------------------

    def start(self, now: float, by_user: bool = True) -> None:
        state = self.status.state
        if state is State.STOPPING:
            if by_user or self._stopping is not StopFor.GIVE_UP:
                self._stopping = StopFor.RESTART
            return
        if state in (State.STARTING, State.RUNNING):
            return
        if by_user:
            self._restart_times.clear()
            self._set(self.status.state, failures=0)
        self._after_give_up = state is State.GIVEN_UP and not by_user
        if not self._held_by_someone_else(now) and not self._has_own_service():
            self._spawn(now)

    def stop(self, now: float, by: str = "user") -> None:
        state = self.status.state
        if state is State.STOPPING:
            self._stopping = StopFor.STOP
            return
        if refusal(self.status, "stop") is not None and state is State.RUNNING:  # not ours: stop watching only
            self._set(State.STOPPED, reason=Reason(N_("no longer watched; it keeps running outside trayapp")),
                      mode=Mode.MANAGED, control=Control.FULL, pid=None, owner="")
            return
        if state in (State.BACKOFF, State.GIVEN_UP):
            self._retry_at = None
            self._set(State.STOPPED, reason=stopped_by(by), retry_at=None)
        elif state in (State.STARTING, State.RUNNING) and self._child is not None:
            self._send_stop(now, by, StopFor.STOP)

    def cancel_pending_start(self) -> None:
        """Quitting: a stop that was half of a restart stays a stop."""
        if self._stopping is StopFor.RESTART:
            self._stopping = StopFor.STOP

    def restart(self, now: float, reason: str = "user") -> None:
        if self.status.state in (State.STARTING, State.RUNNING) and self._child is not None:
            self.ctx.journal.record("restart", self.cfg.name, reason=reason)
            self._send_stop(now, reason, StopFor.RESTART)
        else:
            self.start(now, by_user=True)

    def _auto_restart(self, now: float, reason: str, why: Reason) -> None:
        """A restart trayapp decided on (health, limit): it counts toward the restart intensity
        like a crash, so a program that is never healthy ends up given up, not restarted forever."""
        self._restart_times = list(policy.recent(self._restart_times, now, self.cfg.window))
        if len(self._restart_times) >= self.cfg.max_restarts:
            self._give_up_reason = Reason(N_("gave up: {why}; {restarts} restarts in {window} did not help"),
                                          why=why, restarts=len(self._restart_times),
                                          window=Duration(self.cfg.window))
            self._send_stop(now, reason, StopFor.GIVE_UP)
            return
        self._restart_times.append(now)
        self._set(self.status.state, **self._one_more_restart())
        self.restart(now, reason=reason)

    def _one_more_restart(self) -> dict[str, Any]:
        counts = history.counted(self.status.restart_counts, self.ctx.clock.time())
        return {"restarts": self.status.restarts + 1, "restart_counts": counts}

    def _send_stop(self, now: float, by: str, why: StopFor) -> None:
        assert self._child is not None
        self._stopping = why
        self._kill_at = now + self.cfg.stop_timeout
        self._child.signal(self.cfg.signal_number)
        self.ctx.journal.record("stop", self.cfg.name, by=by, pid=self._child.pid)
        self._set(State.STOPPING, reason=Reason(N_("stopping ({signal}, then SIGKILL after {timeout})"),
                                                signal=f"SIG{self.cfg.stop_signal}",
                                                timeout=Duration(self.cfg.stop_timeout)))

    # -- reports ----------------------------------------------------------------------------

    def exited(self, msg: Exited, now: float) -> None:
        if msg.token != self._token or self._child is None:
            return  # a report about an earlier spawn
        # Forget the child first: whatever fails below, no status may name a dead pid as running.
        pid, self._child = self._child.pid, None
        self._stable_at = self._health_due = self._sample_due = self._kill_at = None
        stopping, self._stopping = self._stopping, None
        if self.ctx.pidfile is not None:
            self.ctx.pidfile.remove(self.cfg.name, pid)
        info, uptime = ExitInfo.from_returncode(msg.returncode), now - self._started
        last_stderr = _clip(self._last_stderr())
        self.ctx.journal.record("exit", self.cfg.name, pid=pid, code=info.code, signal=info.signal,
                                text=info.describe(), uptime=round(uptime, 3),
                                last_stderr=last_stderr, expected=stopping is not None)
        common: dict[str, Any] = dict(pid=None, last_exit=info, last_exit_at=self.ctx.clock.time(),
                                      last_stderr=last_stderr, memory=None, cpu=None,
                                      health=Health.UNKNOWN if self.cfg.health else Health.NONE,
                                      health_detail="", health_fix="", extra=self._without_ui())
        if stopping is None:
            common["last_crash"] = self._report_crash(info)
            self._crashed(info, uptime, now, common)
        else:
            self._stopped(stopping, info, now, common)

    def _report_crash(self, info: ExitInfo) -> CrashReport:
        """The crash report of this exit, from what the run printed (the waiter let the pumps finish)."""
        recent = self._listener.recent if self._listener is not None else None
        lines = recent.lines() if recent is not None else []
        streams = [recent.lines("stderr"), recent.lines("stdout")] if recent is not None else []
        oom_now = self.ctx.oom_kills()
        recorded = oom_now is not None and self._oom_at_start is not None and oom_now > self._oom_at_start
        report = crash_reports.build(lines, info, program=self.cfg.display_name, when=self.ctx.clock.time(),
                                     memory=self.status.memory,
                                     memory_limit=self.cfg.limits.memory or self.ctx.total_memory(),
                                     port_holder=self._port_holder, oom_recorded=recorded, streams=streams)
        fields = {k: v for k, v in report.to_dict().items() if k != "program"}
        self.ctx.journal.record("crash", self.cfg.name, **fields)
        return report

    def _port_holder(self, port: int) -> str | None:
        """Who listens on `port` on this computer, in words ("pid 812 (python3)"), if we can see it."""
        pid = self.ctx.listener_pid("127.0.0.1", port)
        return describe_pid(pid) if pid else None

    def _stopped(self, why: StopFor, info: ExitInfo, now: float, common: dict[str, Any]) -> None:
        """Down after a stop we asked for: where it goes next is why we stopped it."""
        if why is StopFor.GIVE_UP:
            self._give_up(now, self._give_up_reason, info, common, retry=True, says_gave_up=True)
        elif why is StopFor.RESTART:
            self._set(State.STOPPING, **common)  # the exit, in the snapshot, before the new start
            self._spawn(now)
        else:
            self._set(State.STOPPED, reason=Reason(STOPPED_EXIT, exit=info.message()), **common)

    def _crashed(self, info: ExitInfo, uptime: float, now: float, common: dict[str, Any]) -> None:
        failures = policy.failures_after_uptime(self.cfg, self.status.failures, uptime) + 1
        # Only a run that never became ready, or died within startsecs, is part of a crash loop.
        looping = not self._ready or uptime < self.cfg.startsecs
        decision, reason = self._decide(info, uptime, now, failures, looping)
        if decision.verdict is policy.Verdict.STOP:
            self._set(State.STOPPED, reason=reason, failures=0, **common)
        elif decision.verdict is policy.Verdict.GIVE_UP:
            retry = info.code not in self.cfg.no_restart_exit_codes or info.signal is not None
            self._give_up(now, reason, info, common, retry=retry, says_gave_up=decision.says_gave_up)
        else:
            if looping:
                self._restart_times.append(now)
            self._schedule_restart(now, decision.delay, failures, reason, common, looping)

    def _decide(self, info: ExitInfo, uptime: float, now: float, failures: int,
                looping: bool) -> tuple[policy.Decision, Reason]:
        """The policy's verdict, overruled by a failing slow retry or output that says "fix me first"."""
        self._restart_times = list(policy.recent(self._restart_times, now, self.cfg.window))
        decision = policy.decide(self.cfg, info, failures=failures,
                                 restart_times=self._restart_times if looping else (), now=now, rand=self.ctx.rand)
        if decision.verdict is policy.Verdict.RESTART and self._after_give_up and uptime < self.cfg.backoff.reset_after:
            decision = policy.Decision(policy.Verdict.GIVE_UP, Reason(N_("still failing after the slow retry ({exit})"),
                                                                      exit=info.message()))
        hint = self._fatal_hint() if decision.verdict is policy.Verdict.RESTART else None
        if hint is not None:
            reason = Reason(N_("cannot start ({exit}): {hint}"), exit=info.message(), hint=Reason(hint))
            return policy.Decision(policy.Verdict.GIVE_UP, reason), reason
        return decision, self._explain(decision, info)

    def _schedule_restart(self, now: float, delay: float, failures: int, reason: Reason, common: dict[str, Any],
                          looping: bool) -> None:
        # `looping`: this restart counts toward the restart intensity (the run never became ready).
        self.ctx.journal.record("backoff", self.cfg.name, delay=round(delay, 3), failures=failures, reason=reason,
                                looping=looping)
        self._retry_at = now + delay
        self._set(State.BACKOFF, reason=Reason(N_("{reason}; restarting in {wait}"), reason=reason, wait=Wait(delay)),
                  failures=failures, retry_at=self.ctx.clock.time() + delay, **self._one_more_restart(), **common)
        if delay <= 0:
            self._spawn(now)

    def _give_up(self, now: float, reason: Reason | str, info: ExitInfo | None, common: dict[str, Any], retry: bool,
                 says_gave_up: bool = False) -> None:
        """GIVEN_UP, with the slow retry when `retry`. `says_gave_up`: the reason is a whole sentence
        that says so ("gave up after 5 crashes…"); otherwise it names the cause and gets "gave up: " first."""
        self._after_give_up = False
        delay = self.cfg.retry_after_give_up if retry else None
        self._retry_at = None if delay is None else now + delay
        self.ctx.journal.record("gave_up", self.cfg.name, reason=reason, says_gave_up=says_gave_up,
                                restarts=len(self._restart_times), window=self.cfg.window,
                                last_exit=info.describe() if info else None,
                                retry_in=delay)
        shown = reason if says_gave_up else Reason(N_("gave up: {reason}"), reason=reason)
        if delay:
            shown = Reason(TRYING_AGAIN, reason=shown, wait=Wait(delay))
        self._set(State.GIVEN_UP, reason=shown,
                  retry_at=None if delay is None else self.ctx.clock.time() + delay, **common)

    def _explain(self, decision: policy.Decision, info: ExitInfo) -> Reason:
        """The policy's reason with what the preset says this exit code means (a no-restart
        code's give-up says it already)."""
        meaning = self.cfg.info.exit_meanings.get(info.code) if info.code is not None else None
        said_already = info.signal is None and info.code in self.cfg.no_restart_exit_codes
        if not meaning or said_already:
            return decision.reason
        return Reason(N_("{reason}: {meaning}"), reason=decision.reason, meaning=Reason(meaning))

    def health_checked(self, msg: HealthChecked, now: float) -> None:
        if msg.token == self._probing:
            self._probing = None
        if msg.token != self._token or self.status.state not in (State.STARTING, State.RUNNING):
            return
        result, cfg = msg.result, self.cfg.health
        assert cfg is not None
        in_grace = now - self._started < cfg.start_grace and self._checked is not Health.HEALTHY
        self._health_streak = self._health_streak.observe(not result.ok)
        if result.ok:  # ready: STARTING -> RUNNING in the same snapshot that says healthy (or degraded)
            self._checked = Health.HEALTHY
            changes = self._overlay(Health.HEALTHY, result.detail, State.RUNNING)
            self._journal_health(changes["health"], changes["health_detail"], changes["health_fix"])
            self._became_ready(**changes)
        elif not in_grace and self._health_streak.reached(cfg.failures):
            self._set_health(Health.UNHEALTHY, result.detail)
            self._act_on_bad_health(now, result.detail)
        elif not in_grace:
            self._set(self.status.state, health_detail=result.detail)

    def _set_health(self, health: Health, detail: Reason | str) -> None:
        self._checked = health
        self._journal_health(health, detail)
        self._set(self.status.state, health=health, health_detail=detail, health_fix="")

    def _journal_health(self, health: Health, detail: Reason | str, fix: Reason | str = "") -> None:
        if health is not self.status.health:
            extra = {"fix": fix} if fix else {}
            self.ctx.journal.record("health", self.cfg.name, status=str(health), detail=detail, **extra)

    # -- running, but cannot answer ---------------------------------------------------------

    def _verdict(self) -> Verdict | None:
        return self._said or self._settings

    def _overlay(self, health: Health, detail: Reason | str, state: State) -> dict[str, Any]:
        """A running program that passes its check, has none, or has not been checked yet shows as
        DEGRADED while the output or the settings say it cannot answer: never green for an assistant
        whose every reply would fail. A failing check (UNHEALTHY) says more and wins."""
        verdict = self._verdict()
        running = health in (Health.HEALTHY, Health.NONE) or (health is Health.UNKNOWN and state is State.RUNNING)
        if verdict is not None and running:
            return {"health": Health.DEGRADED, "health_detail": verdict.reason, "health_fix": verdict.fix}
        return {"health": health, "health_detail": detail, "health_fix": ""}

    def _refresh_health(self) -> None:
        """A verdict came or went, or it is now running: show it, unless the health check fails."""
        status = self.status
        if not status.is_up or self._checked is Health.UNHEALTHY:
            return
        detail = "" if status.health is Health.DEGRADED else status.health_detail
        changes = self._overlay(self._checked, detail, status.state)
        if (changes["health"], changes["health_detail"]) != (status.health, status.health_detail):
            self._journal_health(changes["health"], changes["health_detail"], changes["health_fix"])
            self._set(status.state, **changes)

    def degraded(self, msg: Degraded, now: float) -> None:
        """Its output said it cannot answer (reported by a log pump, at most every 30 s per verdict)."""
        if msg.token != self._token or self._child is None:
            return
        self._said, self._said_at = msg.verdict, now
        self._refresh_health()

    def _watch_answering(self, now: float) -> None:
        """Timers of the degraded level: an output verdict lapses; the settings are read again."""
        if self._said is not None and now - self._said_at >= DEGRADED_HOLD:
            self._said = None
            self._refresh_health()
        if self._settings_due is not None and now >= self._settings_due:
            self._settings_due = now + SETTINGS_EVERY
            self._settings = degraded_sources.from_settings(self.cfg, self.cfg.environment(self.ctx.environ))
            self._refresh_health()

    def own_ui(self, msg: OwnUi, now: float) -> None:
        """Its output named its own web UI (reported once per run by a log pump)."""
        if msg.token == self._token and self._child is not None:
            self._set(self.status.state, extra={**self.status.extra, ui_source.KEY: msg.url})

    def _without_ui(self) -> dict[str, Any]:
        return {k: v for k, v in self.status.extra.items() if k != ui_source.KEY}

    def ready(self, msg: Ready, now: float) -> None:
        """Its ready line appeared (reported by a log pump)."""
        if msg.token == self._token and self._child is not None:
            self._became_ready()

    def _act_on_bad_health(self, now: float, detail: Reason | str) -> None:
        if self.status.mode is Mode.EXTERNAL:
            self._outside_copy_gone(now)
            return
        assert self.cfg.health is not None
        if self.cfg.health.action == "restart" and self._child is not None:
            self._health_streak = policy.Streak()
            self._auto_restart(now, "health", Reason(N_("failing its health check ({detail})"), detail=detail))

    # -- the step ---------------------------------------------------------------------------

    def step(self, now: float) -> float | None:
        """Advance timers once; return the next monotonic deadline, or None."""
        self._timers(now)
        # Also right after becoming RUNNING above: a run that has long outlived reset_after must not
        # leave its reset as a deadline in the past (the loop would spin).
        if self.status.state is State.RUNNING and self.status.failures and now - self._started >= self.cfg.backoff.reset_after:
            self._after_give_up = False
            self._set(State.RUNNING, failures=0)
        self._monitor(now)
        return self._next_deadline(now)

    def _timers(self, now: float) -> None:
        state = self.status.state
        if state is State.STARTING and self._stable_at is not None and now >= self._stable_at:
            self._became_stable()
        elif state in (State.BACKOFF, State.GIVEN_UP) and self._retry_at is not None and now >= self._retry_at:
            self._retry_at = None
            self.start(now, by_user=False)
        elif state is State.STOPPING and self._kill_at is not None and now >= self._kill_at:
            self._kill_at = None
            if self._child is not None:
                self.ctx.journal.record("kill", self.cfg.name, pid=self._child.pid,
                                        reason=Reason(N_("did not stop within {timeout}"),
                                                      timeout=Duration(self.cfg.stop_timeout)))
                self._child.kill_tree()

    def _became_stable(self) -> None:
        """startsecs have passed: ready, unless a health check or a ready line is to say so."""
        if self.cfg.health is None and self._ready_line is None:
            self._ready = True
        changes: dict[str, Any] = {}
        if self._checked is not Health.UNHEALTHY:  # a known "cannot answer" shows in the same snapshot
            changes = self._overlay(self._checked, self.status.health_detail, State.RUNNING)
            self._journal_health(changes["health"], changes["health_detail"], changes["health_fix"])
        self._now_running(**changes)

    def _became_ready(self, **changes: Any) -> None:
        self._ready = True
        if self.status.state is State.STARTING:
            self._now_running(**changes)
        else:
            self._set(self.status.state, **changes)

    def _now_running(self, **changes: Any) -> None:
        """STARTING -> RUNNING, in one snapshot with whatever made it so (a health result)."""
        self._stable_at = None
        after_crash = self.status.last_exit is not None and self.status.failures > 0
        self.ctx.journal.record("running", self.cfg.name, pid=self.status.pid, after_crash=after_crash)
        self._set(State.RUNNING, reason="", **changes)

    def _monitor(self, now: float) -> None:
        if self.status.state not in (State.STARTING, State.RUNNING):
            return
        self._watch_answering(now)
        health = self.cfg.health
        busy = self._probing == self._token  # a probe of an earlier run does not hold this one up
        if health is not None and not busy and self._health_due is not None and now >= self._health_due:
            self._health_due = now + health.interval
            self._probing = self._token
            self._probe(health)
        if self._sample_due is not None and now >= self._sample_due and self.status.pid is not None:
            self._sample_due = now + self._sample_interval()
            self._sample(now)
        if self._disk_due is not None and now >= self._disk_due and not self._measuring:
            self._disk_due = now + self.cfg.limits.disk_interval
            self._measure_disk()

    def _measure_disk(self) -> None:
        """Walk the data folders on a worker: a big folder takes seconds the supervisor has not."""
        name, roots, post = self.cfg.name, self.cfg.data_dirs, self.ctx.post
        self._measuring = True

        def job() -> None:
            try:
                size = folder_size(roots)
            except Exception:  # the answer must come back, or the folders would never be measured again
                size = 0
            post(DiskMeasured(name, size))

        self.ctx.run_in_background(job)

    def disk_measured(self, msg: DiskMeasured, now: float) -> None:
        """Crossing limits.disk is journalled (and so notified, and seen by alert rules) once per episode."""
        self._measuring = False
        if self._disk is None:
            return
        self._disk, crossed = self._disk.observe(msg.size)
        if crossed:
            self.ctx.journal.record("limit", self.cfg.name, kind="disk", value=msg.size, limit=self._disk.limit,
                                    action="notify", folders=[str(d) for d in self.cfg.data_dirs])

    def _sample_interval(self) -> float:
        return self.cfg.limits.interval

    def _probe(self, health: HealthConfig) -> None:
        token, name, ctx = self._token, self.cfg.name, self.ctx
        cwd, env = check_context(self.cfg, ctx.environ)

        def job() -> None:
            try:
                result = ctx.probe(health, cwd, env)
            except Exception as exc:  # the answer must come back, or health would never be checked again
                result = ProbeResult(False, failed(exc))
            ctx.post(HealthChecked(name, token, result))

        self.ctx.run_in_background(job)

    def _sample(self, now: float) -> None:
        if self._sampler is None:
            self._sampler = self.ctx.sampler()
        assert self.status.pid is not None
        sample = self._sampler.sample(self.status.pid)
        if self._child is not None:
            self._child.remember_descendants()
        if sample is None:
            return
        self._set(self.status.state, memory=sample.rss, cpu=round(sample.cpu, 1))
        if self._limits.limits != self.cfg.limits:  # a reload changed them in place
            self._limits = policy.LimitGuard(self.cfg.limits)
        self._limits, hit = self._limits.observe(sample.rss, sample.cpu)
        if hit is None or self.status.mode not in (Mode.MANAGED, Mode.ADOPTED):
            return
        limits = self.cfg.limits
        self.ctx.journal.record("limit", self.cfg.name, kind=hit.kind, value=hit.value, limit=hit.limit,
                                action=limits.action, samples=limits.samples)
        if limits.action == "restart":
            self._auto_restart(now, "limit", hit.message())

    def _next_deadline(self, now: float) -> float | None:
        """Each timer counts only in the state that uses it, so a stale one can never spin the loop."""
        state = self.status.state
        deadlines: list[float | None] = []
        if state in (State.STARTING, State.RUNNING):
            deadlines += [None if self._probing == self._token else self._health_due, self._sample_due,
                          None if self._measuring else self._disk_due,
                          self._settings_due, None if self._said is None else self._said_at + DEGRADED_HOLD]
        if state is State.STARTING:
            deadlines.append(self._stable_at)
        elif state is State.RUNNING and self.status.failures:
            deadlines.append(self._started + self.cfg.backoff.reset_after)
        elif state in (State.BACKOFF, State.GIVEN_UP):
            deadlines.append(self._retry_at)
        elif state is State.STOPPING:
            deadlines.append(self._kill_at)
        return min((d for d in deadlines if d is not None), default=None)

    # -- spawning ---------------------------------------------------------------------------

    def _env(self) -> dict[str, str]:
        # The program's name marks its processes (with the spawner's instance and run ids).
        return {**self.ctx.environ, **self.cfg.env, PROGRAM_VAR: self.cfg.name}

    def _spawn(self, now: float) -> None:
        self._token = self.ctx.next_token()
        token, name, post = self._token, self.cfg.name, self.ctx.post
        log = self._log_for(token)
        try:
            child = self.ctx.spawner.spawn(self.cfg.command, env=self._env(), cwd=self.cfg.cwd, log=log,
                                           on_exit=lambda rc: post(Exited(name, token, rc)),
                                           limits=ChildLimits(self.cfg.limits.open_files, self.cfg.limits.processes))
        except SpawnError as exc:
            self._spawn_failed(now, exc)
            return
        # The child and the state that names it first: if anything below fails, it is not lost.
        self._child, self._started, self._ready, self._fault_said = child, now, False, ""
        self._said, self._settings_due = None, now
        self._oom_at_start = self.ctx.oom_kills()
        self._checked = Health.UNKNOWN if self.cfg.health else Health.NONE
        path = resolve_command(self.cfg.command[0], self._env(), self.cfg.cwd) or self.cfg.command[0]
        self._set(State.STARTING, mode=Mode.MANAGED, pid=child.pid, started_at=self.ctx.clock.time(),
                  reason="", retry_at=None, owner="", command_path=path,
                  health=Health.UNKNOWN if self.cfg.health else Health.NONE, health_detail="", health_fix="",
                  extra=self._with_configured_ui())
        self._arm_timers(now)
        if self.ctx.pidfile is not None:
            self.ctx.pidfile.put(ChildRecord(name, child.pid, child.create_time, tuple(self.cfg.command)))
        if log is not None:
            log.write("trayapp", f"started {' '.join(self.cfg.command)} (pid {child.pid})")
        self.ctx.journal.record("start", name, pid=child.pid)
        if self.cfg.startsecs <= 0:
            self._became_stable()

    def _with_configured_ui(self) -> dict[str, Any]:
        url = ui_source.configured(self.cfg)
        return {**self._without_ui(), **({ui_source.KEY: url} if url else {})}

    def _arm_timers(self, now: float) -> None:
        self._stable_at = now + self.cfg.startsecs
        self._health_due = now + min(1.0, self.cfg.health.interval) if self.cfg.health else None
        self._health_streak, self._limits, self._sampler = policy.Streak(), policy.LimitGuard(self.cfg.limits), None
        self._sample_due = now + 1.0
        # The first look soon after each start (a restart may be why it grew), then every disk_interval.
        self._disk_due = now + 1.0 if self._disk is not None and self.cfg.data_dirs else None
        self._kill_at = self._retry_at = None

    def _log_for(self, token: int) -> LogSink | None:
        """The program's log, watched on the way in: every line is kept for a crash report and read
        for "cannot answer"; with a ready line configured, for that too."""
        log = self.ctx.logs(self.cfg.name)
        if log is None:
            self._listener = None
            return None
        name, post = self.cfg.name, self.ctx.post
        self._listener = RunListener(self._patterns, lambda verdict: post(Degraded(name, token, verdict)),
                                     self.ctx.clock.monotonic, on_ui=lambda url: post(OwnUi(name, token, url)))
        watched = OutputWatch(log, self._listener)
        if self._ready_line is None:
            return watched
        return ReadyLineWatch(watched, self._ready_line, lambda: post(Ready(name, token)))

    def _spawn_failed(self, now: float, exc: SpawnError) -> None:
        error: Reason | str = exc.said
        hint = self.cfg.info.install_hint
        fix = Reason(hint) if exc.missing and hint else exc.fix_said  # preset words: N_-marked
        if fix:
            error = Reason(N_("{error}; {fix}"), error=exc.said, fix=fix)
        self.ctx.journal.record("spawn_failed", self.cfg.name, error=error)
        # Not retried in a tight loop: a missing binary will not appear within seconds.
        self._give_up(now, error, None, {"pid": None}, retry=True)

    def output_fds(self) -> tuple[int, int] | None:
        """Our child's open stdout/stderr pipes, to hand to a log keeper when we quit without it."""
        if self._child is None or self.status.state not in (State.STARTING, State.RUNNING):
            return None
        return self._child.output_fds()

    @property
    def adoptable(self) -> bool:
        return True

    def adopt(self, record: ChildRecord) -> None:
        """Take over our own child from an earlier trayapp (left running on purpose)."""
        from trayapp.supervisor.spawn import AdoptedChild

        self._token = self.ctx.next_token()
        token, name, post = self._token, self.cfg.name, self.ctx.post
        self._child = AdoptedChild(record.pid, record.create_time, lambda rc: post(Exited(name, token, rc)))
        now = self.ctx.clock.monotonic()
        self._started = now - max(0.0, self.ctx.clock.time() - record.create_time)
        self._health_due, self._sample_due = (now if self.cfg.health else None), now
        self._ready = True  # it was up long before we looked
        self.ctx.journal.record("adopt", name, pid=record.pid)
        self._set(State.RUNNING, mode=Mode.ADOPTED, pid=record.pid, started_at=record.create_time,
                  reason=Reason(N_("left running by the previous trayapp; watched, its output is not captured "
                                   "until it restarts")))

    # -- somebody else's copy ---------------------------------------------------------------

    def _held_by_someone_else(self, now: float) -> bool:
        """True (and EXTERNAL) when the program's port already answers and the process is not ours."""
        address = port_of(self.cfg.health.url) if self.cfg.health else None
        if address is None or not self.ctx.port_open(*address):
            return False
        pid = self.ctx.listener_pid(*address)
        owner = f"pid {pid}" if pid else f"port {address[1]}"
        detail = Reason(N_("{name} is already running outside trayapp ({owner}); trayapp watches it but will "
                           "not start a second copy. To control it through its owner, add to config.toml: "
                           "{lines}"), name=self.cfg.display_name, owner=owner, lines=self._attach_offer())
        self.ctx.journal.record("external", self.cfg.name, pid=pid, owner=owner, detail=detail)
        self._started = now
        self._health_due, self._sample_due = now, (now if pid else None)
        self._set(State.RUNNING, mode=Mode.EXTERNAL, control=Control.NONE, pid=pid, owner=owner, reason=detail,
                  started_at=None, retry_at=None)
        return True

    def _attach_offer(self) -> str:
        """The config lines that switch this program to attach mode, on one line."""
        found = self.ctx.service(self.cfg)
        lines = (found.attach_toml(self.cfg.name) if found is not None else
                 f'[programs.{self.cfg.name}.attach]\nurl = "{self.cfg.health.url if self.cfg.health else ""}"\n')
        return "  ".join(lines.strip().splitlines())

    def _has_own_service(self) -> bool:
        """True (and STOPPED, explained) when the program's own service is installed: two copies must never run."""
        found = self.ctx.service(self.cfg)
        if found is None:
            return False
        detail = Reason(N_("{name} has its own {service}, so trayapp does not start a second copy. To watch "
                           "and control it through its owner, add to config.toml: {lines}"),
                        name=self.cfg.display_name, service=found.describe(), lines=self._attach_offer())
        self.ctx.journal.record("external", self.cfg.name, pid=None, owner=found.describe(), detail=detail)
        self._retry_at = None
        self._set(State.STOPPED, mode=Mode.MANAGED, reason=detail, retry_at=None)
        return True

    def _outside_copy_gone(self, now: float) -> None:
        address = port_of(self.cfg.health.url) if self.cfg.health else None
        if address is not None and self.ctx.port_open(*address):
            return  # still there, only unhealthy: not ours to restart
        self._set(State.STOPPED, mode=Mode.MANAGED, control=Control.FULL, pid=None, owner="",
                  reason=Reason(N_("the copy running outside trayapp has stopped")))
        if self.cfg.autostart:
            self.start(now, by_user=False)

    # -- the one place that changes state ---------------------------------------------------

    def _set(self, state: State, **changes: Any) -> None:
        old = self.status
        new = moved(old, state, self.ctx.clock.time(), **changes)
        if new != old:
            self.status = new
            self.ctx.publish(old, new)

    def _last_stderr(self) -> str:
        """The last thing the program said on stderr, else on stdout (some report errors there)."""
        log = self.ctx.logs(self.cfg.name)
        if log is None:
            return ""
        return (log.last_line("stderr") or log.last_line("stdout")).strip()

    def _fatal_hint(self) -> str | None:
        """Advice when this run's last output says it cannot start until the user fixes it (an
        earlier run's refusal must not decide a later, different crash)."""
        patterns = self.cfg.info.fatal_output
        if not patterns or self._listener is None:
            return None
        recent = "\n".join(self._listener.recent.lines()[-40:])
        return next((advice for pattern, advice in patterns if re.search(pattern, recent)), None)

    # -- when trayapp itself fails ----------------------------------------------------------

    def fault(self, now: float, error: Exception, during: str) -> None:
        """Handling this program raised (a bug in trayapp). Say so; keep a live child watched and
        controllable; without one, wait as if given up, so Start, Restart and the slow retry work."""
        text = internal_error(during, error)
        if str(text) != self._fault_said:
            self._fault_said = str(text)
            self.ctx.journal.record("fault", self.cfg.name, during=during, error=f"{type(error).__name__}: {error}",
                                    message=text)
        if self._child is not None:
            self._fault_with_child(now, text, self._child)
            return
        self._stopping, self._stable_at, self._kill_at = None, None, None
        self._health_due = self._sample_due = None
        delay = self.cfg.retry_after_give_up
        self._retry_at = now + delay
        self._set(State.GIVEN_UP, mode=Mode.MANAGED, pid=None, owner="", memory=None, cpu=None,
                  reason=Reason(TRYING_AGAIN, reason=text, wait=Wait(delay)),
                  retry_at=self.ctx.clock.time() + delay)

    def _fault_with_child(self, now: float, text: Reason, child: ChildHandle) -> None:
        state = self.status.state
        if state not in (State.STARTING, State.RUNNING, State.STOPPING):
            state, self._stable_at = State.STARTING, now  # its state never caught up with the spawn
        self._set(state, pid=child.pid, reason=Reason(N_("{reason}; it keeps running and Restart still works"),
                                                      reason=text))


if TYPE_CHECKING:
    _IS_SUPERVISED: type[Supervised] = Program  # the type checker proves Program has the whole interface


def internal_error(during: str, error: Exception) -> Reason:
    """"trayapp hit an internal error while starting it (KeyError: 'x')": `during` is an N_-marked step."""
    return Reason(N_("trayapp hit an internal error while {step} ({error})"), step=Reason(during),
                  error=_clip(f"{type(error).__name__}: {error}"))


def describe_pid(pid: int) -> str:
    """"pid 812 (python3)", or "pid 812" when its name cannot be read."""
    import psutil

    try:
        return f"pid {pid} ({psutil.Process(pid).name()})"
    except psutil.Error:
        return f"pid {pid}"
