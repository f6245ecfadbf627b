"""Restart decisions as pure functions of exit codes, counts and timestamps. No I/O, no clock."""

from __future__ import annotations

import enum
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from trayapp.config import BackoffConfig, LimitsConfig, ProgramConfig
from trayapp.i18n import N_
from trayapp.message import Duration, Message, Size
from trayapp.status import ExitInfo


class Verdict(enum.StrEnum):
    RESTART = "restart"
    STOP = "stop"  # done: a clean exit under on-failure, or restart = never
    GIVE_UP = "give_up"  # an exit code that must not be restarted, or too many restarts


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    reason: Message
    delay: float = 0.0
    # GIVE_UP: the reason is a whole sentence that says it gave up ("gave up after 5 crashes…");
    # otherwise it names the cause, and whoever shows it says "gave up" first.
    says_gave_up: bool = False


# The longest delay any restart waits, whatever the configuration says: deadlines and the words
# that show them stay finite and readable.
MAX_DELAY = 7 * 86400.0
MAX_WINDOW = 365 * 86400.0  # a restart-intensity window longer than a year means "ever"


def clamp(value: float, low: float, high: float) -> float:
    """`value` within [low, high]; NaN counts as `low` (a broken number must not stop supervision)."""
    return low if value != value else min(high, max(low, value))  # NaN is the only value != itself


def backoff_delay(backoff: BackoffConfig, failures: int, rand: Callable[[], float] = random.random) -> float:
    """Delay before restart number `failures` (1 = first): initial * multiplier^(n-1), capped, ± jitter.

    Computed in logarithms and clamped at every step: a huge multiplier or days of slow crashes
    must not overflow a float (an exception here would stop supervision of this program)."""
    initial = clamp(backoff.initial, 0.0, MAX_DELAY)
    if failures <= 0 or initial <= 0:
        return 0.0
    cap = clamp(backoff.max, 0.0, MAX_DELAY)
    multiplier, exponent = clamp(backoff.multiplier, 1.0, 1e300), min(failures - 1, 10_000)
    # Compared in logarithms; the power is taken only when it is known to stay below the cap.
    over = math.log(initial) + math.log(multiplier) * exponent >= math.log(cap or 1e-300)
    raw = cap if over else initial * multiplier ** exponent
    jitter = clamp(backoff.jitter, 0.0, 1.0) * (2 * clamp(rand(), 0.0, 1.0) - 1)
    return clamp(raw * (1 + jitter), 0.0, MAX_DELAY)


def is_success(program: ProgramConfig, exit_info: ExitInfo) -> bool:
    return exit_info.signal is None and exit_info.code in program.exit_codes


def recent(times: Sequence[float], now: float, window: float) -> tuple[float, ...]:
    """The timestamps that fall within `window` seconds before `now`."""
    return tuple(t for t in times if now - t < window)


def decide(program: ProgramConfig, exit_info: ExitInfo, *, failures: int,
           restart_times: Sequence[float], now: float,
           rand: Callable[[], float] = random.random) -> Decision:
    """What to do after an unrequested exit.

    `failures` counts this exit already; `restart_times` are monotonic times of earlier automatic
    restarts. Restart intensity: more than `max_restarts` restarts within `window` gives up.
    """
    what = exit_info.message()
    if exit_info.signal is None and exit_info.code in program.no_restart_exit_codes:
        return Decision(Verdict.GIVE_UP, Message(N_("exited ({exit}): {hint}"), exit=what,
                                                 hint=_no_restart_hint(program, exit_info.code or 0)))
    if program.restart == "never" or (program.restart == "on-failure" and is_success(program, exit_info)):
        return Decision(Verdict.STOP, Message(N_("exited ({exit})"), exit=what))
    window = clamp(program.window, 0.0, MAX_WINDOW)
    within = recent(restart_times, now, window)
    if len(within) >= program.max_restarts:
        return Decision(Verdict.GIVE_UP, crash_loop(len(within) + 1, window, exit_info), says_gave_up=True)
    return Decision(Verdict.RESTART, Message(N_("crashed ({exit})"), exit=what),
                    backoff_delay(program.backoff, failures, rand))


def crash_loop(crashes: int, window: float, exit_info: ExitInfo) -> Message:
    """The give-up reason of a crash loop: "gave up after 5 crashes in 2m (exit 1)"."""
    return Message(N_("gave up after {crashes} crashes in {window} ({exit})"), crashes=crashes,
                   window=Duration(window), exit=exit_info.message())


def _no_restart_hint(program: ProgramConfig, code: int) -> Message:
    """What a no-restart exit code means: the preset's words (N_-marked there), else trayapp's."""
    meaning = program.info.exit_meanings.get(code)
    if meaning:
        return Message(meaning)
    return Message(N_("this exit code means the configuration must be fixed first") if code == 78
                   else N_("this exit code is marked as no-restart"))


def failures_after_uptime(program: ProgramConfig, failures: int, uptime: float) -> int:
    """Backoff resets once a run has stayed up for `backoff.reset_after` seconds."""
    return 0 if uptime >= program.backoff.reset_after else failures


@dataclass(frozen=True)
class Streak:
    """Consecutive bad observations (failed health checks, over-limit samples)."""

    count: int = 0

    def observe(self, bad: bool) -> "Streak":
        return Streak(self.count + 1 if bad else 0)

    def reached(self, threshold: int) -> bool:
        return self.count >= threshold


@dataclass(frozen=True)
class LimitHit:
    kind: str  # "memory" | "cpu"
    value: float  # bytes, or percent of one core
    limit: float

    def message(self) -> Message:
        """"over its memory limit (1.2GB, the limit is 1GB)"."""
        if self.kind == "memory":
            return Message(N_("over its memory limit ({value}, the limit is {limit})"),
                           value=Size(self.value), limit=Size(self.limit))
        return Message(N_("over its CPU limit ({value}%, the limit is {limit}%)"),
                       value=f"{self.value:.0f}", limit=f"{self.limit:g}")


def over_limit(limits: LimitsConfig, rss: int, cpu: float) -> LimitHit | None:
    """Which limit one sample of the whole tree is over, if any."""
    if limits.memory is not None and rss > limits.memory:
        return LimitHit("memory", rss, limits.memory)
    if limits.cpu is not None and cpu > limits.cpu:
        return LimitHit("cpu", cpu, limits.cpu)
    return None


@dataclass(frozen=True)
class LimitGuard:
    """Acts only after `limits.samples` consecutive samples over a limit; then starts counting anew."""

    limits: LimitsConfig
    streak: Streak = Streak()

    def observe(self, rss: int, cpu: float) -> tuple["LimitGuard", LimitHit | None]:
        """The next guard, and the hit to act on now (None: nothing to do yet)."""
        hit = over_limit(self.limits, rss, cpu)
        streak = self.streak.observe(hit is not None)
        if hit is not None and streak.reached(self.limits.samples):
            return LimitGuard(self.limits), hit
        return LimitGuard(self.limits, streak), None
