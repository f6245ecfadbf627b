"""Restart policy as a table: exit, counts and times in; verdict, reason and delay out."""

from __future__ import annotations

import pytest

from trayapp import config
from trayapp.config import BackoffConfig
from trayapp.supervisor import policy
from trayapp.supervisor.policy import Verdict
from trayapp.status import ExitInfo


def program(**keys: str) -> config.ProgramConfig:
    body = "\n".join(f"{k} = {v}" for k, v in keys.items())
    return config.parse(f'[programs.p]\ncommand = ["x"]\n{body}\n', environ={}).programs["p"]


@pytest.mark.parametrize("failures, expected", [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (7, 60.0), (20, 60.0)])
def test_backoff_doubles_up_to_the_cap(failures: int, expected: float) -> None:
    b = BackoffConfig(initial=1, multiplier=2, max=60, jitter=0)
    assert policy.backoff_delay(b, failures) == expected


@pytest.mark.parametrize("rand, expected", [(0.0, 3.6), (0.5, 4.0), (1.0, 4.4)])
def test_jitter_stays_within_its_fraction(rand: float, expected: float) -> None:
    b = BackoffConfig(initial=1, multiplier=2, max=60, jitter=0.1)
    assert policy.backoff_delay(b, 3, rand=lambda: rand) == pytest.approx(expected)


def test_zero_initial_backoff_means_restart_at_once() -> None:
    assert policy.backoff_delay(BackoffConfig(initial=0), 5) == 0.0


@pytest.mark.parametrize(
    "restart, exit_info, verdict",
    [
        ('"on-failure"', ExitInfo(code=1), Verdict.RESTART),
        ('"on-failure"', ExitInfo(code=0), Verdict.STOP),
        ('"on-failure"', ExitInfo(signal=9), Verdict.RESTART),
        ('"always"', ExitInfo(code=0), Verdict.RESTART),
        ('"never"', ExitInfo(code=1), Verdict.STOP),
        ('"always"', ExitInfo(code=78), Verdict.GIVE_UP),
        ('"on-failure"', ExitInfo(code=78), Verdict.GIVE_UP),
    ],
)
def test_verdict_by_restart_policy_and_exit(restart: str, exit_info: ExitInfo, verdict: Verdict) -> None:
    decision = policy.decide(program(restart=restart), exit_info, failures=1, restart_times=(), now=100.0)
    assert decision.verdict is verdict


def test_ex_config_says_fix_the_configuration() -> None:
    decision = policy.decide(program(), ExitInfo(code=78), failures=1, restart_times=(), now=0)
    assert "configuration" in decision.reason and "exit 78" in decision.reason


def test_custom_success_codes_are_not_failures() -> None:
    p = program(exit_codes="[0, 3]")
    assert policy.decide(p, ExitInfo(code=3), failures=1, restart_times=(), now=0).verdict is Verdict.STOP


@pytest.mark.parametrize(
    "restart_times, verdict",
    [
        ((), Verdict.RESTART),
        ((10.0, 20.0, 30.0, 40.0), Verdict.RESTART),  # 4 restarts within 2m: one more is allowed
        ((10.0, 20.0, 30.0, 40.0, 50.0), Verdict.GIVE_UP),  # 5 within 2m: the 6th crash gives up
        ((-200.0, -150.0, 30.0, 40.0, 50.0), Verdict.RESTART),  # old ones fall out of the window
    ],
)
def test_restart_intensity(restart_times: tuple[float, ...], verdict: Verdict) -> None:
    p = program(max_restarts="5", window='"2m"')
    decision = policy.decide(p, ExitInfo(code=1), failures=3, restart_times=restart_times, now=60.0)
    assert decision.verdict is verdict
    if verdict is Verdict.GIVE_UP:
        assert decision.reason == "gave up after 6 crashes in 2m (exit 1)"


def test_backoff_resets_after_a_stable_run() -> None:
    p = program()  # reset_after defaults to 60s
    assert policy.failures_after_uptime(p, 4, uptime=59) == 4
    assert policy.failures_after_uptime(p, 4, uptime=60) == 0


def test_streak_counts_consecutive_bad_only() -> None:
    s = policy.Streak()
    for bad in (True, True, False, True):
        s = s.observe(bad)
    assert s.count == 1 and not s.reached(2)
    assert s.observe(True).reached(2)


@pytest.mark.parametrize("samples, acts_at", [
    ([(200, 1)] * 3, [2]),                          # three in a row: act on the third
    ([(200, 1), (10, 1), (200, 1), (200, 1)], []),  # a good sample resets the count
    ([(200, 1)] * 6, [2, 5]),                       # after acting, counting starts anew
    ([(10, 99)] * 3, [2]),                          # CPU counts too
])
def test_limit_guard_acts_after_consecutive_samples(samples, acts_at) -> None:
    guard = policy.LimitGuard(config.LimitsConfig(memory=100, cpu=90, samples=3))
    acted = []
    for i, (rss, cpu) in enumerate(samples):
        guard, hit = guard.observe(rss, cpu)
        if hit is not None:
            acted.append(i)
    assert acted == acts_at


def test_limit_hit_is_in_human_units() -> None:
    hit = policy.over_limit(config.LimitsConfig(memory=1_000_000_000), 1_500_000_000, 3.0)
    assert hit == policy.LimitHit("memory", "1.5GB", "1GB")
    assert policy.over_limit(config.LimitsConfig(), 10**12, 800.0) is None  # no limits set


def test_days_of_slow_crashes_never_overflow_the_backoff() -> None:
    assert policy.backoff_delay(BackoffConfig(initial=1, multiplier=2, max=60, jitter=0), 5000) == 60.0
