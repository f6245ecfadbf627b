"""config.toml parsing: defaults, presets, expansion, and one clear message per problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from trayapp import config
from trayapp.config import starter
from trayapp.errors import ConfigError

ENV = {"HOME": "/home/ada", "MODEL_DIR": "/srv/models"}


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as err:
        config.parse(text, environ=ENV)
    return err.value.problems


def test_no_file_means_the_nanobot_preset(tmp_path: Path) -> None:
    cfg = config.load(tmp_path / "missing.toml", environ=ENV)
    a = cfg.assistant
    assert a.command == ("nanobot", "gateway", "--foreground")
    assert a.health is not None and a.health.url == "http://127.0.0.1:18790/health"
    assert a.data_dirs == (Path("/home/ada/.nanobot"),)
    assert a.no_restart_exit_codes == (78,) and cfg.source is None


def test_the_documented_shape_parses_with_human_units() -> None:
    cfg = config.parse('''
[programs.assistant]
command = ["nanobot", "gateway", "--foreground"]
restart = "on-failure"
startsecs = "2s"
stop_timeout = "10s"
max_restarts = 5
window = "2m"
[programs.assistant.backoff]
initial = "1s"
multiplier = 2
max = "60s"
[programs.assistant.health]
url = "http://127.0.0.1:18790/health"
[programs.assistant.limits]
memory = "1.5GB"
cpu = 90
''', environ=ENV)
    a = cfg.assistant
    assert (a.startsecs, a.stop_timeout, a.window) == (2.0, 10.0, 120.0)
    assert (a.backoff.initial, a.backoff.multiplier, a.backoff.max) == (1.0, 2, 60.0)
    assert a.limits.memory == 1_500_000_000 and a.limits.cpu == 90


def test_env_cwd_and_command_expand_vars_and_home() -> None:
    cfg = config.parse('''
[programs.models]
command = ["ollama", "serve", "--dir", "${MODEL_DIR}/a"]
cwd = "~/work"
env = { OLLAMA_MODELS = "${MODEL_DIR}", EMPTY = "${NOPE:-fallback}" }
''', environ=ENV)
    m = cfg.programs["models"]
    assert m.command[-1] == "/srv/models/a" and m.cwd == Path("/home/ada/work")
    assert m.env == {"OLLAMA_MODELS": "/srv/models", "EMPTY": "fallback"}


def test_presets_fill_in_and_keys_override() -> None:
    cfg = config.parse('[programs.assistant]\npreset = "openclaw"\nstop_timeout = "30s"\n', environ=ENV)
    a = cfg.assistant
    assert a.command == ("openclaw", "gateway", "run") and a.display_name == "OpenClaw"
    assert a.stop_timeout == 30.0 and a.health and a.health.url.endswith(":18789/health")


def test_nanoclaw_preset_uses_a_command_health_check_inside_its_checkout() -> None:
    cfg = config.parse('[programs.assistant]\npreset = "nanoclaw"\ncwd = "~/src/nanoclaw"\n', environ=ENV)
    a = cfg.assistant
    assert a.health and a.health.kind == "command" and a.cwd == Path("/home/ada/src/nanoclaw")
    assert Path("/home/ada/src/nanoclaw/data") in a.data_dirs


@pytest.mark.parametrize("text, expected", [
    ('[programs.a]\ncomand = ["x"]\n', "programs.a.comand: unknown key; did you mean 'command'?"),
    ('[programs.a]\ncommand = "nanobot gateway"\n', "programs.a.command: expected a list of strings"),
    ('[programs.a]\ncommand = []\n', "programs.a.command: the command is empty"),
    ('[programs.a]\ncommand = ["x"]\nrestart = "allways"\n', "did you mean 'always'?"),
    ('[programs.a]\ncommand = ["x"]\nstartsecs = "soon"\n', "programs.a.startsecs: 'soon' is not a duration"),
    ('[programs.a]\ncommand = ["x"]\nmax_restarts = -1\n', "programs.a.max_restarts: must be at least 0"),
    ('[programs.a]\ncommand = ["x"]\n[programs.a.limits]\nmemory = "lots"\n', "programs.a.limits.memory: 'lots' is not a size"),
    ('[programs.a]\ncommand = ["x"]\n[programs.a.health]\nurl = "ftp://x"\n', "programs.a.health.url: must start with http://"),
    ('[programs.a]\ncommand = ["x"]\n[programs.a.health]\ntcp = "nope"\n', 'programs.a.health.tcp: expected "host:port"'),
    ('[programs.a]\ncommand = ["x"]\nstop_signal = "STOP"\n', "programs.a.stop_signal: must be one of"),
    ('[programs.a]\ncommand = ["x"]\nenv = { A = 1 }\n', "programs.a.env: expected a table of strings"),
    ('[programs.a]\ncommand = ["x"]\n[programs.a.attach]\nsystemd_user = "a"\ndocker = "b"\n', "name one owner"),
    ('[programs."bad name"]\ncommand = ["x"]\n', 'programs.bad name: a program name may hold'),
    ('[logs]\nmax_size = true\n', "logs.max_size: expected a size"),
    ('[tray]\non_quit = "maybe"\n', "tray.on_quit: must be one of ask, stop, leave"),
    ('[programz.a]\ncommand = ["x"]\n', "programz: unknown key; did you mean 'programs'?"),
    ('[backup]\ndest = 5\n', "backup.dest: expected a string"),
    ('[programs.a]\ncommand = ["x"]\n[programs.a.health]\nurl = "http://127.0.0.1:187900/h"\n',
     "programs.a.health.url: 'http://127.0.0.1:187900/h' is not a usable URL"),
    ('[programs.a]\ncommand = ["x"]\n[programs.a.health]\ntcp = "127.0.0.1:70000"\n', "programs.a.health.tcp"),
    ('[programs.a]\ncommand = ["x"]\n[programs.a.limits]\ninterval = "0s"\n',
     "programs.a.limits.interval: must be at least 0.5s, got 0s"),
    ('[programs.a]\ncommand = ["x"]\n[programs.a.health]\nurl = "http://x/"\ninterval = 0\n',
     "programs.a.health.interval: must be at least 0.5s"),
    ('[programs.a]\ncommand = ["x"]\nretry_after_give_up = "0s"\n', "programs.a.retry_after_give_up: must be at least 1s"),
    ('[programs.a]\ncommand = ["x"]\nstop_timeout = inf\n', "programs.a.stop_timeout: a duration must be a finite"),
    ('[programs.a]\ncommand = ["x"]\n[programs.a.backoff]\nmultiplier = nan\n', "programs.a.backoff.multiplier: must be a finite"),
    ('[disk]\ninterval = "0s"\n', "disk.interval: must be at least 1s"),
])
def test_each_problem_is_named_with_its_key_path(text: str, expected: str) -> None:
    found = problems(text)
    assert any(expected in p for p in found), found


def test_all_problems_are_reported_at_once() -> None:
    found = problems('[programs.a]\ncommand = ["x"]\nrestart = "x"\nstartsecs = "y"\nwindw = "1m"\n')
    assert len(found) == 3


def test_malformed_toml_reports_the_line() -> None:
    with pytest.raises(ConfigError) as err:
        config.parse('[programs.a]\ncommand = ["x"\n', source=Path("/c/config.toml"))
    assert "/c/config.toml is not valid TOML" in str(err.value) and "line" in str(err.value)
    assert err.value.exit_code == 2


@pytest.mark.parametrize("preset", ["nanobot", "openclaw", "nanoclaw", "custom"])
def test_every_starter_file_is_valid(preset: str) -> None:
    cfg = config.parse(starter.render(preset), environ=ENV)
    assert cfg.assistant.preset == preset
    assert cfg.assistant.max_restarts == 5 and cfg.assistant.window == 120.0
