"""Attach mode stepped by hand: a fake owner (systemctl/launchctl/docker answers), a fake clock."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.fakes import FakeClock, FakeSampler, ScriptedProbe
from trayapp import config as config_mod
from trayapp.procs import CommandResult
from trayapp.events import EventBus, Recorded, StatusChanged
from trayapp.journal import Journal
from trayapp.supervisor.attach import AttachedProgram
from trayapp.supervisor.health import ProbeResult
from trayapp.supervisor.messages import Quit, Restart, Start, Stop
from trayapp.supervisor.owners import Owner, parse_docker, parse_launchd, parse_systemd
from trayapp.supervisor.program import Context
from trayapp.supervisor.resources import Sample
from trayapp.status import Control, Health, Mode, State
from trayapp.supervisor.supervisor import Supervisor

UNIT = "nanobot-gateway.service"


class FakeSystemd:
    """Answers like `systemctl --user` for one unit; start/stop/restart change what it reports."""

    def __init__(self, active: str = "active", pid: int = 4242) -> None:
        self.active, self.pid = active, pid
        self.calls: list[list[str]] = []
        self.fail: dict[str, CommandResult] = {}

    def run(self, argv: Sequence[str]) -> CommandResult:
        argv = list(argv)
        self.calls.append(argv)
        verb = argv[2] if argv[0] == "systemctl" else argv[0]
        if verb in self.fail:
            return self.fail[verb]
        if verb == "show":
            pid = self.pid if self.active == "active" else 0
            return CommandResult(0, f"ActiveState={self.active}\nSubState=running\nMainPID={pid}\n"
                                    "Result=success\nExecMainStatus=0\nLoadState=loaded\n")
        if verb in ("start", "restart"):
            self.active, self.pid = "active", self.pid + 1
        elif verb == "stop":
            self.active = "inactive"
        return CommandResult(0)

    def controls(self) -> list[list[str]]:
        return [c for c in self.calls if c[:3] != ["systemctl", "--user", "show"]]


@dataclass
class Rig:
    sup: Supervisor
    clock: FakeClock
    probe: ScriptedProbe
    owner: FakeSystemd
    background: list = field(default_factory=list)
    entries: list = field(default_factory=list)

    @property
    def status(self):
        return self.sup.programs["assistant"].status

    def settle(self) -> None:
        """Step, run what went to the worker thread, step again, until nothing is left."""
        self.sup.step()
        while self.background:
            jobs, self.background[:] = list(self.background), []
            for job in jobs:
                job()
            self.sup.step()

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.settle()

    def kinds(self) -> list[str]:
        return [e["event"] for e in self.entries]


def make(tmp_path: Path, attach: str, *, probe: Sequence[bool] = (True,), owner: FakeSystemd | None = None,
         extra: str = "", samples=None, listener: int | None = None) -> Rig:
    toml = f'[programs.assistant]\npreset = "nanobot"\nattach = {attach}\n{extra}'
    cfg = config_mod.parse(toml, environ={"HOME": str(tmp_path)})
    clock, bus = FakeClock(), EventBus()
    journal = Journal(tmp_path / "journal.jsonl", bus, wall=clock.time)
    holder: dict = {}
    background: list = []
    ctx = Context(clock=clock, spawner=None, journal=journal,  # type: ignore[arg-type]  # never spawns
                  publish=lambda old, new: (holder["sup"].remember(new), bus.publish(StatusChanged(old, new))),
                  post=lambda m: holder["sup"].submit(m), run_in_background=background.append,
                  probe=ScriptedProbe(probe), sampler=lambda: FakeSampler(samples),
                  listener_pid=lambda h, p: listener, port_open=lambda h, p: False, environ={"HOME": str(tmp_path)})
    fake = owner or FakeSystemd()
    program = AttachedProgram(cfg.assistant, ctx, runner=fake, uid=1000, home=tmp_path)
    holder["sup"] = Supervisor([program], ctx)
    rig = Rig(holder["sup"], clock, ctx.probe, fake, background)  # type: ignore[arg-type]
    bus.subscribe(Recorded, lambda e: rig.entries.append(dict(e.entry)))
    return rig


SYSTEMD = f'{{ systemd_user = "{UNIT}" }}'


def test_running_unit_shows_running_attached_with_its_main_pid_and_health(tmp_path: Path) -> None:
    rig = make(tmp_path, SYSTEMD)
    rig.sup.submit(Start(by_user=False))
    rig.settle()
    s = rig.status
    assert (s.state, s.mode, s.pid, s.health) == (State.RUNNING, Mode.ATTACHED, 4242, Health.HEALTHY)
    assert s.owner == f"systemd --user {UNIT}"
    assert rig.owner.calls[0] == ["systemctl", "--user", "show",
                                  "--property=ActiveState,SubState,MainPID,Result,ExecMainStatus,LoadState", UNIT]
    assert rig.owner.controls() == []  # looking never starts or stops anything
    assert rig.kinds()[0] == "attach"


def test_restart_stop_start_go_through_systemctl_with_exact_argv(tmp_path: Path) -> None:
    rig = make(tmp_path, SYSTEMD)
    rig.settle()
    rig.sup.submit(Restart())
    rig.settle()
    assert rig.status.state is State.RUNNING and rig.status.pid == 4243
    rig.sup.submit(Stop())
    rig.settle()
    assert rig.status.state is State.STOPPED and rig.status.pid is None
    rig.sup.submit(Start())
    rig.settle()
    assert rig.owner.controls() == [["systemctl", "--user", "restart", UNIT], ["systemctl", "--user", "stop", UNIT],
                                    ["systemctl", "--user", "start", UNIT]]
    assert rig.status.state is State.RUNNING
    exits = [e for e in rig.entries if e["event"] == "exit"]
    assert len(exits) == 1 and exits[0]["expected"] is True  # the stop we asked for is not news
    assert [e["via"] for e in rig.entries if "via" in e] == [f"systemctl --user {v} {UNIT}" for v in ("restart", "stop", "start")]


def test_unit_going_down_on_its_own_is_an_unexpected_exit_and_coming_back_is_running_after_crash(tmp_path: Path) -> None:
    rig = make(tmp_path, SYSTEMD, extra="[programs.assistant.health]\nurl = \"http://127.0.0.1:18790/health\"\ninterval = \"2s\"\n")
    rig.settle()
    rig.owner.active = "failed"
    rig.advance(2)
    assert rig.status.state is State.STOPPED
    exit_entry = next(e for e in rig.entries if e["event"] == "exit")
    assert exit_entry["expected"] is False and exit_entry["pid"] == 4242 and "failed" in exit_entry["text"]
    rig.owner.active, rig.owner.pid = "active", 5000
    rig.advance(2)
    assert rig.status.state is State.RUNNING and rig.status.pid == 5000
    running = [e for e in rig.entries if e["event"] == "running"]
    assert running == [dict(running[0], pid=5000, after_crash=True)]
    assert rig.owner.controls() == []  # trayapp never restarts a unit because the unit's owner did


def test_quit_leaves_the_attached_service_running(tmp_path: Path) -> None:
    rig = make(tmp_path, SYSTEMD)
    rig.settle()
    rig.sup.submit(Quit(stop_programs=True))
    rig.settle()
    assert rig.owner.controls() == [] and rig.sup.all_down()


def test_new_main_pid_between_looks_is_reported_as_a_crash(tmp_path: Path) -> None:
    rig = make(tmp_path, SYSTEMD)
    rig.settle()
    rig.owner.pid = 7777
    rig.advance(10)
    assert rig.status.pid == 7777 and rig.status.state is State.RUNNING
    exit_entry = next(e for e in rig.entries if e["event"] == "exit")
    assert exit_entry["expected"] is False and "4242 -> 7777" in exit_entry["text"]


def test_failing_health_restarts_through_the_owner_within_the_restart_limit(tmp_path: Path) -> None:
    extra = ("max_restarts = 1\n[programs.assistant.health]\nurl = \"http://127.0.0.1:18790/health\"\n"
             "interval = \"1s\"\nfailures = 2\n")
    rig = make(tmp_path, SYSTEMD, probe=(True, False), extra=extra)
    rig.settle()
    rig.advance(1)
    assert rig.status.health is Health.HEALTHY or rig.status.health_detail == "connection refused"
    rig.advance(1)
    assert rig.status.health is Health.UNHEALTHY
    assert rig.owner.controls() == [["systemctl", "--user", "restart", UNIT]]
    for _ in range(4):
        rig.advance(1)
    assert rig.owner.controls() == [["systemctl", "--user", "restart", UNIT]]  # max_restarts = 1


def test_failed_owner_command_is_journaled_and_shown(tmp_path: Path) -> None:
    rig = make(tmp_path, SYSTEMD)
    rig.settle()
    rig.owner.fail["restart"] = CommandResult(1, "", "Failed to restart nanobot-gateway.service: Access denied")
    rig.sup.submit(Restart())
    rig.settle()
    failed = next(e for e in rig.entries if e["event"] == "spawn_failed")
    assert "Access denied" in failed["error"] and "systemctl --user restart" in failed["error"]
    assert "Access denied" in str(rig.status.reason)


def test_url_owner_cannot_be_controlled_and_says_so(tmp_path: Path) -> None:
    rig = make(tmp_path, '{ url = "http://10.0.0.5:18790/health" }')
    rig.settle()
    assert rig.status.state is State.RUNNING and rig.status.control is Control.NONE
    rig.sup.submit(Restart())
    rig.settle()
    assert "cannot restart it" in str(rig.status.reason) and rig.owner.calls == []
    refused = next(e for e in rig.entries if e["event"] == "owner_command")
    assert refused["ok"] is False and "10.0.0.5" in refused["error"]


def test_url_owner_goes_down_after_failures_in_a_row_and_comes_back(tmp_path: Path) -> None:
    extra = "[programs.assistant.health]\nurl = \"http://127.0.0.1:18790/health\"\ninterval = \"1s\"\nfailures = 2\n"
    rig = make(tmp_path, '{ url = "http://127.0.0.1:18790/health" }', probe=(True, False, False, True),
               extra=extra, listener=999)
    rig.settle()
    assert rig.status.state is State.RUNNING and rig.status.pid == 999 and rig.status.memory == 50_000_000
    rig.advance(1)
    assert rig.status.state is State.RUNNING  # one miss is not "down"
    rig.advance(1)
    assert rig.status.state is State.STOPPED
    rig.advance(1)
    assert rig.status.state is State.RUNNING
    assert [k for k in rig.kinds() if k in ("exit", "running")] == ["exit", "running"]


def test_configured_commands_win_over_the_owner(tmp_path: Path) -> None:
    attach = f'{{ systemd_user = "{UNIT}", restart = ["my-restart", "--now"] }}'
    rig = make(tmp_path, attach)
    rig.settle()
    rig.sup.submit(Restart())
    rig.settle()
    assert rig.owner.controls()[0] == ["my-restart", "--now"]


def test_memory_over_the_limit_is_journaled(tmp_path: Path) -> None:
    extra = "[programs.assistant.limits]\nmemory = \"100MB\"\nsamples = 2\ninterval = \"1s\"\naction = \"notify\"\n"
    big = Sample(rss=300_000_000, cpu=5.0, processes=2)
    rig = make(tmp_path, SYSTEMD, extra=extra, samples=[big, big, big])
    rig.settle()
    rig.advance(1)
    limit = next(e for e in rig.entries if e["event"] == "limit")
    assert limit["kind"] == "memory" and limit["value"] == 300_000_000 and rig.status.memory == 300_000_000
    assert rig.owner.controls() == []  # action = notify


@pytest.mark.parametrize("action, loaded, argv", [
    ("restart", True, ["launchctl", "kickstart", "-k", "gui/501/ai.openclaw.gateway"]),
    ("stop", True, ["launchctl", "bootout", "gui/501/ai.openclaw.gateway"]),
    ("start", True, ["launchctl", "kickstart", "gui/501/ai.openclaw.gateway"]),
    ("start", False, ["launchctl", "bootstrap", "gui/501", "/Users/ann/Library/LaunchAgents/ai.openclaw.gateway.plist"]),
])
def test_launchd_commands(action: str, loaded: bool, argv: list[str]) -> None:
    owner = Owner(config_mod.AttachConfig(launchd="ai.openclaw.gateway"), uid=501, home=Path("/Users/ann"))
    assert owner.control_argv(action, loaded) == argv


def test_docker_commands_and_states() -> None:
    owner = Owner(config_mod.AttachConfig(docker="nanobot"))
    assert owner.control_argv("restart") == ["docker", "restart", "nanobot"]
    assert owner.query_argv() == ["docker", "inspect", "--format", "{{json .State}}", "nanobot"]
    running = parse_docker(CommandResult(0, '{"Status": "running", "Running": true, "Pid": 31, "ExitCode": 0}'))
    assert (running.phase, running.pid) == ("active", 31)
    gone = parse_docker(CommandResult(1, "", "Error: No such object: nanobot"))
    assert gone.phase == "inactive" and str(gone.detail) == "no such container"
    exited = parse_docker(CommandResult(0, '{"Status": "exited", "Running": false, "Pid": 0, "ExitCode": 137}'))
    assert (exited.phase, exited.exit_code, exited.detail) == ("inactive", 137, "exited (exit 137)")


def test_launchd_print_parsing() -> None:
    text = "gui/501/ai.openclaw.gateway = {\n\tstate = running\n\tpid = 812\n\tlast exit code = 0\n}\n"
    assert parse_launchd(CommandResult(0, text)).pid == 812
    assert str(parse_launchd(CommandResult(113, "", "Could not find service")).detail) == "not loaded (booted out)"
    waiting = parse_launchd(CommandResult(0, "state = not running\nlast exit code = 78\n"))
    assert waiting.phase == "inactive" and waiting.exit_code == 78


def test_systemd_parsing_of_missing_and_failed_units() -> None:
    missing = parse_systemd(CommandResult(0, "LoadState=not-found\nActiveState=inactive\n"), UNIT)
    assert missing.phase == "inactive" and "not installed" in str(missing.detail)
    failed = parse_systemd(CommandResult(0, "ActiveState=failed\nSubState=failed\nResult=exit-code\n"
                                            "ExecMainStatus=1\nMainPID=0\n"), UNIT)
    assert (failed.phase, failed.exit_code, failed.detail) == ("inactive", 1, "failed (exit-code, exit 1)")
    broken = parse_systemd(CommandResult(1, "", "Failed to connect to bus: No medium found"), UNIT)
    assert not broken.known and "No medium found" in str(broken.detail)


def test_managed_program_with_its_own_service_installed_is_not_spawned_and_attach_is_offered(tmp_path: Path) -> None:
    from tests.unit.supervisor_rig import make_rig
    from trayapp.supervisor.services import ServiceInfo

    rig = make_rig(tmp_path, '[programs.assistant]\npreset = "nanobot"\n')
    unit = ServiceInfo("systemd_user", UNIT, tmp_path / UNIT, "assistant", enabled=True)
    rig.sup.ctx.service = lambda cfg: unit
    rig.sup.submit(Start())
    rig.step()
    assert rig.spawner.children == [] and rig.status().state is State.STOPPED
    external = next(e for e in rig.entries if e["event"] == "external")
    assert f'[programs.assistant.attach]  systemd_user = "{UNIT}"' in external["detail"]
    assert "does not start a second copy" in str(rig.status().reason)
    rig.ports[18790] = 4242  # and when it is running already: watched as external, attach offered
    rig.sup.submit(Start())
    rig.step()
    assert rig.status().mode is Mode.EXTERNAL and f'systemd_user = "{UNIT}"' in str(rig.status().reason)


def test_the_health_check_runs_in_the_programs_own_folder_and_environment(tmp_path: Path) -> None:
    rig = make(tmp_path, SYSTEMD, extra='cwd = "/srv/bot"\nenv = { NODE_VERSION = "24" }\n')
    seen: list[tuple[Path | None, str | None]] = []

    def probe(cfg: object, cwd: Path | None, env: dict[str, str]) -> ProbeResult:
        seen.append((cwd, env.get("NODE_VERSION")))
        return ProbeResult(True, "ok")

    rig.sup.ctx.probe = probe
    rig.settle()
    assert seen == [(Path("/srv/bot"), "24")], "as in managed mode and doctor (issue 10)"
