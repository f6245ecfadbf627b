"""Who may start, stop and restart a program: a typed field on Status, set by the program classes and
read through one function, `refusal`, by the control channel, the tray menu and the programs."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tests.unit.supervisor_rig import make_rig
from tests.unit.test_attach import SYSTEMD, make as make_attached
from trayapp.status import Control, Mode, State, Status, refusal
from trayapp.supervisor.messages import Start, Stop

OURS = Status(program="assistant", display_name="nanobot", state=State.RUNNING, pid=12)
OUTSIDE = replace(OURS, mode=Mode.EXTERNAL, control=Control.NONE, owner="pid 77")
URL_ONLY = replace(OURS, mode=Mode.ATTACHED, control=Control.NONE, owner="http://10.0.0.5:18790/health")
SYSTEMD_UNIT = replace(OURS, mode=Mode.ATTACHED, control=Control.THROUGH_OWNER, owner="systemd --user nb.service")


@pytest.mark.parametrize("status", [OURS, SYSTEMD_UNIT])
@pytest.mark.parametrize("action", ["start", "stop", "restart"])
def test_what_trayapp_started_or_can_ask_an_owner_about_may_be_controlled(status: Status, action: str) -> None:
    assert refusal(status, action) is None


@pytest.mark.parametrize(("action", "sentence"), [
    ("stop", "nanobot runs outside trayapp (pid 77); trayapp never signals a process it did not start. "
             "Stop it where it was started."),
    ("restart", "nanobot runs outside trayapp (pid 77); trayapp never signals a process it did not start. "
                "Restart it where it was started."),
    ("start", "nanobot already runs outside trayapp (pid 77); trayapp does not start a second copy."),
])
def test_somebody_elses_copy_is_refused_in_one_sentence(action: str, sentence: str) -> None:
    assert refusal(OUTSIDE, action) == sentence


def test_an_owner_that_cannot_be_asked_is_refused_with_the_config_fix() -> None:
    said = refusal(URL_ONLY, "restart")
    assert said is not None
    assert said.startswith("nanobot is only reached at http://10.0.0.5:18790/health; trayapp cannot restart it")
    assert "under [programs.assistant.attach] in config.toml" in said


def test_the_control_field_survives_the_json_round_trip_and_old_replies_mean_full() -> None:
    for status in (OURS, OUTSIDE, URL_ONLY, SYSTEMD_UNIT):
        assert Status.from_dict(status.to_dict()) == status
    assert OUTSIDE.to_dict()["control"] == "none"
    older = {k: v for k, v in OURS.to_dict().items() if k != "control"}  # from a trayapp before the field
    assert Status.from_dict(older).control is Control.FULL


def test_a_copy_found_running_outside_is_control_none_and_ours_again_once_let_go(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, '[programs.assistant]\npreset = "nanobot"\n')
    assert rig.status().control is Control.FULL
    rig.ports[18790] = 4242
    rig.sup.submit(Start())
    rig.step()
    assert (rig.status().mode, rig.status().control) == (Mode.EXTERNAL, Control.NONE)
    rig.sup.submit(Stop())
    rig.step()
    assert (rig.status().state, rig.status().control) == (State.STOPPED, Control.FULL)


def test_attached_programs_say_whether_their_owner_takes_commands(tmp_path: Path) -> None:
    assert make_attached(tmp_path, SYSTEMD).status.control is Control.THROUGH_OWNER
    assert make_attached(tmp_path, '{ url = "http://10.0.0.5:18790/health" }').status.control is Control.NONE
