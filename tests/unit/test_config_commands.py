"""`trayapp config check` finds a command that cannot run, as the supervisor would find it."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from trayapp import config
from trayapp.cli import main
from trayapp.config.commands import missing, unrunnable
from trayapp.errors import ConfigError

ENV = {"HOME": "/home/ada", "PATH": ""}


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as err:
        config.parse(text, environ=ENV, commands=unrunnable)
    return err.value.problems


def script(path: Path, executable: bool) -> Path:
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o700 if executable else 0o600)
    return path


def test_a_folder_as_the_command_is_a_problem_and_the_fix_is_not_chmod(tmp_path: Path) -> None:
    (found,) = problems(f'[programs.a]\ncommand = ["{tmp_path}", "serve"]\n')
    assert found == (f"programs.a.command: {tmp_path} is a folder, not a program; the first item of command "
                     "must be the program file to run")


@pytest.mark.skipif(os.name != "posix", reason="execute permission is a POSIX mode bit")
def test_a_file_without_execute_permission_is_a_problem_with_its_fix(tmp_path: Path) -> None:
    plain = script(tmp_path / "run.sh", executable=False)
    (found,) = problems(f'[programs.a]\ncommand = ["{plain}"]\n')
    assert found.startswith(f"programs.a.command: {plain} is not executable; make it so with `chmod +x {plain}`")


@pytest.mark.skipif(os.name != "posix", reason="execute permission is a POSIX mode bit")
def test_a_relative_command_is_found_in_cwd_as_the_supervisor_finds_it(tmp_path: Path) -> None:
    script(tmp_path / "run.sh", executable=False)
    (found,) = problems(f'[programs.a]\ncommand = ["./run.sh"]\ncwd = "{tmp_path}"\n')
    assert f"{tmp_path / 'run.sh'} is not executable" in found


def test_every_problem_of_a_program_is_told_once(tmp_path: Path) -> None:
    found = problems(f'[programs.a]\ncommand = ["{tmp_path}"]\nrestart = "sometimes"\n')
    assert [p.split(":")[0] for p in found] == ["programs.a.restart", "programs.a.command"]


def test_a_runnable_command_passes(tmp_path: Path) -> None:
    ok = script(tmp_path / "run.sh", executable=True)
    cfg = config.parse(f'[programs.a]\ncommand = ["{ok}"]\n', environ=ENV, commands=unrunnable)
    assert missing(cfg.programs["a"], ENV) is None


def test_a_program_beside_trayapps_interpreter_is_found_without_path() -> None:
    """An assistant installed into trayapp's own virtualenv runs though it is not on PATH."""
    name = Path(sys.executable).name
    cfg = config.parse(f'[programs.a]\ncommand = ["{name}"]\n', environ=ENV, commands=unrunnable)
    assert missing(cfg.programs["a"], ENV) is None


def test_a_command_not_installed_yet_is_a_warning_not_a_problem() -> None:
    cfg = config.parse('[programs.a]\npreset = "nanobot"\ncommand = ["no-such-assistant-here"]\n',
                       environ=ENV, commands=unrunnable)
    warning = missing(cfg.programs["a"], ENV)
    assert warning is not None and warning.startswith("no-such-assistant-here is not on PATH; install it with")


def test_an_attached_programs_command_is_never_run_so_never_checked(tmp_path: Path) -> None:
    cfg = config.parse(f'[programs.a]\ncommand = ["{tmp_path}"]\n[programs.a.attach]\nurl = "http://x/"\n',
                       environ=ENV, commands=unrunnable)
    assert missing(cfg.programs["a"], ENV) is None


def test_config_check_exits_2_naming_a_folder_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TRAYAPP_HOME", str(tmp_path))
    monkeypatch.setenv("PROGRAM_DIR", str(tmp_path))
    (tmp_path / "config.toml").write_text('[programs.a]\ncommand = ["${PROGRAM_DIR}"]\n')
    assert main(["config", "check"]) == 2
    err = capsys.readouterr().err
    assert f"programs.a.command: {tmp_path} is a folder, not a program" in err and "chmod" not in err


def test_config_check_warns_of_a_missing_program_and_exits_0(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TRAYAPP_HOME", str(tmp_path))
    (tmp_path / "config.toml").write_text('[programs.a]\ncommand = ["no-such-assistant-here", "run"]\n')
    assert main(["config", "check"]) == 0
    out = capsys.readouterr().out
    assert "  a: no-such-assistant-here run  (warning: no-such-assistant-here is not on PATH;" in out


@pytest.mark.skipif(os.name != "posix", reason="execute permission is a POSIX mode bit")
def test_the_check_reads_modes_not_names(tmp_path: Path) -> None:
    """The same file is a problem, then fine once it is made executable: the mode is what counts."""
    path = script(tmp_path / "tool", executable=False)
    before = unrunnable((str(path),), ENV, None)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    assert before is not None and unrunnable((str(path),), ENV, None) is None
