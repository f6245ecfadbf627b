"""The notification policy: coalescing, rate limiting, pause. Fake time, no sleeps."""

from __future__ import annotations

from typing import Any

import pytest

from trayapp.notify.note import Urgency
from trayapp.notify.policy import Outgoing, Policy, Settings

S = Settings(quiet_after_crash=600.0, settle=0.3, update_interval=5.0, repeat_after=3600.0)


def exit_(code: int = 1, stderr: str = "boom", expected: bool = False) -> dict[str, Any]:
    return {"event": "exit", "program": "assistant", "code": code, "text": f"exit {code}",
            "last_stderr": stderr, "expected": expected, "uptime": 0.5}


def ev(event: str, /, **fields: Any) -> dict[str, Any]:
    return {"event": event, "program": "assistant", **fields}


class Run:
    """Feeds entries at given times and collects what the policy lets out."""

    def __init__(self, settings: Settings = S) -> None:
        self.policy = Policy(settings, names={"assistant": "nanobot"})
        self.sent: list[tuple[float, Outgoing]] = []
        self.now = 0.0

    def at(self, t: float, *entries: dict[str, Any]) -> "Run":
        self.advance(t)
        for entry in entries:
            self.policy.offer(entry, t)
        return self

    def advance(self, t: float) -> None:
        """Step through every deadline up to t, like the worker does."""
        while (deadline := self.policy.next_deadline()) is not None and deadline <= t:
            self.now = max(self.now, deadline)
            self.sent += [(self.now, o) for o in self.policy.due(self.now)]
        self.now = t
        self.sent += [(t, o) for o in self.policy.due(t)]

    def titles(self) -> list[str]:
        return [o.message.title for _, o in self.sent]


def test_crash_and_backoff_coalesce_into_one_notice_naming_exit_and_delay() -> None:
    run = Run().at(0.0, exit_(1, "Error: port 18790 in use"), ev("backoff", delay=4.2, failures=1))
    run.advance(1.0)
    assert run.titles() == ["nanobot crashed (exit 1) — restarting in 4s"]
    out = run.sent[0][1]
    assert "Error: port 18790 in use" in out.message.body
    assert out.slot == "assistant/trouble" and out.fresh and out.urgency is Urgency.NORMAL


def test_a_notice_waits_for_settle_before_going_out() -> None:
    run = Run().at(0.0, exit_())
    run.advance(0.29)
    assert run.sent == []
    run.advance(0.3)
    assert len(run.sent) == 1


def test_crash_loop_is_one_bubble_updated_at_most_every_update_interval() -> None:
    run = Run()
    for i in range(10):  # a crash every second for 10 s
        run.at(float(i), exit_(), ev("backoff", delay=1.0, failures=i + 1))
    run.advance(30.0)
    slots = {o.slot for _, o in run.sent}
    assert slots == {"assistant/trouble"}
    assert [o.fresh for _, o in run.sent] == [True] + [False] * (len(run.sent) - 1)
    times = [t for t, _ in run.sent]
    assert all(b - a >= 5.0 for a, b in zip(times, times[1:]))
    assert 2 <= len(run.sent) <= 4  # 10 crashes, a handful of updates, the last one kept
    last = run.sent[-1][1].message
    assert last.title == "nanobot keeps crashing (exit 1)" and "10 crashes in 9s" in last.body


def test_restarting_is_said_only_for_the_first_crash_in_a_while() -> None:
    run = Run().at(0.0, exit_(), ev("backoff", delay=2.0, failures=1))
    run.at(100.0, ev("running", after_crash=True))
    run.at(200.0, exit_(), ev("backoff", delay=2.0, failures=1))  # within quiet_after_crash
    run.at(1000.0, ev("running", after_crash=True))
    run.at(1500.0, exit_(), ev("backoff", delay=2.0, failures=1))  # 1300 s after the last one
    run.advance(2000.0)
    crashes = [o for _, o in run.sent if o.kind == "crash"]
    assert [("restarting in" in o.message.title) for o in crashes] == [True, False, True]
    assert [o.fresh for o in crashes] == [True, False, True]


def test_gave_up_always_goes_out_at_once_critical_and_replaces_the_crash_bubble() -> None:
    run = Run().at(0.0, exit_(), ev("backoff", delay=1, failures=1))
    run.advance(1.0)
    run.at(2.0, exit_(), ev("gave_up", reason="gave up after 6 crashes in 2m (exit 1)", retry_in=600))
    run.advance(2.3)  # not held back by update_interval
    kinds = [(t, o.kind) for t, o in run.sent]
    assert kinds[-1] == (2.3, "gave_up")
    gave = run.sent[-1][1]
    assert gave.urgency is Urgency.CRITICAL and not gave.fresh and gave.slot == "assistant/trouble"
    assert "Gave up after 6 crashes" in gave.message.body and "10m" in gave.message.body


def test_pause_silences_everything_but_gave_up() -> None:
    run = Run()
    run.policy.pause(until=100.0)
    run.at(0.0, exit_(), ev("health", status="unhealthy", detail="timeout"),
           {"event": "disk", "level": "warn", "path": "/", "free": 1, "total": 10},
           {"event": "backup", "ok": True, "path": "/b.tar", "size": 5})
    run.at(10.0, ev("gave_up", reason="too many crashes"))
    run.advance(50.0)
    assert [o.kind for _, o in run.sent] == ["gave_up"]
    assert run.policy.paused(50.0) and not run.policy.paused(100.0)


def test_pause_ends_by_itself_and_resume_ends_it_early() -> None:
    run = Run()
    run.policy.pause(until=100.0)
    run.at(150.0, exit_())
    run.advance(151.0)
    assert [o.kind for _, o in run.sent] == ["crash"]
    run.policy.pause(until=10_000.0)
    run.policy.resume()
    run.at(2000.0, exit_())
    run.advance(2001.0)
    assert len(run.sent) == 2


def test_a_notice_pending_when_the_pause_starts_is_dropped() -> None:
    run = Run().at(0.0, exit_())
    run.policy.pause(until=100.0)
    run.advance(1.0)
    assert run.sent == []


@pytest.mark.parametrize("paused", [False, True])
def test_recovered_is_shown_once_and_only_after_a_crash_notice(paused: bool) -> None:
    run = Run()
    run.at(0.0, ev("running", after_crash=False))  # a normal start: nothing to say
    if paused:
        run.policy.pause(until=50.0)
    run.at(10.0, exit_(), ev("backoff", delay=1, failures=1))
    run.at(20.0, ev("running", after_crash=True))
    run.at(60.0, ev("running", after_crash=True))  # a second "running": not said again
    run.advance(100.0)
    kinds = [o.kind for _, o in run.sent]
    assert kinds == ([] if paused else ["crash", "recovered"])
    if not paused:
        recovered = run.sent[-1][1]
        assert recovered.message.title == "nanobot is running again"
        assert recovered.urgency is Urgency.LOW and recovered.slot == "assistant/trouble"


def test_expected_exit_and_user_stop_are_not_news() -> None:
    run = Run().at(0.0, ev("stop", by="user"), exit_(0, expected=True), ev("running", after_crash=False))
    run.advance(10.0)
    assert run.sent == []


def test_health_failing_then_recovered_once_each() -> None:
    run = Run()
    run.at(0.0, ev("health", status="unhealthy", detail="HTTP 500 from /health"))
    run.at(30.0, ev("health", status="unhealthy", detail="still"))
    run.at(60.0, ev("health", status="healthy", detail="ok"))
    run.at(70.0, ev("health", status="healthy", detail="ok"))
    run.advance(100.0)
    assert run.titles() == ["nanobot is not responding", "nanobot is responding again"]
    assert "HTTP 500" in run.sent[0][1].message.body


def test_limit_disk_backup_and_external_messages() -> None:
    run = Run()
    run.at(0.0, ev("limit", kind="memory", value="1.2GB", limit="1GB", action="restart"),
           {"event": "disk", "level": "critical", "path": "/home", "free": 400_000_000, "total": 100_000_000_000},
           {"event": "backup", "ok": False, "error": "permission denied: /mnt/usb"},
           ev("external", pid=4242, owner="pid 4242", detail=""))
    run.at(10.0, ev("external", pid=4242, owner="pid 4242"))  # said once an hour at most
    run.advance(20.0)
    by_kind = {o.kind: o for _, o in run.sent}
    assert set(by_kind) == {"limit", "disk", "backup_failed", "external"}
    assert "1.2GB" in by_kind["limit"].message.body and "restarted" in by_kind["limit"].message.body
    assert by_kind["disk"].urgency is Urgency.CRITICAL and "400MB free" in by_kind["disk"].message.body
    assert by_kind["backup_failed"].message.title == "Backup failed"
    assert "pid 4242" in by_kind["external"].message.body
    assert len([o for _, o in run.sent if o.kind == "external"]) == 1


def test_disk_back_to_ok_is_said_only_after_a_warning() -> None:
    run = Run()
    run.at(0.0, {"event": "disk", "level": "ok", "path": "/", "free": 9, "total": 10})
    run.at(1.0, {"event": "disk", "level": "warn", "path": "/", "free": 1, "total": 10})
    run.at(10.0, {"event": "disk", "level": "ok", "path": "/", "free": 9, "total": 10})
    run.advance(20.0)
    assert run.titles() == ["Disk space is low", "Disk space is back"]


def test_ad_hoc_notes_share_the_rules() -> None:
    from trayapp.notify.messages import Message

    run = Run()
    assert run.policy.note("alert:x", "alert", Message("nanobot: x", "detail"), 0.0)
    run.advance(0.5)
    run.policy.pause(until=100.0)
    assert not run.policy.note("alert:x", "alert", Message("nanobot: x", "again"), 1.0)
    assert run.policy.note("tray", "note", Message("no menu", "install"), 1.0, bypass_pause=True)
    run.advance(5.0)
    assert run.titles() == ["nanobot: x", "no menu"]


def crash_report(headline: str, fix: str = "", known: bool = False) -> dict[str, Any]:
    return ev("crash", exit="exit 1", headline=headline, cause="", fix=fix, known=known, excerpt=[headline])


def test_the_crash_notice_carries_the_reports_exception_line_not_the_last_stderr_line() -> None:
    run = Run().at(0.0, exit_(1, "INFO Stopped websocket channel"),
                   crash_report("ValueError: bad token", "check the token", known=True),
                   ev("backoff", delay=4.2, failures=1))
    run.advance(1.0)
    body = run.sent[0][1].message.body
    assert "ValueError: bad token — fix: check the token" in body and "websocket" not in body


def test_a_gave_up_notice_carries_the_report_too() -> None:
    run = Run().at(0.0, exit_(78, ""), crash_report("configuration is missing"), ev("gave_up", reason="exit 78"))
    run.advance(1.0)
    assert any("configuration is missing" in o.message.body for _, o in run.sent if o.kind == "gave_up")


def test_degraded_is_said_once_per_episode_with_its_fix() -> None:
    run = Run()
    degraded = ev("health", status="degraded", detail="nanobot is running but has no usable model provider",
                  fix="pick a local one such as ollama")
    run.at(0.0, degraded)
    run.at(30.0, degraded)
    run.at(60.0, ev("health", status="healthy", detail="HTTP 200"))
    run.at(90.0, degraded)
    run.advance(100.0)
    assert run.titles() == ["nanobot cannot answer", "nanobot can answer again", "nanobot cannot answer"]
    assert "Fix: pick a local one such as ollama" in run.sent[0][1].message.body


def test_a_lapsed_degraded_episode_closes_so_the_next_one_is_told_and_unhealthy_is_its_own() -> None:
    run = Run()
    degraded = ev("health", status="degraded", detail="nanobot is running but has no usable model provider")
    run.at(0.0, degraded)
    run.at(30.0, ev("health", status="none", detail=""))  # no health check: the verdict lapsed
    run.at(60.0, degraded)
    run.at(90.0, ev("health", status="unhealthy", detail="HTTP 500"))
    run.advance(100.0)
    assert run.titles() == ["nanobot cannot answer", "nanobot can answer again", "nanobot cannot answer",
                            "nanobot is not responding"]


def test_a_long_crash_loop_keeps_a_bounded_record_and_counts_every_crash() -> None:
    from trayapp.notify.policy import _Trouble

    trouble = _Trouble()
    firsts = [trouble.crashed(i * 0.01, 600.0) for i in range(100_000)]  # 100 crashes a second
    assert firsts[0] and not any(firsts[1:])
    assert len(trouble.crashes) <= 70  # was one float per crash in the window: 60,000 of them
    assert 60_000 <= trouble.count <= 61_000  # the last 600 s, give or take one group
    assert trouble.crashed(1000.0 + 600.0, 600.0)  # quiet for 600 s: the next crash is a first again
