"""depends_on: start order, waiting, hold, restart with dependencies, quit order, config errors.

The supervisor runs on fakes (supervisor_rig): the clock moves by hand, children exit on command.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.supervisor_rig import Rig, make_rig
from trayapp import config as config_mod
from trayapp.errors import ConfigError
from trayapp.status import State
from trayapp.supervisor import deps
from trayapp.supervisor.messages import Quit, Start

TOML = '''
[programs.ollama]
command = ["ollama", "serve"]
startsecs = "2s"
{ollama}

[programs.assistant]
command = ["nanobot", "gateway"]
startsecs = "1s"
depends_on = {{ ollama = "{condition}" }}
depends_timeout = "30s"
{assistant}
'''


def rig_for(tmp_path: Path, condition: str = "healthy", ollama: str = "", assistant: str = "") -> Rig:
    rig = make_rig(tmp_path, TOML.format(condition=condition, ollama=ollama, assistant=assistant))
    for name in deps.order({n: p.cfg.depends_on for n, p in rig.sup.programs.items()}):
        rig.sup.submit(Start(name, by_user=False))
    rig.step()
    return rig


def spawned(rig: Rig) -> list[str]:
    return [argv[0] for argv in rig.spawner.argv]


def test_the_dependent_waits_until_its_dependency_is_ready(tmp_path: Path) -> None:
    rig = rig_for(tmp_path)
    assert spawned(rig) == ["ollama"]
    assert rig.status().state is State.STOPPED
    assert str(rig.status().reason) == "waiting for ollama to be ready"
    rig.advance(2)  # ollama has lasted its startsecs: ready
    assert rig.status("ollama").state is State.RUNNING
    assert spawned(rig) == ["ollama", "nanobot"]
    assert rig.status().state is State.STARTING


def test_started_is_met_as_soon_as_the_dependency_is_spawned(tmp_path: Path) -> None:
    rig = rig_for(tmp_path, condition="started")
    assert spawned(rig) == ["ollama", "nanobot"]


def test_completed_successfully_waits_for_a_clean_exit(tmp_path: Path) -> None:
    rig = rig_for(tmp_path, condition="completed_successfully", ollama='restart = "never"')
    assert spawned(rig) == ["ollama"]
    rig.advance(3)
    assert spawned(rig) == ["ollama"], "running is not completed"
    rig.spawner.children[0].exit(0)
    rig.step()
    assert spawned(rig) == ["ollama", "nanobot"]


def test_past_the_timeout_it_is_held_with_the_reason_not_crashed(tmp_path: Path) -> None:
    rig = rig_for(tmp_path, ollama='health = { url = "http://127.0.0.1:11434/", start_grace = "5m" }')
    rig.probe.answers = [False]
    for _ in range(31):
        rig.advance(1)
        rig.run_background()
    status = rig.status()
    assert status.state is State.STOPPED and status.restarts == 0
    assert str(status.reason).startswith("waiting for ollama to be ready; still not after 30s (it starts once that happens)")
    assert rig.kinds().count("held") == 1
    rig.probe.answers = [True]  # it answers at last: the held program starts then
    rig.advance(10)
    rig.run_background()
    rig.step()
    assert spawned(rig) == ["ollama", "nanobot"]


def test_a_dependency_that_gives_up_holds_its_dependents(tmp_path: Path) -> None:
    rig = rig_for(tmp_path, ollama="max_restarts = 0\nretry_after_give_up = \"1h\"")
    rig.spawner.children[0].exit(1)
    rig.step()
    assert rig.status("ollama").state is State.GIVEN_UP
    assert rig.status().state is State.STOPPED
    assert str(rig.status().reason) == "waiting for ollama, which gave up"
    assert spawned(rig) == ["ollama"]


def test_restart_with_dependencies_restarts_after_the_dependency_is_ready_again(tmp_path: Path) -> None:
    rig = rig_for(tmp_path, assistant="restart_with_dependencies = true")
    rig.advance(2)
    rig.advance(1)
    assert rig.status().state is State.RUNNING
    first = rig.spawner.children[1]
    rig.spawner.children[0].exit(1)  # ollama crashes: backoff
    rig.step()
    assert first.signals, "the dependent is stopped when its dependency goes down"
    first.exit(-15)
    rig.step()
    assert rig.status().state is State.STOPPED and "waiting for ollama" in str(rig.status().reason)
    rig.advance(1)  # ollama's backoff ends: it starts again
    assert spawned(rig) == ["ollama", "nanobot", "ollama"]
    rig.advance(2)  # and is ready: now the assistant
    assert spawned(rig) == ["ollama", "nanobot", "ollama", "nanobot"]


def test_without_restart_with_dependencies_a_dependency_restart_leaves_it_running(tmp_path: Path) -> None:
    rig = rig_for(tmp_path)
    rig.advance(2)
    rig.spawner.children[0].exit(1)
    rig.step()
    assert not rig.spawner.children[1].signals


def test_a_crashed_dependent_waits_instead_of_crash_looping(tmp_path: Path) -> None:
    rig = rig_for(tmp_path)
    rig.advance(2)
    rig.spawner.children[0].exit(1)  # ollama down (backoff)
    rig.step()
    rig.spawner.children[1].exit(1)  # the assistant crashes for it
    rig.step()
    assert rig.status().state is State.STOPPED and "waiting for ollama" in str(rig.status().reason)


def test_quit_stops_dependents_first(tmp_path: Path) -> None:
    rig = rig_for(tmp_path)
    rig.advance(2)
    ollama, assistant = rig.spawner.children
    rig.sup.submit(Quit())
    rig.step()
    assert assistant.signals and not ollama.signals
    assistant.exit(-15)
    rig.step()
    assert ollama.signals


@pytest.mark.parametrize("programs, problem", [
    ('[programs.a]\ncommand = ["a"]\ndepends_on = { b = "healthy" }\n',
     "programs.a.depends_on: no program named 'b'"),
    ('[programs.a]\ncommand = ["a"]\ndepends_on = { b = "healthy" }\n'
     '[programs.b]\ncommand = ["b"]\ndepends_on = { a = "started" }\n',
     "programs.a.depends_on: a -> b -> a is a cycle"),
    ('[programs.a]\ncommand = ["a"]\ndepends_on = { a = "healthy" }\n', "a -> a is a cycle"),
    ('[programs.a]\ncommand = ["a"]\n[programs.b]\ncommand = ["b"]\ndepends_on = { a = "up" }\n',
     "the condition must be one of started, healthy, ready, completed_successfully"),
])
def test_unknown_names_bad_conditions_and_cycles_are_config_errors(programs: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        config_mod.parse(programs, environ={})
    assert any(problem in p for p in caught.value.problems), caught.value.problems


def test_ready_means_healthy_and_order_puts_dependencies_first() -> None:
    cfg = config_mod.parse('[programs.web]\ncommand = ["w"]\ndepends_on = { db = "ready" }\n'
                           '[programs.db]\ncommand = ["d"]\n', environ={})
    assert cfg.programs["web"].depends_on == {"db": "healthy"}
    assert deps.order({n: p.depends_on for n, p in cfg.programs.items()}) == ["db", "web"]


def test_restart_of_a_waiting_program_still_waits(tmp_path: Path) -> None:
    from trayapp.supervisor.messages import Restart

    rig = rig_for(tmp_path)
    rig.sup.submit(Restart("assistant"))
    rig.step()
    assert spawned(rig) == ["ollama"] and str(rig.status().reason) == "waiting for ollama to be ready"
