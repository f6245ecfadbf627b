"""`trayapp export`: the systemd unit and launchd agent carry trayapp's policy over."""

from __future__ import annotations

import os
import plistlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from trayapp import export
from trayapp.config import parse

CONFIG = """
[programs.assistant]
command = ["{exe}", "-m", "http.server", "50% off", "$HOME"]
cwd = "/srv/assistant"
env = { API_TOKEN = "s3cr%t", GREETING = "hi \\"there\\"" }
restart = "on-failure"
max_restarts = 4
window = "5m"
stop_signal = "INT"
stop_timeout = "30s"
exit_codes = [0, 3]
backoff = { initial = "2s", max = "1m", multiplier = 2 }
limits = { memory = "512MiB" }
"""


def _program(text: str = CONFIG):
    return parse(text.replace("{exe}", sys.executable), environ={"HOME": "/home/me"}).assistant


def _unit(program=None) -> tuple[str, dict[str, list[str]]]:
    program = program or _program()
    text = export.render_systemd(program, export.resolve(program, home=Path("/home/me")))
    keys: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            keys.setdefault(key, []).append(value)
    return text, keys


def test_unit_carries_restart_backoff_and_intensity() -> None:
    _, keys = _unit()
    assert keys["Restart"] == ["on-failure"]
    assert keys["RestartSec"] == ["2s"]
    assert keys["RestartMaxDelaySec"] == ["60s"]
    assert keys["RestartSteps"] == ["5"]  # 2s doubling reaches 60s in 5 steps (2*2^5 = 64 >= 60)
    assert keys["StartLimitIntervalSec"] == ["300s"]
    assert keys["StartLimitBurst"] == ["5"]  # 4 restarts = 5 starts
    assert keys["RestartPreventExitStatus"] == ["78"]
    assert keys["SuccessExitStatus"] == ["3"]


def test_unit_carries_stop_limits_cwd_and_environment() -> None:
    _, keys = _unit()
    assert keys["KillSignal"] == ["SIGINT"] and keys["TimeoutStopSec"] == ["30s"]
    assert keys["KillMode"] == ["control-group"]
    assert keys["MemoryMax"] == [str(512 * 1024 * 1024)]
    assert keys["WorkingDirectory"] == ["/srv/assistant"]
    assert 'Environment="API_TOKEN=s3cr%%t"' in _unit()[0]
    assert 'Environment="GREETING=hi \\"there\\""' in _unit()[0]
    assert keys["WantedBy"] == ["default.target"]


def test_execstart_is_absolute_and_escapes_specifiers_and_variables() -> None:
    _, keys = _unit()
    assert keys["ExecStart"] == [f'{sys.executable} -m http.server "50%% off" "$$HOME"']


@pytest.mark.parametrize(("restart", "systemd"), [("always", "always"), ("on-failure", "on-failure"), ("never", "no")])
def test_restart_modes(restart: str, systemd: str) -> None:
    program = _program(f'[programs.assistant]\ncommand = ["{{exe}}"]\nrestart = "{restart}"\n')
    assert _unit(program)[1]["Restart"] == [systemd]


def test_notify_only_memory_limit_throttles_instead_of_killing() -> None:
    program = _program('[programs.assistant]\ncommand = ["{exe}"]\nlimits = { memory = "1GB", action = "notify" }\n')
    keys = _unit(program)[1]
    assert keys["MemoryHigh"] == ["1000000000"] and "MemoryMax" not in keys


@pytest.mark.parametrize(("initial", "maximum", "multiplier", "steps"), [
    (1, 60, 2, 6), (1, 64, 2, 6), (1, 65, 2, 7), (5, 5, 2, 0), (1, 60, 1, 0), (1, 1000, 10, 3),
])
def test_restart_steps(initial: float, maximum: float, multiplier: float, steps: int) -> None:
    assert export.restart_steps(initial, maximum, multiplier) == steps


def test_a_command_not_on_path_is_named_as_written() -> None:
    program = _program('[programs.assistant]\ncommand = ["no-such-assistant-xyz", "go"]\n')
    resolved = export.resolve(program, home=Path("/home/me"))
    assert not resolved.found and resolved.argv == ("no-such-assistant-xyz", "go")


def test_path_starts_with_the_program_folder() -> None:
    resolved = export.resolve(_program(), home=Path("/home/me"))
    assert resolved.path.split(":")[:2] == [os.path.dirname(sys.executable), "/home/me/.local/bin"]


def test_launchd_agent_key_by_key() -> None:
    program = _program()
    agent = plistlib.loads(export.render_launchd(program, export.resolve(program, home=Path("/Users/me")),
                                                 log_dir=Path("/Users/me/Library/Logs/trayapp")))
    assert agent["Label"] == "io.github.trayapp.assistant"
    assert agent["ProgramArguments"] == [sys.executable, "-m", "http.server", "50% off", "$HOME"]
    assert agent["KeepAlive"] == {"SuccessfulExit": False}
    assert agent["RunAtLoad"] is True
    assert agent["ThrottleInterval"] == 10
    assert agent["ExitTimeOut"] == 30
    assert agent["WorkingDirectory"] == "/srv/assistant"
    assert agent["EnvironmentVariables"]["API_TOKEN"] == "s3cr%t"
    assert agent["StandardOutPath"] == "/Users/me/Library/Logs/trayapp/assistant.launchd.log"


def test_gaps_name_what_the_manager_cannot_do() -> None:
    assert any("78" in g for g in export.gaps(_program(), "launchd"))
    assert any("memory" in g for g in export.gaps(_program(), "launchd"))
    assert any("retry" in g for g in export.gaps(_program(), "systemd"))


def test_a_unit_holding_environment_is_private() -> None:
    assert export.file_mode(_program()) == 0o600
    assert export.file_mode(_program('[programs.assistant]\ncommand = ["{exe}"]\n')) == 0o644


def _verify(path: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime)}
    return subprocess.run(["systemd-analyze", "verify", "--user", str(path)], capture_output=True, text=True,
                          env=env, cwd=tmp_path)


needs_systemd = pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
# systemd < 254 does not know these two and says so; that is expected and harmless.
KNOWN_OLD = ("Unknown key 'RestartSteps'", "Unknown key 'RestartMaxDelaySec'",
             "Unknown key name 'RestartSteps'", "Unknown key name 'RestartMaxDelaySec'")


@needs_systemd
def test_systemd_analyze_verify_accepts_the_unit(tmp_path: Path) -> None:
    program = _program(CONFIG.replace('cwd = "/srv/assistant"', f'cwd = "{tmp_path}"'))
    unit = tmp_path / "trayapp-assistant.service"
    unit.write_text(export.render_systemd(program, export.resolve(program, home=tmp_path)))
    done = _verify(unit, tmp_path)
    complaints = [l for l in (done.stdout + done.stderr).splitlines() if l and not any(k in l for k in KNOWN_OLD)]
    assert done.returncode == 0 and complaints == [], done.stdout + done.stderr


@needs_systemd
def test_systemd_analyze_verify_would_catch_a_broken_unit(tmp_path: Path) -> None:
    program = _program('[programs.assistant]\ncommand = ["/nonexistent/assistant"]\n')
    unit = tmp_path / "trayapp-assistant.service"
    unit.write_text(export.render_systemd(program, export.resolve(program, home=tmp_path)))
    assert _verify(unit, tmp_path).returncode != 0
