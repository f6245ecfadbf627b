"""The Diagnostics page's API through the Router: the doctor report as JSON with stable ids, and
a Fix button that applies exactly what `doctor --fix` would, to real files with real modes."""

from __future__ import annotations

import os
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.fakes import FakeClock
from trayapp import config as config_mod
from trayapp.dashboard import diagnostics_api
from trayapp.dashboard.diagnostics_api import Doctor
from trayapp.dashboard.http import Request, Response, Router
from trayapp.doctor import permissions
from trayapp.doctor.inputs import Inputs
from trayapp.doctor.report import Check, Level, ok
from trayapp.paths import AppPaths
from trayapp.status import Status

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="file modes are POSIX")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@dataclass
class World:
    paths: AppPaths
    config: config_mod.Config
    runs: list[int] = field(default_factory=list)

    def inputs(self) -> Inputs:
        self.runs.append(1)
        return Inputs(config=self.config, paths=self.paths, environ={"HOME": str(self.paths.config_dir)},
                      running=lambda _paths: [], platform="linux")


@pytest.fixture
def world(tmp_path: Path) -> World:
    paths = AppPaths.discover({"TRAYAPP_HOME": str(tmp_path / "home")})
    paths.ensure()
    paths.config_file.write_text('[programs.assistant]\ncommand = ["sleep", "1"]\n')
    paths.config_file.chmod(0o600)
    config = config_mod.parse(paths.config_file.read_text(), environ={"HOME": str(tmp_path)})
    return World(paths, config)


def router_for(world: World, clock: FakeClock | None = None) -> Router:
    router = Router()
    doctor = Doctor(world.inputs, (permissions,), clock=(clock or FakeClock()).monotonic)
    diagnostics_api.register(router, host=None, doctor=doctor)  # type: ignore[arg-type]  # the host is unused with a doctor given
    return router


def get(router: Router) -> Response:
    return router.dispatch(Request("GET", "/api/doctor"))


def body(response: Response) -> dict:
    import json

    return json.loads(response.body)


def test_a_too_open_config_is_a_warning_with_a_fix_and_the_fix_makes_it_0600(world: World) -> None:
    world.paths.config_file.chmod(0o644)
    router = router_for(world)
    checks = body(get(router))["checks"]
    config_check = next(c for c in checks if str(world.paths.config_file) in c["detail"])
    assert config_check["status"] == "warn"
    assert config_check["fix"]["label"] == "Make private"
    assert "0600" in config_check["fix"]["what"] and str(world.paths.config_file) in config_check["fix"]["what"]

    response = router.dispatch(Request("POST", f"/api/doctor/fix/{config_check['fix']['id']}"))
    assert response.status == 200, response.body
    assert mode(world.paths.config_file) == 0o600
    answer = body(response)
    assert answer["check"]["status"] == "ok" and answer["check"]["id"] == config_check["id"]
    assert "0600" in answer["message"]


def test_only_a_fix_the_report_offered_can_be_applied(world: World) -> None:
    world.paths.config_file.chmod(0o644)
    router = router_for(world)
    checks = body(get(router))["checks"]
    for fix_id in ("fix.permissions.nope", "..", "fix." + checks[0]["id"] + "x"):
        response = router.dispatch(Request("POST", f"/api/doctor/fix/{fix_id}"))
        assert response.status == 404 and body(response)["fix"]
    assert mode(world.paths.config_file) == 0o644, "nothing changed"


def test_a_fix_already_done_elsewhere_changes_nothing_and_says_so(world: World) -> None:
    world.paths.config_file.chmod(0o644)
    clock = FakeClock()
    router = router_for(world, clock)
    fix_id = next(c["fix"]["id"] for c in body(get(router))["checks"] if c["fix"])
    world.paths.config_file.chmod(0o600)  # `trayapp doctor --fix` ran in a terminal meanwhile
    answer = body(router.dispatch(Request("POST", f"/api/doctor/fix/{fix_id}")))
    assert answer["changed"] is False and answer["message"].startswith("Nothing was changed")
    assert answer["check"]["status"] == "ok"


def test_the_report_is_cached_for_a_few_seconds_then_made_again(world: World) -> None:
    clock = FakeClock()
    router = router_for(world, clock)
    get(router)
    get(router)
    assert len(world.runs) == 1
    clock.advance(diagnostics_api.FRESH + 0.1)
    get(router)
    assert len(world.runs) == 2
    router.dispatch(Request("GET", "/api/doctor", {"fresh": "1"}))  # the page's Run again
    assert len(world.runs) == 3


def test_ids_are_stable_across_runs_and_unique_per_file(world: World) -> None:
    for name in ("a.log", "b.log"):
        (world.paths.log_dir / name).write_text("x")
        (world.paths.log_dir / name).chmod(0o644)
    clock = FakeClock()
    router = router_for(world, clock)
    first = [c["id"] for c in body(get(router))["checks"]]
    clock.advance(60)
    second = [c["id"] for c in body(get(router))["checks"]]
    assert first == second and len(set(first)) == len(first) == 2


def test_a_check_json_reads_as_sentences() -> None:
    shown = diagnostics_api.check_json(ok("space", "free space", "12GB free in /home"))
    assert shown == {"id": "space.free-space", "group": "space", "title": "Free space", "status": "ok",
                     "detail": "12GB free in /home", "advice": None, "evidence": ["12GB free in /home"],
                     "fix": None}


def test_a_check_doctor_cannot_fix_offers_no_button() -> None:
    foreign = Check("permissions", "a log file", Level.WARN, "/x is 0644", "chmod 0600 /x (as its owner)",
                    subject="/x")
    assert diagnostics_api.check_json(foreign)["fix"] is None


def test_inside_the_instance_doctor_asks_the_host_not_the_socket(world: World) -> None:
    class Host:
        config, paths = world.config, world.paths
        config_problems = ("line 3: bad value",)

        def statuses(self) -> list[Status]:
            return [Status("assistant", "the assistant")]

    inputs = diagnostics_api.host_inputs(Host())()  # type: ignore[arg-type]  # a partial host
    assert inputs.config_error == "line 3: bad value"
    assert [s.program for s in inputs.instance or []] == ["assistant"]
    assert os.path.samefile(inputs.paths.config_file, world.paths.config_file)
