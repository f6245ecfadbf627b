"""No exception stops supervision: a bug in handling one program becomes that program's visible
fault (reason, journal entry), its child is neither forgotten nor reported alive when dead, Restart
keeps working, and the other programs carry on."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes import SIGTERM
from tests.unit.supervisor_rig import make_rig
from tests.unit.test_attach import SYSTEMD, make as make_attached
from trayapp.status import State
from trayapp.supervisor import policy
from trayapp.supervisor.messages import Restart, Start

BASIC = """
[programs.assistant]
command = ["bot", "serve"]
startsecs = "2s"
retry_after_give_up = "10m"
[programs.assistant.backoff]
initial = "1ms"
multiplier = 1000000
max = "10ms"
[programs.models]
command = ["ollama", "serve"]
startsecs = "2s"
"""


def overflowing(*args: object, **kwargs: object) -> policy.Decision:
    raise OverflowError("(34, 'Numerical result out of range')")


def test_an_exception_handling_an_exit_leaves_no_dead_pid_running_and_restart_works(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rig = make_rig(tmp_path, BASIC)
    rig.sup.submit(Start())
    rig.advance(3)
    dead = rig.spawner.children[0]
    monkeypatch.setattr(policy, "decide", overflowing)  # what a huge multiplier did (issue 16)
    dead.exit(1)
    rig.step()
    status = rig.status()
    assert status.pid is None and status.state is State.GIVEN_UP, "no 'running pid N' for a dead pid"
    assert str(status.reason).startswith("trayapp hit an internal error while handling its exit (OverflowError")
    assert str(status.reason).endswith("trying again in 10m")
    fault = [e for e in rig.entries if e["event"] == "fault"]
    assert len(fault) == 1 and fault[0]["error"].startswith("OverflowError")
    monkeypatch.undo()
    rig.sup.submit(Restart())
    rig.step()
    assert rig.status().state is State.STARTING and rig.status().pid == rig.spawner.last.pid != dead.pid


def test_the_slow_retry_after_a_fault_starts_it_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rig = make_rig(tmp_path, BASIC)
    rig.sup.submit(Start())
    rig.advance(3)
    monkeypatch.setattr(policy, "decide", overflowing)
    rig.spawner.children[0].exit(1)
    rig.step()
    monkeypatch.undo()
    rig.advance(600)
    assert rig.status().state is State.STARTING and len(rig.spawner.children) == 3  # 2 programs + the retry


def test_an_exception_with_the_child_alive_keeps_it_watched_and_controllable(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rig = make_rig(tmp_path, BASIC)
    rig.sup.submit(Start())
    rig.advance(3)
    alive = rig.spawner.children[0]
    monkeypatch.setattr(rig.sup.programs["assistant"], "_sample", lambda now: 1 / 0)
    for _ in range(3):
        rig.sup.step()  # a fault every step: told once, and the loop is not spun
        rig.clock.advance(5)
    status = rig.status()
    assert status.state is State.RUNNING and status.pid == alive.pid
    assert "internal error while advancing its timers (ZeroDivisionError" in str(status.reason)
    assert "it keeps running and Restart still works" in str(status.reason)
    assert [e["event"] for e in rig.entries].count("fault") == 1
    assert rig.status("models").state is State.RUNNING
    rig.sup.submit(Restart("assistant"))
    rig.sup.step()
    assert alive.signals == [SIGTERM] and rig.status().state is State.STOPPING


def test_a_fault_that_raises_itself_does_not_stop_the_others(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rig = make_rig(tmp_path, BASIC)
    rig.sup.submit(Start())
    rig.step()
    broken = rig.sup.programs["assistant"]
    monkeypatch.setattr(broken, "step", lambda now: 1 / 0)
    monkeypatch.setattr(broken, "fault", lambda now, error, during: 1 / 0)
    rig.clock.advance(3)
    deadline = rig.sup.step()
    assert rig.status("models").state is State.RUNNING
    assert deadline is not None and deadline > rig.clock.monotonic(), "a broken program must not spin the loop"


def test_an_attached_program_keeps_being_looked_at_after_a_fault(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rig = make_attached(tmp_path, SYSTEMD)
    rig.settle()
    program = rig.sup.programs["assistant"]
    with monkeypatch.context() as patch:
        patch.setattr(type(program), "_observe_owner", lambda self, r, now: 1 / 0)
        rig.advance(10)
    assert "internal error while handling a health check (ZeroDivisionError" in str(rig.status.reason)
    assert "fault" in rig.kinds()
    rig.owner.active = "failed"
    rig.advance(10)
    assert rig.status.state is State.STOPPED, "the next look still happened"
    assert "internal error" not in str(rig.status.reason), "a look that works says what is true now"
