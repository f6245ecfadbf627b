"""The managed state machine under random configs and random event sequences (Hypothesis).

Whatever happens, and even when trayapp's own logic raises (a "bug" event makes the next restart
decision raise OverflowError, as a backoff multiplier of a million once did):
no exception leaves the supervisor, no deadline is in the past (the rig checks), a status never
names a dead child, a live child is never forgotten, and one program never has two live children.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.fakes import FakeChild
from tests.unit.supervisor_rig import Rig, make_rig
from trayapp.status import State
from trayapp.supervisor import policy
from trayapp.supervisor.messages import Quit, Ready, Restart, Start, Stop

configs = st.fixed_dictionaries({
    "startsecs": st.sampled_from(["0s", "500ms", "2s"]),
    "restart": st.sampled_from(["always", "on-failure", "never"]),
    "max_restarts": st.integers(0, 4),
    "window": st.sampled_from(["10s", "2m"]),
    "initial": st.sampled_from(["0s", "1ms", "1s"]),
    "multiplier": st.sampled_from([1, 2, 1000000]),
    "max": st.sampled_from(["10ms", "60s"]),
    "health": st.booleans(),
    "ready_line": st.booleans(),
})

events = st.lists(st.one_of(
    st.tuples(st.just("start"), st.booleans()),
    st.tuples(st.just("stop"), st.none()),
    st.tuples(st.just("restart"), st.none()),
    st.tuples(st.just("exit"), st.sampled_from([0, 1, 78, -9, -15])),
    st.tuples(st.just("advance"), st.sampled_from([0.001, 0.5, 1.0, 3.0, 11.0, 700.0])),
    st.tuples(st.just("probe"), st.none()),
    st.tuples(st.just("ready"), st.none()),
    st.tuples(st.just("quit"), st.none()),
    st.tuples(st.just("bug"), st.none()),
), min_size=5, max_size=40)


def toml(c: dict[str, object]) -> str:
    text = (f'[programs.assistant]\ncommand = ["bot"]\nstartsecs = "{c["startsecs"]}"\nrestart = "{c["restart"]}"\n'
            f'max_restarts = {c["max_restarts"]}\nwindow = "{c["window"]}"\nstop_timeout = "5s"\n'
            + ('ready_log_line = "ready"\n' if c["ready_line"] else "")
            + f'[programs.assistant.backoff]\ninitial = "{c["initial"]}"\nmultiplier = {c["multiplier"]}\n'
            f'max = "{c["max"]}"\njitter = 0\n')
    if c["health"]:
        text += '[programs.assistant.health]\nurl = "http://127.0.0.1:9/"\ninterval = "1s"\nstart_grace = "2s"\n'
    return text


def live(rig: Rig) -> list[FakeChild]:
    return [c for c in rig.spawner.children if not c.exited]


class Bugs:
    """policy.decide, except that after a "bug" event its next call raises."""

    def __init__(self) -> None:
        self.armed = False
        self.decide = policy.decide

    def __call__(self, *args: object, **kwargs: object) -> policy.Decision:
        if self.armed:
            self.armed = False
            raise OverflowError("(34, 'Numerical result out of range')")
        return self.decide(*args, **kwargs)  # type: ignore[arg-type]


def apply(rig: Rig, bugs: Bugs, kind: str, arg: object) -> None:
    if kind == "bug":
        bugs.armed = True
    elif kind == "start":
        rig.sup.submit(Start(by_user=bool(arg)))
    elif kind == "stop":
        rig.sup.submit(Stop())
    elif kind == "restart":
        rig.sup.submit(Restart())
    elif kind == "exit" and live(rig):
        live(rig)[-1].exit(int(arg))  # type: ignore[call-overload]
    elif kind == "advance":
        rig.clock.advance(float(arg))  # type: ignore[arg-type]
    elif kind == "probe":
        rig.run_background()
    elif kind == "ready":
        rig.sup.submit(Ready("assistant", token=len(rig.spawner.children)))
    elif kind == "quit":
        rig.sup.submit(Quit())


def check(rig: Rig) -> None:
    status, alive = rig.status(), live(rig)
    assert len(alive) <= 1, "two copies of one program"
    if status.pid is not None:
        assert [c.pid for c in alive] == [status.pid], f"{status.state} names pid {status.pid}, which is not alive"
    if alive:
        assert status.pid == alive[0].pid, "a live child was forgotten"
        assert status.state in (State.STARTING, State.RUNNING, State.STOPPING)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=configs, script=events, probe=st.lists(st.booleans(), min_size=1, max_size=5))
def test_random_event_sequences_keep_every_invariant(config: dict[str, object], script: list[tuple[str, object]],
                                                     probe: list[bool]) -> None:
    bugs = Bugs()
    with tempfile.TemporaryDirectory() as home, pytest.MonkeyPatch.context() as patch:
        patch.setattr(policy, "decide", bugs)
        rig = make_rig(Path(home), toml(config), probe=probe)
        patch.setattr(rig.sup.ctx.journal, "record", lambda event, program=None, **fields: {})
        for kind, arg in [("start", True), *script]:
            apply(rig, bugs, kind, arg)
            rig.step()  # the rig asserts that the next deadline is not in the past
            check(rig)
        bugs.armed = False
        quitting = any(kind == "quit" for kind, _ in script)
        rig.sup.submit(Restart())  # and whatever happened, Restart still brings it up
        rig.step()
        if rig.status().state is State.STOPPING and live(rig):
            live(rig)[-1].exit(0)
            rig.step()
        if not quitting:
            assert rig.status().state in (State.STARTING, State.RUNNING), rig.status()
