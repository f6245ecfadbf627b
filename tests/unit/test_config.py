"""config.toml parsing: defaults, presets, expansion, and one clear message per problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
    assert a.stop_timeout == 30.0 and a.health and (a.health.url or "").endswith(":18789/health")


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
    ('[programs.trayapp]\ncommand = ["x"]\n', "programs.trayapp: the name 'trayapp' is trayapp's own; rename"),
    ('[programs.TrayApp]\ncommand = ["x"]\n', "programs.TrayApp: the name 'trayapp' is trayapp's own"),
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
    assert [p.split(":")[0] for p in found] == ["programs.a.windw", "programs.a.restart", "programs.a.startsecs"]
    assert "did you mean 'window'?" in found[0] and "'y' is not a duration" in found[2]


def test_a_string_command_is_told_once_and_hides_none_of_the_programs_other_problems() -> None:
    found = problems('[programs.a]\ncommand = "nanobot gateway"\nrestart = "sometimes"\n'
                     '[programs.a.limits]\nmemory = "lots"\n')
    assert [p.split(":")[0] for p in found] == ["programs.a.command", "programs.a.restart", "programs.a.limits.memory"]
    assert "not one string (trayapp never runs a shell)" in found[0]


def test_an_alert_naming_a_program_with_problems_is_not_a_second_problem() -> None:
    found = problems('[programs.a]\ncommand = "x"\n[[alerts]]\nwhen = "gave up"\nprogram = "a"\n')
    assert [p.split(":")[0] for p in found] == ["programs.a.command"]


@pytest.mark.parametrize("text, expected", [
    ('[programs.a]\ncommand = ["${UNSET}", "--port", "1"]\n',
     "programs.a.command: the program to run (the first item) is empty; if it is a ${VARIABLE}, set that variable"),
    ('[programs.a]\ncommand = ["${UNSET:- }"]\n', "programs.a.command: the program to run (the first item) is empty"),
    ('[logs]\nmax_size = "0"\n', "logs.max_size: must be at least 64KiB, got 0B"),
    ('[logs]\nmax_size = 1000\n', "logs.max_size: must be at least 64KiB, got 1KB"),
    ('[logs]\ntotal_cap = []\n', 'logs.total_cap: expected a size such as "50MB" or "1GB", got a list'),
    ('[logs]\ntotal_cap = 1.5\n', 'logs.total_cap: expected a size such as "50MB" or "1GB", got a number'),
    ('[logs]\ntotal_cap = "1MB"\n', "logs.total_cap: total_cap (1MB) is smaller than max_size (10MB)"),
    ('[logs]\nmax_size = "500MB"\n', "logs.max_size: total_cap (200MB, the default) is smaller than max_size"),
    ('[programs.a]\ncommand = ["x"]\n[programs.a.limits]\nmemory = 1000\n',
     "programs.a.limits.memory: must be at least 16MiB, got 1KB"),
    ('[disk]\nwarn_percent = 150\n', "disk.warn_percent: a percentage is at most 100, got 150"),
    ('[backup]\nkeep_last = 0\nkeep_daily = 0\nkeep_weekly = 0\n', "backup: keep_last, keep_daily and keep_weekly are all 0"),
    ('[programs.a]\ncommand = ["x"]\n[programs.a.health]\nurl = "${UNSET}"\n',
     "programs.a.health.url: must start with http:// or https://, got ''"),
])
def test_config_check_refuses_what_would_fail_at_run_time(text: str, expected: str) -> None:
    found = problems(text)
    assert len(found) == 1 and found[0].startswith(expected), found


def test_the_smallest_sizes_allowed_are_accepted() -> None:
    cfg = config.parse('[logs]\nmax_size = "64KiB"\ntotal_cap = "64KiB"\nkeep = 0\n'
                       '[backup]\nkeep_last = 0\nkeep_daily = 1\nkeep_weekly = 0\n', environ=ENV)
    assert (cfg.logs.max_size, cfg.logs.total_cap, cfg.logs.keep, cfg.backup.keep_daily) == (65536, 65536, 0, 1)


# Every key, given a value of the wrong kind: each problem names its key in words, none is internal.
WRONG_VALUES = ("[]", "{ a = 1 }", "true", "1.5", '"@@"', "-1")
SECTIONS = {
    "programs.a": ["preset", "display_name", "command", "cwd", "env", "autostart", "restart", "startsecs",
                   "max_restarts", "window", "retry_after_give_up", "stop_signal", "stop_timeout",
                   "exit_codes", "no_restart_exit_codes", "data_dirs", "backoff", "health", "limits", "attach"],
    "programs.a.backoff": ["initial", "multiplier", "max", "jitter", "reset_after"],
    "programs.a.health": ["url", "expect", "tcp", "command", "interval", "timeout", "failures", "start_grace",
                          "action"],
    "programs.a.limits": ["memory", "cpu", "samples", "interval", "action"],
    "programs.a.attach": ["systemd_user", "launchd", "docker", "url", "start", "stop", "restart", "logs"],
    "logs": ["max_size", "keep", "total_cap", "redact"],
    "notifications": ["enabled", "paused_until", "quiet_after_crash"],
    "disk": ["warn_percent", "warn_free", "critical_percent", "critical_free", "interval"],
    "backup": ["dest", "paths", "exclude", "include", "include_logs", "verify", "schedule", "keep_last",
               "keep_daily", "keep_weekly"],
    "tray": ["on_quit"],
}
INTERNAL = ("object", "NoneType", "bytes-like", "<class", "Traceback", "attribute", "'list'", "'dict'",
            "not subscriptable", "not iterable", "unhashable")


LISTS_ALLOWED = {"exit_codes", "no_restart_exit_codes", "data_dirs", "paths", "exclude", "include"}


def _with(section: str, key: str, value: str) -> str:
    program = "[programs.a]\n" + ("" if (section, key) == ("programs.a", "command") else 'command = ["x"]\n')
    return program + (f"{key} = {value}\n" if section == "programs.a" else f"[{section}]\n{key} = {value}\n")


@pytest.mark.parametrize("section, key", [(s, k) for s, keys in SECTIONS.items() for k in keys])
def test_a_value_of_the_wrong_kind_is_named_in_words(section: str, key: str) -> None:
    for value in WRONG_VALUES:
        try:
            config.parse(_with(section, key, value), environ=ENV)
        except ConfigError as err:
            assert err.problems and all(p.startswith(f"{section}.{key}") for p in err.problems), (value, err.problems)
            assert not any(word in p for p in err.problems for word in INTERNAL), (value, err.problems)
        else:
            scalar = value not in ("[]", "{ a = 1 }")  # some keys take true, 1.5, "@@" or -1
            assert scalar or key in (LISTS_ALLOWED if value == "[]" else {"expect"}), \
                f"{section}.{key} = {value} was accepted"


@pytest.mark.parametrize("where, text, value", [
    ("backup.dest", '[backup]\ndest = "${D}"\n', lambda c: c.backup.dest),
    ("backup.paths", '[backup]\npaths = ["${D}"]\n', lambda c: c.backup.paths[0]),
    ("cwd", '[programs.a]\ncommand = ["x"]\ncwd = "${D}"\n', lambda c: c.programs["a"].cwd),
    ("command", '[programs.a]\ncommand = ["${D}"]\n', lambda c: Path(c.programs["a"].command[0])),
    ("env", '[programs.a]\ncommand = ["x"]\nenv = { V = "${D}" }\n', lambda c: Path(c.programs["a"].env["V"])),
    ("data_dirs", '[programs.a]\ncommand = ["x"]\ndata_dirs = ["${D}"]\n', lambda c: c.programs["a"].data_dirs[0]),
    ("alert command", '[[alerts]]\nwhen = "gave up"\naction = "command"\ncommand = ["${D}"]\n',
     lambda c: Path(c.alerts[0].command[0])),
])
def test_a_variable_is_expanded_once_never_twice(where: str, text: str, value: Any) -> None:
    cfg = config.parse(text, environ={**ENV, "D": "${E}", "E": "/should/not/appear"})
    assert value(cfg) == Path("${E}"), where


def test_a_preset_cwd_and_its_data_dirs_are_expanded_once() -> None:
    cfg = config.parse('[programs.assistant]\npreset = "nanoclaw"\ncwd = "${D}/nc"\n',
                       environ={**ENV, "D": "${E}", "E": "/should/not/appear"})
    assert cfg.assistant.cwd == Path("${E}/nc") and Path("${E}/nc/data") in cfg.assistant.data_dirs


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
