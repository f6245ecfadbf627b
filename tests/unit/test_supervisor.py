"""The supervisor's state machine, stepped by hand with a fake clock and fake children."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes import SIGTERM
from tests.unit.supervisor_rig import make_rig
from trayapp.errors import SpawnError
from trayapp.i18n import N_
from trayapp.message import Message
from trayapp.supervisor.messages import Quit, Restart, Start, Stop
from trayapp.supervisor.resources import Sample
from trayapp.status import Health, Mode, State
from trayapp.supervisor.state import IllegalTransition, check_transition

BASIC = """
[programs.assistant]
command = ["bot", "serve"]
startsecs = "2s"
stop_timeout = "10s"
max_restarts = 3
window = "1m"
[programs.assistant.backoff]
initial = "1s"
multiplier = 2
max = "60s"
jitter = 0
"""


def test_start_then_stable_after_startsecs(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, BASIC)
    rig.sup.submit(Start())
    rig.step()
    assert rig.status().state is State.STARTING and rig.status().pid == 100
    assert rig.advance(1.9) is not None and rig.status().state is State.STARTING
    rig.advance(0.1)
    assert rig.status().state is State.RUNNING
    assert rig.kinds() == ["start", "running"]


@pytest.mark.parametrize("extra", ["", '[programs.assistant.health]\nurl = "http://127.0.0.1:9/"\ninterval = "5s"\n'])
def test_an_idle_running_program_asks_for_no_early_wakeups(tmp_path: Path, extra: str) -> None:
    rig = make_rig(tmp_path, BASIC + extra)
    rig.sup.submit(Start())
    rig.step()
    rig.advance(3)
    for _ in range(10):
        rig.run_background()
        deadline = rig.step()
        assert deadline is not None and deadline > rig.clock.monotonic(), "a deadline in the past spins the loop"
        rig.clock.advance(deadline - rig.clock.monotonic())


def test_crash_loop_backs_off_exponentially_then_gives_up(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, BASIC)
    rig.sup.submit(Start())
    rig.step()
    delays = []
    for _ in range(4):
        rig.clock.advance(0.5)
        rig.spawner.last.exit(1)
        rig.step()
        if rig.status().state is State.GIVEN_UP:
            break
        retry_at = rig.status().retry_at
        assert rig.status().state is State.BACKOFF and retry_at is not None
        delays.append(retry_at - rig.clock.time())
        rig.advance(delays[-1])
        assert rig.status().state is State.STARTING
    assert delays == [1.0, 2.0, 4.0]
    status = rig.status()
    assert status.state is State.GIVEN_UP
    assert str(status.reason).startswith("gave up after 4 crashes in 1m (exit 1)")
    assert len(rig.spawner.children) == 4
    assert rig.kinds().count("gave_up") == 1


def test_given_up_retries_slowly_and_manual_start_clears_it(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, BASIC.replace("max_restarts = 3", "max_restarts = 0\nretry_after_give_up = \"10m\""))
    rig.sup.submit(Start())
    rig.step()
    rig.spawner.last.exit(1)
    rig.step()
    assert rig.status().state is State.GIVEN_UP
    assert rig.step() == pytest.approx(rig.clock.monotonic() + 600)
    rig.advance(599)
    assert len(rig.spawner.children) == 1
    rig.advance(1)
    assert rig.status().state is State.STARTING and len(rig.spawner.children) == 2
    rig.spawner.last.exit(1)  # the slow retry fails quickly: straight back to given up
    rig.step()
    assert rig.status().state is State.GIVEN_UP
    rig.sup.submit(Start())
    rig.step()
    assert rig.status().state is State.STARTING and rig.status().failures == 0


def test_ex_config_exit_gives_up_without_retry(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, BASIC)
    rig.sup.submit(Start())
    rig.step()
    rig.spawner.last.exit(78)
    assert rig.step() is None
    assert rig.status().state is State.GIVEN_UP and rig.status().retry_at is None
    assert "exit 78" in str(rig.status().reason)
    rig.advance(3600)
    assert len(rig.spawner.children) == 1


def test_zero_backoff_restarts_in_the_same_step(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, BASIC.replace('initial = "1s"', 'initial = "0s"'))
    rig.sup.submit(Start())
    rig.step()
    rig.spawner.last.exit(1)
    rig.step()
    assert rig.status().state is State.STARTING and len(rig.spawner.children) == 2
    assert [s.state for s in rig.changes][-2:] == [State.BACKOFF, State.STARTING]


def test_stop_escalates_to_kill_after_stop_timeout(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, BASIC)
    rig.sup.submit(Start())
    rig.step()
    child = rig.spawner.last
    rig.sup.submit(Stop())
    rig.step()
    assert rig.status().state is State.STOPPING and child.signals == [SIGTERM]
    rig.advance(9.9)
    assert not child.killed
    rig.advance(0.1)
    assert child.killed
    child.exit(-9)
    rig.step()
    assert rig.status().state is State.STOPPED
    assert rig.kinds()[-1] == "exit" and rig.entries[-1]["expected"] is True
    rig.advance(3600)
    assert len(rig.spawner.children) == 1  # a stop is not a crash: no restart


def test_user_restart_stops_then_starts(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, BASIC)
    rig.sup.submit(Start())
    rig.advance(3)
    rig.sup.submit(Restart())
    rig.step()
    assert rig.status().state is State.STOPPING
    rig.spawner.last.exit(0)
    rig.step()
    assert rig.status().state is State.STARTING and len(rig.spawner.children) == 2
    assert "restart" in rig.kinds()


def test_stale_exit_report_is_ignored(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, BASIC.replace('initial = "1s"', 'initial = "0s"'))
    rig.sup.submit(Start())
    rig.step()
    first = rig.spawner.last
    first.exit(1)
    rig.step()
    first.on_exit(1)  # the same report again, e.g. a late duplicate
    rig.step()
    assert rig.status().state is State.STARTING and len(rig.spawner.children) == 2


def test_missing_binary_gives_up_with_install_hint_and_no_tight_loop(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, '[programs.assistant]\npreset = "nanobot"\n')
    rig.spawner.fail_with = SpawnError(Message(N_("command not found: {command}"), command="nanobot"), missing=True)
    rig.sup.submit(Start())
    rig.step()
    status = rig.status()
    assert status.state is State.GIVEN_UP
    assert "command not found: nanobot" in str(status.reason) and "pip install nanobot-ai" in str(status.reason)
    for _ in range(50):
        rig.advance(1)
    assert rig.kinds().count("spawn_failed") == 1


def test_health_failures_after_grace_restart_the_program(tmp_path: Path) -> None:
    toml = BASIC + """
[programs.assistant.health]
url = "http://127.0.0.1:9/health"
interval = "5s"
failures = 2
start_grace = "10s"
"""
    rig = make_rig(tmp_path, toml, probe=[True, False])
    rig.sup.submit(Start())
    rig.step()
    rig.advance(1)
    rig.run_background()
    rig.step()
    assert rig.status().health is Health.HEALTHY
    for _ in range(2):
        rig.advance(5)
        rig.run_background()
        rig.step()
    assert rig.status().health is Health.UNHEALTHY
    assert rig.status().state is State.STOPPING
    assert [e["reason"] for e in rig.entries if e["event"] == "restart"] == ["health"]


def test_health_failures_within_start_grace_do_not_count(tmp_path: Path) -> None:
    toml = BASIC + '[programs.assistant.health]\nurl = "http://127.0.0.1:9/"\ninterval = "1s"\nfailures = 1\nstart_grace = "30s"\n'
    rig = make_rig(tmp_path, toml, probe=[False])
    rig.sup.submit(Start())
    rig.step()
    for _ in range(20):
        rig.advance(1)
        rig.run_background()
        rig.step()
    assert rig.status().state is State.RUNNING and rig.status().health is Health.UNKNOWN
    for _ in range(12):
        rig.advance(1)
        rig.run_background()
        rig.step()
    assert "restart" in rig.kinds()


def test_memory_over_limit_for_n_samples_restarts(tmp_path: Path) -> None:
    toml = BASIC + '[programs.assistant.limits]\nmemory = "100MB"\nsamples = 3\ninterval = "5s"\n'
    big, small = Sample(rss=200_000_000, cpu=1, processes=2), Sample(rss=10_000_000, cpu=1, processes=2)
    rig = make_rig(tmp_path, toml, samples=[big, big, small, big, big, big])
    rig.sup.submit(Start())
    rig.step()
    for _ in range(5):
        rig.advance(5)
    assert "limit" not in rig.kinds() and rig.status().memory == 200_000_000
    rig.advance(5)
    limit = [e for e in rig.entries if e["event"] == "limit"]
    assert limit and limit[0]["kind"] == "memory" and limit[0]["value"] == 200_000_000
    assert rig.status().state is State.STOPPING


def test_port_already_answering_starts_nothing_and_reports_external(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, '[programs.assistant]\npreset = "nanobot"\n')
    rig.ports[18790] = 4242
    rig.sup.submit(Start())
    rig.step()
    status = rig.status()
    assert rig.spawner.children == []
    assert status.mode is Mode.EXTERNAL and status.state is State.RUNNING and status.pid == 4242
    assert "already running outside trayapp (pid 4242)" in str(status.reason)
    rig.sup.submit(Stop())
    rig.step()
    assert rig.status().state is State.STOPPED and rig.spawner.children == []


def test_quit_stops_every_program(tmp_path: Path) -> None:
    toml = BASIC + '[programs.models]\ncommand = ["ollama", "serve"]\n'
    rig = make_rig(tmp_path, toml)
    rig.sup.submit(Start())
    rig.step()
    assert len(rig.spawner.children) == 2
    rig.sup.submit(Quit())
    rig.step()
    assert all(c.signals == [SIGTERM] for c in rig.spawner.children)
    for child in rig.spawner.children:
        child.exit(0)
    rig.step()
    assert rig.sup.all_down()


# Every edge neither machine makes (the table's coverage is checked in test_transitions.py).
# STOPPING -> RUNNING is not here: attach mode sees it when the owner finishes a restart between looks.
@pytest.mark.parametrize("old, new", [(State.STOPPED, State.BACKOFF), (State.STOPPED, State.STOPPING),
                                      (State.BACKOFF, State.STOPPING), (State.STOPPING, State.BACKOFF),
                                      (State.GIVEN_UP, State.BACKOFF), (State.GIVEN_UP, State.STOPPING)])
def test_illegal_transitions_raise(old: State, new: State) -> None:
    with pytest.raises(IllegalTransition):
        check_transition(old, new)


def test_known_fatal_output_gives_up_at_once_with_advice(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, '[programs.assistant]\npreset = "nanobot"\n')
    rig.sup.submit(Start())
    rig.step()
    rig.log.print(rig.spawner.logs[-1], "stdout", "Gateway cannot start: No provider is configured for model 'anthropic/x'.")
    rig.log.print(rig.spawner.logs[-1], "stdout", "  Check: nanobot status --config ~/.nanobot/config.json")
    rig.spawner.last.exit(1)
    rig.step()
    status = rig.status()
    assert status.state is State.GIVEN_UP and len(rig.spawner.children) == 1
    assert str(status.reason).startswith("gave up: cannot start (exit 1): no model provider is configured")
    assert status.retry_at is not None  # fixed config is picked up by the slow retry
    assert status.last_stderr.startswith("Check: nanobot status"), "stdout stands in when stderr is silent"


def test_ordinary_output_does_not_stop_restarts(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, '[programs.assistant]\npreset = "nanobot"\n')
    rig.sup.submit(Start())
    rig.step()
    # What a gateway without a provider says while it starts anyway; it later dies of another cause.
    rig.log.print(rig.spawner.logs[-1], "stdout", "Provider/model setup is incomplete: No provider is configured for model "
                           "'anthropic/claude-opus-4-5'. Gateway will start")
    rig.log.print(rig.spawner.logs[-1], "stdout", "Error: nanobot cannot start because one of its local ports is already in use.")
    rig.log.print(rig.spawner.logs[-1], "stderr", "Traceback: something else broke")
    rig.spawner.last.exit(1)
    rig.step()
    assert rig.status().state is State.BACKOFF
    assert rig.status().last_stderr == "Traceback: something else broke"


def test_a_refusal_from_an_earlier_run_does_not_decide_a_later_crash(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, '[programs.assistant]\npreset = "nanobot"\n')
    rig.sup.submit(Start())
    rig.step()
    rig.log.print(rig.spawner.logs[-1], "stdout", "Gateway cannot start: No provider is configured for model 'x'.")
    rig.spawner.last.exit(1)
    rig.step()
    assert rig.status().state is State.GIVEN_UP
    rig.sup.submit(Start())  # the user fixed the provider and starts it again; it dies of something else
    rig.step()
    rig.log.print(rig.spawner.logs[-1], "stderr", "Traceback (most recent call last):\nKeyError: 'channels'")
    rig.spawner.last.exit(1)
    rig.step()
    status = rig.status()
    assert status.state is State.BACKOFF, status.reason
    assert status.last_crash is not None and status.last_crash.headline == "KeyError: 'channels'"


def test_a_program_that_never_gets_healthy_is_given_up_not_restarted_forever(tmp_path: Path) -> None:
    toml = BASIC + """
[programs.assistant.health]
url = "http://127.0.0.1:9/health"
interval = "1s"
failures = 1
start_grace = "0s"
"""
    rig = make_rig(tmp_path, toml, probe=[False])
    rig.sup.submit(Start())
    rig.step()
    for _ in range(40):
        rig.advance(1)
        rig.run_background()
        rig.step()
        if rig.status().state is State.STOPPING:
            rig.spawner.last.exit(0)  # it stops when asked
            rig.step()
        if rig.status().state is State.GIVEN_UP:
            break
    status = rig.status()
    assert status.state is State.GIVEN_UP
    assert str(status.reason).startswith("gave up: failing its health check (connection refused); 3 restarts in 1m did not help")
    assert len(rig.spawner.children) == 4 and status.restarts == 3
    assert [e["reason"] for e in rig.entries if e["event"] == "restart"] == ["health"] * 3


def test_a_user_start_while_waiting_clears_the_old_retry_timer(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, BASIC.replace("max_restarts = 3", 'max_restarts = 0\nretry_after_give_up = "10m"'))
    rig.sup.submit(Start())
    rig.step()
    rig.spawner.last.exit(1)
    rig.step()
    assert rig.status().state is State.GIVEN_UP
    rig.sup.submit(Start())  # the user fixed it and pressed Start
    rig.step()
    rig.advance(3)
    assert rig.status().state is State.RUNNING
    for _ in range(3):
        rig.advance(600)  # past the old slow-retry time: nothing may be due (the rig checks)
    assert len(rig.spawner.children) == 2


def test_stopping_during_startsecs_keeps_no_stale_deadline(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, BASIC)
    rig.sup.submit(Start())
    rig.step()
    rig.sup.submit(Stop())
    rig.step()
    rig.advance(5)  # past startsecs while still STOPPING: the rig checks nothing stale is due
    assert rig.status().state is State.STOPPING


def test_start_and_restart_are_ignored_once_quitting(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, BASIC)
    rig.sup.submit(Start())
    rig.step()
    rig.sup.submit(Quit())
    rig.sup.submit(Restart())
    rig.sup.submit(Start())
    rig.step()
    rig.spawner.last.exit(0)
    rig.step()
    assert rig.status().state is State.STOPPED and len(rig.spawner.children) == 1
    assert rig.sup.all_down()


def test_a_user_restart_overrides_a_pending_give_up(tmp_path: Path) -> None:
    toml = BASIC.replace("max_restarts = 3", "max_restarts = 0") + (
        '[programs.assistant.health]\nurl = "http://127.0.0.1:9/"\ninterval = "1s"\nfailures = 1\nstart_grace = "0s"\n')
    rig = make_rig(tmp_path, toml, probe=[False])
    rig.sup.submit(Start())
    rig.step()
    rig.advance(1)
    rig.run_background()
    rig.step()
    assert rig.status().state is State.STOPPING  # on its way to "given up"
    rig.sup.submit(Restart())
    rig.step()
    rig.spawner.last.exit(0)
    rig.step()
    assert rig.status().state is State.STARTING and len(rig.spawner.children) == 2


def test_one_programs_bug_does_not_stop_the_others(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rig = make_rig(tmp_path, BASIC + '[programs.models]\ncommand = ["ollama", "serve"]\n')
    rig.sup.submit(Start())
    rig.step()
    broken = rig.sup.programs["assistant"]
    monkeypatch.setattr(broken, "step", lambda now: 1 / 0)
    rig.clock.advance(3)
    rig.sup.step()
    assert rig.status("models").state is State.RUNNING


def test_a_step_long_after_a_quick_restart_leaves_no_deadline_in_the_past(tmp_path: Path) -> None:
    # Found by the property test: becoming RUNNING and resetting the backoff are due in one late step.
    rig = make_rig(tmp_path, BASIC.replace('initial = "1s"', 'initial = "0s"'))
    rig.sup.submit(Start())
    rig.step()
    rig.spawner.last.exit(1)
    rig.step()
    assert rig.status().state is State.STARTING and rig.status().failures == 1
    rig.advance(700)  # the rig fails on a deadline in the past
    assert rig.status().state is State.RUNNING and rig.status().failures == 0


def test_each_resource_sample_notes_the_childs_descendants(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, BASIC)
    rig.sup.submit(Start())
    rig.step()
    for _ in range(3):
        rig.advance(10)  # limits.interval defaults to 10s
    assert rig.spawner.last.remembered == 3, "so ones that setsid() away still die with the tree"
