"""Doctor says what the running trayapp says, and runs things the way the supervisor does."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from trayapp import config as config_mod
from trayapp.doctor import Level, assistant, configs
from trayapp.doctor.inputs import Inputs
from trayapp.paths import AppPaths
from trayapp.procs import CommandResult
from trayapp.status import Health, State, Status
from trayapp.supervisor.health import ProbeResult


class Runner:
    def run(self, argv: list[str]) -> CommandResult:
        return CommandResult(0, "🐈 nanobot v0.3.5\n")


def inputs(tmp_path: Path, toml: str = '[programs.assistant]\npreset = "nanobot"\n', **kw: object) -> Inputs:
    paths = AppPaths.discover({"TRAYAPP_HOME": str(tmp_path / "t")})
    cfg = config_mod.parse(toml, environ={"HOME": str(tmp_path)})
    base: dict[str, object] = dict(
        config=cfg, paths=paths, environ={"HOME": str(tmp_path), "PATH": str(tmp_path / "empty")},
        platform="linux", runner=Runner(), port_open=lambda h, p: False, listener_pid=lambda h, p: None,
        probe=lambda c, cwd, env: ProbeResult(False, "connection refused"), running=lambda paths: None)
    return Inputs(**{**base, **kw})  # type: ignore[arg-type]


def by_name(inp: Inputs) -> dict[str, object]:
    return {c.name: c for c in assistant.checks(inp)}


def test_nanobot_in_trayapps_own_virtualenv_is_found_as_the_supervisor_finds_it(tmp_path: Path) -> None:
    venv_nanobot = Path(sys.executable).with_name("nanobot")
    assert venv_nanobot.exists(), "the test extra installs nanobot-ai beside this interpreter"
    check = by_name(inputs(tmp_path))["nanobot program"]
    assert check.level is Level.OK and check.evidence.startswith(str(venv_nanobot))  # type: ignore[attr-defined]


def status(**changes: object) -> Status:
    base = Status("assistant", "nanobot", state=State.RUNNING, pid=4242, health=Health.HEALTHY)
    return Status(**{**base.__dict__, **changes})  # type: ignore[arg-type]


def test_health_is_the_running_instances_word_not_a_one_off_probe(tmp_path: Path) -> None:
    asked: list[Path] = []

    def running(paths: AppPaths) -> list[Status]:
        asked.append(paths.state_dir)
        return [status()]

    inp = inputs(tmp_path, running=running)
    found = by_name(inp)
    assert found["health"].level is Level.OK  # type: ignore[attr-defined]
    assert "as the running trayapp sees it" in found["health"].evidence  # type: ignore[attr-defined]
    assert "running as pid 4242" in found["nanobot program"].evidence  # type: ignore[attr-defined]
    assert len(asked) == 1  # asked once per doctor run, however many checks read it


def test_degraded_and_stopped_are_warnings_with_the_right_fix(tmp_path: Path) -> None:
    degraded = status(health=Health.DEGRADED, health_detail="nanobot is running but has no usable model provider",
                      health_fix="pick a local one such as ollama")
    check = by_name(inputs(tmp_path, running=lambda p: [degraded]))["health"]
    assert (check.level, check.evidence, check.fix) == (  # type: ignore[attr-defined]
        Level.WARN, degraded.health_detail, degraded.health_fix)
    stopped = status(state=State.GIVEN_UP, pid=None, reason="crashed 5 times in 60 seconds")
    check = by_name(inputs(tmp_path, running=lambda p: [stopped]))["health"]
    assert check.level is Level.WARN and "not running (given up): crashed 5 times" in check.evidence  # type: ignore[attr-defined]
    assert "start it" in check.fix  # type: ignore[attr-defined]


def test_with_no_instance_the_probe_fix_says_to_start_trayapp(tmp_path: Path) -> None:
    check = by_name(inputs(tmp_path))["health"]
    assert check.level is Level.WARN and "trayapp run" in check.fix  # type: ignore[attr-defined]


def test_a_health_command_runs_in_the_programs_own_folder_and_environment(tmp_path: Path) -> None:
    """NanoClaw's health command needs its checkout as cwd; doctor used to run it from anywhere."""
    from trayapp.supervisor.health import probe

    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / "marker").write_text("")
    toml = (f'[programs.assistant]\npreset = "custom"\ncommand = ["sleep", "1"]\ncwd = "{checkout}"\n'
            'env = { NEEDED = "yes" }\n'
            '[programs.assistant.health]\ncommand = ["sh", "-c", "test -f marker && test \\"$NEEDED\\" = yes"]\n')
    inp = inputs(tmp_path, toml, probe=lambda c, cwd, env: probe(c, cwd=cwd, env=env),
                 environ={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    check = by_name(inp)["health"]
    assert check.level is Level.OK, check  # type: ignore[attr-defined]


def write_nanobot_config(tmp_path: Path, defaults: dict[str, str], providers: dict[str, object]) -> None:
    folder = tmp_path / ".nanobot"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"agents": {"defaults": defaults}, "providers": providers}))


def test_nanobot_with_no_usable_provider_is_a_warning_and_ollama_is_fine(tmp_path: Path) -> None:
    write_nanobot_config(tmp_path, {"model": "anthropic/claude-opus-4-5", "provider": "auto"},
                         {"anthropic": {"apiKey": None}})
    found = {c.name: c for c in configs.checks(inputs(tmp_path))}
    assert found["nanobot model provider"].level is Level.WARN
    assert "ollama" in found["nanobot model provider"].fix


def test_nanobot_with_a_local_ollama_needs_no_key(tmp_path: Path) -> None:
    write_nanobot_config(tmp_path, {"model": "llama3.2", "provider": "ollama"}, {"ollama": {"apiKey": None}})
    found = {c.name: c for c in configs.checks(inputs(tmp_path))}
    assert found["nanobot model provider"].level is Level.OK


def test_the_binary_the_instance_started_wins_over_doctors_own_path(tmp_path: Path) -> None:
    running = status(command_path="/opt/elsewhere/bin/nanobot")
    inp = inputs(tmp_path, running=lambda p: [running], resolve=lambda name, env, cwd: None)
    check = by_name(inp)["nanobot program"]
    assert check.level is Level.OK and check.evidence.startswith("/opt/elsewhere/bin/nanobot")  # type: ignore[attr-defined]
