"""Attach mode: a program owned by systemd --user, launchd, Docker or another machine.

`AttachedProgram` satisfies the same `Supervised` interface as `Program` but never spawns and never
signals anything. It watches:
every `interval` one background job asks the owner for its state (owners.py) and probes health,
then posts the answer as a HealthChecked message whose result is an `OwnerCheck` (so the
supervisor's inbox and dispatch stay as they are). Start/stop/restart become the owner's own
commands, run by the same background job. Runs on the supervisor thread (or in tests).

Journal entries match managed mode, so notifications work the same: `attach` once at start,
`running` when it comes up, `exit` (expected or not) when it goes down, `health`, `limit`, and
`restart`/`stop`/`start` with the owner command used (`via`).

Each look moves the state once, along state.ALLOWED, to what the owner says now: active ->
RUNNING, activating -> STARTING, deactivating -> STOPPING (or stays STOPPED), otherwise STOPPED.
Going down between two looks is journaled as an exit without a detour through STOPPED.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trayapp.i18n import N_
from trayapp.message import Message as Reason
from trayapp.procs import CommandResult, CommandRunner, SubprocessRunner
from trayapp.config import HealthConfig, ProgramConfig
from trayapp.supervisor import policy
from trayapp.supervisor.health import ProbeResult, check_context, port_of
from trayapp.supervisor.messages import Degraded, DiskMeasured, Exited, HealthChecked, OwnUi, Ready
from trayapp.supervisor.owners import Owner, OwnerState
from trayapp.supervisor.pidfile import ChildRecord
from trayapp.supervisor.program import Context, Sampler, internal_error
from trayapp.status import Control, ExitInfo, Health, Mode, State, Status, refusal
from trayapp.supervisor.state import moved

DEFAULT_INTERVAL = 5.0  # how often the owner is asked when no health interval is configured
SETTLE = 1.0  # ask again this soon while the owner reports a transition (activating, ...)
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class OwnerCheck(ProbeResult):
    """One look at an attached program: what the owner said, the health probe, a command's outcome."""

    owner: OwnerState | None = None  # None: the owner cannot be asked (url / commands only)
    health: ProbeResult | None = None  # None: not probed (no check, or the owner says it is down)
    pid: int | None = None
    started_at: float | None = None  # the process's own start time, when it can be seen
    action: str | None = None
    argv: tuple[str, ...] = ()
    outcome: CommandResult | None = None


def _started(pid: int | None) -> float | None:
    if pid is None:
        return None
    import psutil

    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return None


_ASKED = {"start": N_("asked {owner} to start it"), "stop": N_("asked {owner} to stop it"),
          "restart": N_("asked {owner} to restart it")}


class AttachedProgram:
    """Watches and controls one program through its owner. Supervisor thread only."""

    def __init__(self, cfg: ProgramConfig, ctx: Context, *, runner: CommandRunner | None = None,
                 uid: int | None = None, home: Path | None = None) -> None:
        assert cfg.attach is not None
        self.cfg, self.ctx = cfg, ctx
        self.runner = runner or SubprocessRunner(timeout=60.0)
        self.owner = Owner(cfg.attach, uid if uid is not None else _uid(),
                           home or Path(ctx.environ.get("HOME") or Path.home()))
        self.health_cfg = cfg.health or (HealthConfig(url=cfg.attach.url) if cfg.attach.url else None)
        self.interval = self.health_cfg.interval if self.health_cfg else DEFAULT_INTERVAL
        commanded = all(self.owner.control_argv(a) is not None for a in ("start", "stop", "restart"))
        self.status = Status(program=cfg.name, display_name=cfg.display_name, mode=Mode.ATTACHED,
                             owner=self.owner.describe(), since_at=ctx.clock.time(),
                             health=Health.UNKNOWN if self.health_cfg else Health.NONE,
                             reason=Reason(N_("asking {owner}…"), owner=self.owner.describe()),
                             control=Control.THROUGH_OWNER if commanded else Control.NONE,
                             extra={"owner_kind": self.owner.kind})
        self._token = 0
        self._busy = False
        self._queued: tuple[str, str] | None = None  # (action, why) waiting for the job in flight
        self._check_due: float | None = ctx.clock.monotonic()
        self._seen = False  # the first look is journaled as `attach`
        self._expect_down = False  # we asked for stop/restart: going down is not news
        self._crashed = False  # it went down on its own: the next `running` says after_crash
        self._loaded = True  # launchd: False after bootout (start must bootstrap)
        self._health_streak = policy.Streak()
        self._down_streak = policy.Streak()
        self._limits = policy.LimitGuard(cfg.limits)
        self._auto_restarts: list[float] = []
        self._note: Reason | str = ""  # the last failed or refused command, shown until a command works
        self._fault_said = ""  # the internal error last journaled
        self._sample_due: float | None = None
        self._sampler: Sampler | None = None

    # -- commands ---------------------------------------------------------------------------

    def start(self, now: float, by_user: bool = True) -> None:
        """At trayapp's start (by_user=False) only look; the owner decides whether it runs."""
        if not by_user:
            self._check_due = now
        elif self.status.state not in (State.RUNNING, State.STARTING):
            self._control("start", "user", now)

    def stop(self, now: float, by: str = "user") -> None:
        if by == "quit":
            return  # quitting trayapp leaves the owner's program running: it is not ours
        self._control("stop", by, now)

    def restart(self, now: float, reason: str = "user") -> None:
        self._control("restart", reason, now)

    def cancel_pending_start(self) -> None:
        """Nothing to cancel: quitting never stops or restarts what its owner runs."""

    def exited(self, msg: Exited, now: float) -> None:
        """Nothing of ours can exit: attach mode never has a child."""

    def ready(self, msg: Ready, now: float) -> None:
        """Never posted: attach mode reads no output of its own."""

    def degraded(self, msg: Degraded, now: float) -> None:
        """Never posted: attach mode reads no output of its own."""

    def own_ui(self, msg: OwnUi, now: float) -> None:
        """Never posted: attach mode reads no output of its own."""

    def disk_measured(self, msg: DiskMeasured, now: float) -> None:
        """Never posted: limits.disk is measured for programs trayapp runs itself."""

    @property
    def adoptable(self) -> bool:
        return False  # its owner runs it: a leftover record for it is left alone

    def adopt(self, record: ChildRecord) -> None:
        """Never called (not adoptable)."""

    def output_fds(self) -> tuple[int, int] | None:
        return None  # no pipes of ours

    def _control(self, action: str, why: str, now: float) -> None:
        argv = self.owner.control_argv(action, self._loaded)
        if argv is None:
            message = self._note = self.owner.cannot(action)
            self.ctx.journal.record("owner_command", self.cfg.name, action=action, ok=False, error=message)
            self._set(self.status.state, reason=message)
            return
        if self._busy:
            self._queued = (action, why)
            return
        self._record_request(action, why, argv)
        self._expect_down = action in ("stop", "restart")
        self._launch(now, action, argv)

    def _record_request(self, action: str, why: str, argv: Sequence[str]) -> None:
        via = " ".join(argv)
        if action == "restart":
            self.ctx.journal.record("restart", self.cfg.name, reason=why, via=via)
        elif action == "stop":
            self.ctx.journal.record("stop", self.cfg.name, by=why, via=via)
        else:
            self.ctx.journal.record("start", self.cfg.name, pid=None, via=via,
                                    message=Reason(N_("asked {owner} to start it ({command})"),
                                                   owner=self.owner.describe(), command=via))
        self._set(self.status.state, reason=Reason(_ASKED.get(action, N_("asked {owner} to start it")),
                                                   owner=self.owner.describe()))

    # -- the background job -----------------------------------------------------------------

    def _launch(self, now: float, action: str | None = None, argv: Sequence[str] = ()) -> None:
        self._busy = True
        self._token += 1
        token, name, ctx, job = self._token, self.cfg.name, self.ctx, self._job(action, tuple(argv))
        self._check_due = now + self.interval
        ctx.run_in_background(lambda: ctx.post(HealthChecked(name, token, job())))

    def _job(self, action: str | None, argv: tuple[str, ...]) -> Callable[[], OwnerCheck]:
        """What runs on the worker thread: the command (if any), the owner's state, the probe."""
        owner, runner, probe, health_cfg = self.owner, self.runner, self.ctx.probe, self.health_cfg
        (cwd, env), listener = check_context(self.cfg, self.ctx.environ), self.ctx.listener_pid

        def job() -> OwnerCheck:
            try:
                return look()
            except Exception as exc:  # the answer must always come back, or watching would stop
                said = Reason(N_("could not ask: {error}"), error=str(exc))
                return OwnerCheck(False, str(said), OwnerState("unknown", detail=said),
                                  action=action, argv=argv, outcome=CommandResult(1, "", str(exc)) if argv else None)

        def look() -> OwnerCheck:
            outcome = runner.run(argv) if argv else None
            query = owner.query_argv()
            state = owner.parse(runner.run(query)) if query else None
            health = probe(health_cfg, cwd, env) if health_cfg and (state is None or state.phase == "active") else None
            pid = state.pid if state is not None else _local_listener(health_cfg, listener)
            ok = health.ok if health is not None else bool(state and state.phase == "active")
            return OwnerCheck(ok, health.detail if health else (str(state.detail) if state else ""), state, health,
                              pid, _started(pid), action, argv, outcome)

        return job

    # -- reports ----------------------------------------------------------------------------

    def health_checked(self, msg: HealthChecked, now: float) -> None:
        result = msg.result
        if msg.token != self._token or not isinstance(result, OwnerCheck):
            return
        self._busy = False
        if result.outcome is not None:
            self._command_done(result)
        if result.owner is not None:
            self._observe_owner(result, now)
        else:
            self._observe_url(result, now)
        self._seen = True
        if result.action is not None and self.status.state in (State.RUNNING, State.STOPPED):
            self._expect_down = False  # the command has finished its work either way
        if self._queued is not None:
            action, why = self._queued
            self._queued = None
            self._control(action, why, now)

    def _command_done(self, r: OwnerCheck) -> None:
        assert r.outcome is not None and r.action is not None
        if r.action == "stop" and r.outcome.ok and self.owner.kind == "launchd":
            self._loaded = False
        elif r.action in ("start", "restart") and r.outcome.ok:
            self._loaded = True
        if r.outcome.ok:
            self._note = ""
            return
        said = (r.outcome.stderr or r.outcome.stdout).strip().splitlines()
        error = (Reason(N_("`{command}` failed (exit {code}): {said}"), command=" ".join(r.argv),
                        code=r.outcome.returncode, said=said[-1][:200]) if said else
                 Reason(N_("`{command}` failed (exit {code})"), command=" ".join(r.argv), code=r.outcome.returncode))
        self._expect_down = False
        self._note = error
        kind = "spawn_failed" if r.action in ("start", "restart") else "owner_command"
        self.ctx.journal.record(kind, self.cfg.name, action=r.action, ok=False, error=error)
        self._set(self.status.state, reason=error)

    def _observe_owner(self, r: OwnerCheck, now: float) -> None:
        state = r.owner
        assert state is not None
        if not state.known:
            self._first_look(r, state.detail)
            self._set(self.status.state, reason=state.detail,
                      extra={**self.status.extra, "owner_detail": str(state.detail)})
            return
        if state.phase == "active":
            self._up(r, now, state.detail)
        elif state.phase == "activating":
            self._moving(State.STARTING, r, state.detail)
        elif state.phase == "deactivating":
            self._moving(State.STOPPING, r, state.detail)
        else:
            self._down(r, state.detail, state.exit_code)
        if state.phase in ("activating", "deactivating"):
            self._check_due = now + SETTLE

    def _observe_url(self, r: OwnerCheck, now: float) -> None:
        """No owner to ask: answering means up; `failures` misses in a row mean down."""
        failures = self.health_cfg.failures if self.health_cfg else 1
        self._down_streak = self._down_streak.observe(not r.ok)
        if r.ok:
            self._up(r, now, Reason(N_("answering")))
        elif not self._seen or self._down_streak.reached(failures):
            self._down(r, Reason(N_("not answering: {detail}"), detail=r.detail), None)
        else:
            self._set(self.status.state, health_detail=r.detail)

    # -- transitions ------------------------------------------------------------------------

    def _first_look(self, r: OwnerCheck, detail: Reason | str) -> None:
        if not self._seen:
            self.ctx.journal.record("attach", self.cfg.name, owner=self.owner.describe(), pid=r.pid,
                                    message=Reason(N_("watching {name} under {owner}: {detail}"),
                                                   name=self.cfg.display_name, owner=self.owner.describe(),
                                                   detail=detail))

    def _up(self, r: OwnerCheck, now: float, detail: Reason | str) -> None:
        old = self.status
        self._first_look(r, detail)
        replaced = old.state is State.RUNNING and bool(old.pid and r.pid and r.pid != old.pid)
        if replaced and not self._expect_down:
            self._went_down(Reason(N_("restarted by {owner} (pid {old} -> {new})"), owner=self.owner.describe(),
                                   old=old.pid or 0, new=r.pid or 0), None, expected=False)
        if old.state is not State.RUNNING or (replaced and self._crashed):
            if self._seen:
                self.ctx.journal.record("running", self.cfg.name, pid=r.pid, after_crash=self._crashed)
            self._crashed = self._expect_down = False
        same_run = old.state is State.RUNNING and old.pid == r.pid
        started = r.started_at or (old.started_at if same_run else None) or self.ctx.clock.time()
        self._set(State.RUNNING, pid=r.pid, started_at=started, reason=self._note,
                  extra={**self.status.extra, "owner_detail": str(detail)})
        if r.pid and self._sample_due is None:
            self._sample_due = now
        self._health(r.health, now)

    def _moving(self, target: State, r: OwnerCheck, detail: Reason | str) -> None:
        self._first_look(r, detail)
        if self.status.state is State.RUNNING and target is State.STARTING:
            self._went_down(Reason(N_("{detail}: it went down and its owner is starting it again"), detail=detail), None,
                            expected=self._expect_down)
        if target is State.STOPPING and self.status.state is State.STOPPED:
            target = State.STOPPED  # still going down when we first looked: it is not up
        self._set(target, pid=r.pid, reason=Reason(N_("{owner}: {detail}"), owner=self.owner.describe(), detail=detail),
                  extra={**self.status.extra, "owner_detail": str(detail)})

    def _down(self, r: OwnerCheck, detail: Reason | str, code: int | None) -> None:
        self._first_look(r, detail)
        if self.status.is_up or self.status.state is State.STOPPING:
            self._went_down(detail, code, expected=self._expect_down)
        self._health_streak = policy.Streak()
        self._set(State.STOPPED, reason=Reason(N_("{owner}: {detail}"), owner=self.owner.describe(), detail=detail),
                  pid=None, memory=None, cpu=None,
                  health=Health.UNKNOWN if self.health_cfg else Health.NONE, health_detail="",
                  extra={**self.status.extra, "owner_detail": str(detail)})

    def _went_down(self, text: Reason | str, code: int | None, expected: bool) -> None:
        old = self.status
        uptime = None if old.started_at is None else round(max(0.0, self.ctx.clock.time() - old.started_at), 3)
        self.ctx.journal.record("exit", self.cfg.name, pid=old.pid, code=code, signal=None, text=text,
                                uptime=uptime, last_stderr="", expected=expected)
        self._crashed = self._crashed or not expected
        self._expect_down = False
        self._sample_due, self._sampler = None, None
        self._set(old.state, last_exit_at=self.ctx.clock.time(),
                  last_exit=None if code is None else ExitInfo(code=code))

    def _health(self, result: ProbeResult | None, now: float) -> None:
        if result is None or self.health_cfg is None:
            return
        self._health_streak = self._health_streak.observe(not result.ok)
        if result.ok:
            self._set_health(Health.HEALTHY, result.detail)
        elif self._health_streak.reached(self.health_cfg.failures):
            self._set_health(Health.UNHEALTHY, result.detail)
            self._maybe_restart(now, "health", self.health_cfg.action)
        else:
            self._set(self.status.state, health_detail=result.detail)

    def _set_health(self, health: Health, detail: Reason | str) -> None:
        if health is not self.status.health:
            self.ctx.journal.record("health", self.cfg.name, status=str(health), detail=detail)
        self._set(self.status.state, health=health, health_detail=detail)

    def _maybe_restart(self, now: float, why: str, action: str) -> None:
        """Restart through the owner, within the same restart intensity as managed mode."""
        self._auto_restarts = list(policy.recent(self._auto_restarts, now, self.cfg.window))
        if action != "restart" or refusal(self.status, "restart") is not None or self.owner.kind == "url":
            return
        if len(self._auto_restarts) >= self.cfg.max_restarts:
            return
        self._auto_restarts.append(now)
        self._health_streak = policy.Streak()
        self._control("restart", why, now)

    # -- the step ---------------------------------------------------------------------------

    def step(self, now: float) -> float | None:
        """Start a look when one is due, sample memory/CPU; return the next deadline."""
        if not self._busy and self._check_due is not None and now >= self._check_due:
            self._launch(now)
        due = self._sample_due is not None and now >= self._sample_due
        if due and self.status.pid and self.status.state is State.RUNNING:
            self._sample_due = now + self.cfg.limits.interval
            self._sample(now)
        deadlines = [None if self._busy else self._check_due,
                     self._sample_due if self.status.pid else None]
        return min((d for d in deadlines if d is not None), default=None)

    def _sample(self, now: float) -> None:
        if self._sampler is None:
            self._sampler = self.ctx.sampler()
        assert self.status.pid is not None
        sample = self._sampler.sample(self.status.pid)
        if sample is None:
            return
        self._set(self.status.state, memory=sample.rss, cpu=round(sample.cpu, 1))
        self._limits, hit = self._limits.observe(sample.rss, sample.cpu)
        if hit is not None:
            self.ctx.journal.record("limit", self.cfg.name, kind=hit.kind, value=hit.value, limit=hit.limit,
                                    action=self.cfg.limits.action, samples=self.cfg.limits.samples)
            self._maybe_restart(now, "limit", self.cfg.limits.action)

    # -- the one place that changes state ---------------------------------------------------

    # -- when trayapp itself fails ----------------------------------------------------------

    def fault(self, now: float, error: Exception, during: str) -> None:
        """Handling it raised (a bug in trayapp): say so and keep looking, as if the look had failed."""
        text = internal_error(during, error)
        if str(text) != self._fault_said:  # a fault that repeats at every look is told once
            self.ctx.journal.record("fault", self.cfg.name, during=during, error=f"{type(error).__name__}: {error}",
                                    message=text)
        self._fault_said = str(text)
        self._busy, self._queued, self._check_due = False, None, now + self.interval
        self._set(self.status.state, reason=text)

    def _set(self, state: State, **changes: Any) -> None:
        old = self.status
        new = moved(old, state, self.ctx.clock.time(), **changes)
        if new != old:
            self.status = new
            self.ctx.publish(old, new)


def _uid() -> int:
    if sys.platform == "win32":
        return 501  # only launchd's gui/UID domain uses it, and there is no launchd there
    return os.getuid()


def _local_listener(health: HealthConfig | None, listener: Callable[[str, int], int | None]) -> int | None:
    """The pid behind a loopback health URL: a url owner's process can be seen when it is local."""
    address = port_of(health.url) if health is not None and health.url else None
    if address is None or address[0] not in _LOOPBACK:
        return None
    try:
        return listener(*address)
    except Exception:
        return None




if TYPE_CHECKING:
    from trayapp.supervisor.supervised import Supervised

    _IS_SUPERVISED: type[Supervised] = AttachedProgram  # the type checker proves the whole interface
