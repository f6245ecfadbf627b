"""state.ALLOWED lists exactly the edges the two machines make: each listed edge has a scenario that
makes it (managed programs through the supervisor rig, attached ones through a fake systemd), and
every edge any scenario makes is checked against the table as it happens."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.unit.supervisor_rig import Rig, make_rig
from tests.unit.test_attach import SYSTEMD, make as make_attached
from trayapp.errors import SpawnError
from trayapp.status import State
from trayapp.supervisor import state as state_mod
from trayapp.supervisor.messages import Restart, Start, Stop

S = State
Edge = tuple[State, State]

BASIC = """
[programs.assistant]
command = ["bot", "serve"]
startsecs = "2s"
max_restarts = 3
window = "1m"
retry_after_give_up = "10m"
[programs.assistant.backoff]
initial = "1s"
jitter = 0
"""
NO_RESTARTS = BASIC.replace("max_restarts = 3", "max_restarts = 0")  # given up with the slow retry
NEVER = BASIC.replace('startsecs = "2s"', 'startsecs = "2s"\nrestart = "never"')
HEALTH = '[programs.assistant.health]\nurl = "http://127.0.0.1:18790/health"\ninterval = "1s"\nfailures = 1\nstart_grace = "0s"\n'


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> Iterator[set[Edge]]:
    """The edges every moved() call takes, recorded; the table still refuses what it does not list."""
    seen: set[Edge] = set()
    check = state_mod.check_transition

    def recording(old: State, new: State) -> None:
        check(old, new)
        if old is not new:
            seen.add((old, new))

    monkeypatch.setattr(state_mod, "check_transition", recording)
    yield seen


def rig_for(tmp_path: Path, toml: str = BASIC, **kw: object) -> Rig:
    return make_rig(tmp_path, toml, **kw)  # type: ignore[arg-type]


def started(rig: Rig) -> Rig:
    rig.sup.submit(Start())
    rig.step()
    return rig


def running(rig: Rig) -> Rig:
    started(rig).advance(2)
    assert rig.status().state is S.RUNNING
    return rig


def crashed(rig: Rig, code: int = 1) -> Rig:
    rig.spawner.last.exit(code)
    rig.step()
    return rig


def stopped(rig: Rig) -> Rig:
    rig.sup.submit(Stop())
    rig.step()
    return rig


def restarted(rig: Rig) -> Rig:
    rig.sup.submit(Restart())
    rig.step()
    return rig


def in_backoff(rig: Rig) -> Rig:
    crashed(started(rig))
    assert rig.status().state is S.BACKOFF
    return rig


def given_up(rig: Rig) -> Rig:
    crashed(started(rig), 78)
    assert rig.status().state is S.GIVEN_UP
    return rig


def spawn_fails(rig: Rig) -> Rig:
    rig.spawner.fail_with = SpawnError("command not found: bot")
    return rig


def port_taken(rig: Rig) -> Rig:
    """Somebody else now answers on the program's health port (the nanobot preset's 18790)."""
    rig.ports[18790] = 4242
    return rig


WATCHED_TAIL = '[programs.assistant.health]\nurl = "http://127.0.0.1:18790/health"\n'
WATCHED = BASIC + WATCHED_TAIL


def gives_up_while_stopping(rig: Rig) -> Rig:
    """A health restart when no restarts are left: stop, then given up once it is down."""
    rig.advance(1)
    rig.run_background()
    rig.step()
    assert rig.status().state is S.STOPPING
    return crashed(rig, 0)


def attached_owner_restarts_it(tmp_path: Path) -> None:
    rig = make_attached(tmp_path, SYSTEMD)
    rig.settle()
    rig.owner.active = "activating"
    rig.advance(10)


def attached_owner_finishes_a_restart_between_looks(tmp_path: Path) -> None:
    rig = make_attached(tmp_path, SYSTEMD)
    rig.settle()
    rig.owner.active = "deactivating"
    rig.advance(10)
    rig.owner.active, rig.owner.pid = "active", 5000
    rig.advance(10)


SCENARIOS: dict[Edge, Callable[[Path], object]] = {
    (S.STOPPED, S.STARTING): lambda p: started(rig_for(p)),
    (S.STOPPED, S.RUNNING): lambda p: started(port_taken(rig_for(p, WATCHED))),
    (S.STOPPED, S.GIVEN_UP): lambda p: started(spawn_fails(rig_for(p))),
    (S.STARTING, S.RUNNING): lambda p: running(rig_for(p)),
    (S.STARTING, S.BACKOFF): lambda p: in_backoff(rig_for(p)),
    (S.STARTING, S.STOPPING): lambda p: stopped(started(rig_for(p))),
    (S.STARTING, S.STOPPED): lambda p: crashed(started(rig_for(p, NEVER))),
    (S.STARTING, S.GIVEN_UP): lambda p: given_up(rig_for(p)),
    (S.RUNNING, S.STARTING): attached_owner_restarts_it,
    (S.RUNNING, S.BACKOFF): lambda p: crashed(running(rig_for(p))),
    (S.RUNNING, S.STOPPING): lambda p: stopped(running(rig_for(p))),
    (S.RUNNING, S.STOPPED): lambda p: crashed(running(rig_for(p, NEVER))),
    (S.RUNNING, S.GIVEN_UP): lambda p: crashed(running(rig_for(p)), 78),
    (S.BACKOFF, S.STARTING): lambda p: in_backoff(rig_for(p)).advance(1),
    (S.BACKOFF, S.RUNNING): lambda p: port_taken(in_backoff(rig_for(p, WATCHED))).advance(1),
    (S.BACKOFF, S.STOPPED): lambda p: stopped(in_backoff(rig_for(p))),
    (S.BACKOFF, S.GIVEN_UP): lambda p: spawn_fails(in_backoff(rig_for(p))).advance(1),
    (S.STOPPING, S.STOPPED): lambda p: crashed(stopped(running(rig_for(p))), 0),
    (S.STOPPING, S.STARTING): lambda p: crashed(restarted(running(rig_for(p))), 0),
    (S.STOPPING, S.GIVEN_UP): lambda p: gives_up_while_stopping(
        started(rig_for(p, NO_RESTARTS + HEALTH, probe=[False]))),
    (S.STOPPING, S.RUNNING): attached_owner_finishes_a_restart_between_looks,
    (S.GIVEN_UP, S.STARTING): lambda p: started(given_up(rig_for(p))),
    (S.GIVEN_UP, S.RUNNING): lambda p: port_taken(crashed(started(rig_for(p, NO_RESTARTS + WATCHED_TAIL)))).advance(600),
    (S.GIVEN_UP, S.STOPPED): lambda p: stopped(given_up(rig_for(p))),
}


@pytest.mark.parametrize("edge", list(SCENARIOS), ids=lambda e: f"{e[0]}->{e[1]}")
def test_each_listed_edge_is_made_by_a_machine(edge: Edge, made: set[Edge], tmp_path: Path) -> None:
    SCENARIOS[edge](tmp_path)
    assert edge in made, f"the scenario for {edge[0]} -> {edge[1]} made only {sorted(made)}"


def test_the_table_lists_nothing_that_no_machine_makes() -> None:
    listed = {(old, new) for old, targets in state_mod.ALLOWED.items() for new in targets}
    assert listed == set(SCENARIOS)
    assert len(listed) == 24  # of the 30 edges between six states


def test_all_scenarios_together_make_exactly_the_listed_edges(made: set[Edge], tmp_path: Path) -> None:
    """Whatever else the scenarios pass through is listed too (moved() would have raised otherwise)."""
    for n, scenario in enumerate(SCENARIOS.values()):
        (tmp_path / str(n)).mkdir()
        scenario(tmp_path / str(n))
    assert made == set(SCENARIOS)
