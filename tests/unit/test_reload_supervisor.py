"""A reload reaches the supervisor thread as messages: add, remove, replace, update (on fakes)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from tests.unit.supervisor_rig import Rig, make_rig
from trayapp import config as config_mod
from trayapp.status import State
from trayapp.supervisor.changes import AddProgram, RemoveProgram, ReplaceProgram, UpdateProgram
from trayapp.supervisor.messages import Start
from trayapp.supervisor.program import Program

TOML = '''
[programs.assistant]
command = ["nanobot", "gateway"]
startsecs = "1s"

[programs.ollama]
command = ["ollama", "serve"]
startsecs = "1s"
'''


def running(tmp_path: Path) -> Rig:
    rig = make_rig(tmp_path, TOML)
    rig.sup.submit(Start())
    rig.step()
    rig.advance(1)
    return rig


def program(rig: Rig, text: str, name: str) -> Program:
    return Program(config_mod.parse(text, environ={}).programs[name], rig.sup.ctx)


def test_a_replaced_program_stops_then_its_successor_starts_with_the_new_settings(tmp_path: Path) -> None:
    rig = running(tmp_path)
    old_child, ollama = rig.spawner.children
    rig.sup.submit(ReplaceProgram(program(rig, TOML.replace('"gateway"', '"gateway", "-v"'), "assistant")))
    rig.step()
    assert old_child.signals and not ollama.signals
    old_child.exit(-15)
    rig.step()
    assert rig.spawner.argv[-1] == ("nanobot", "gateway", "-v")
    assert rig.status().state is State.STARTING and rig.status().pid == rig.spawner.last.pid


def test_a_removed_program_stops_and_leaves_the_status(tmp_path: Path) -> None:
    rig = running(tmp_path)
    forgotten: list[str] = []
    rig.sup.ctx.forget = forgotten.append
    rig.sup.submit(RemoveProgram("ollama"))
    rig.step()
    assert "ollama" in rig.sup.programs, "forgotten only once it is down"
    rig.spawner.children[1].exit(-15)
    rig.step()
    assert "ollama" not in rig.sup.programs
    assert [s.program for s in rig.sup.statuses()] == ["assistant"]
    assert forgotten == ["ollama"], "the tray and the other views are told"


def test_an_added_program_starts_when_autostart(tmp_path: Path) -> None:
    rig = running(tmp_path)
    rig.sup.submit(AddProgram(program(rig, '[programs.web]\ncommand = ["web"]\n', "web")))
    rig.sup.submit(AddProgram(program(rig, '[programs.later]\ncommand = ["later"]\nautostart = false\n', "later")))
    rig.step()
    assert rig.spawner.argv[-1] == ("web",)
    assert rig.status("web").state is State.STARTING and rig.status("later").state is State.STOPPED
    assert {s.program for s in rig.sup.statuses()} == {"assistant", "ollama", "web", "later"}


def test_an_update_keeps_the_child_and_takes_the_new_settings(tmp_path: Path) -> None:
    rig = running(tmp_path)
    children = len(rig.spawner.children)
    cfg = replace(rig.sup.programs["assistant"].cfg, display_name="Nanobot")
    rig.sup.submit(UpdateProgram(cfg))
    rig.step()
    assert len(rig.spawner.children) == children and not rig.spawner.children[0].signals
    assert rig.sup.programs["assistant"].cfg is cfg
    assert rig.status().display_name == "Nanobot" and rig.status().state is State.RUNNING


def test_a_health_answer_for_the_replaced_run_does_not_count_for_its_successor(tmp_path: Path) -> None:
    toml = '[programs.assistant]\ncommand = ["nanobot"]\nstartsecs = "30s"\nhealth = { url = "http://127.0.0.1:9/" }\n'
    rig = make_rig(tmp_path, toml)
    rig.sup.submit(Start())
    rig.step()
    rig.advance(1)  # the first probe is queued (in flight) for the old run
    assert rig.background
    rig.sup.submit(ReplaceProgram(program(rig, toml.replace('["nanobot"]', '["nanobot", "-v"]'), "assistant")))
    rig.step()
    rig.spawner.children[0].exit(-15)
    rig.step()
    assert rig.spawner.argv[-1] == ("nanobot", "-v")
    in_flight, rig.background[:] = rig.background[:1], rig.background[1:]
    in_flight[0]()  # the old run's answer arrives now
    rig.step()
    assert rig.status().state is State.STARTING and rig.status().health.value == "unknown"
