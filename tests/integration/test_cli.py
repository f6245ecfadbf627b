"""The command line as a user meets it: help everywhere, cheap imports, clear exits."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.running import ROOT, Trayapp, child_command

COMMANDS = [["run"], ["status"], ["start"], ["stop"], ["restart"], ["quit"], ["logs"], ["history"],
            ["config"], ["config", "init"], ["config", "path"], ["config", "check"]]


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "trayapp", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env=env)


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help(command: list[str]) -> None:
    done = run(*command, "--help")
    assert done.returncode == 0 and "usage: trayapp" in done.stdout and len(done.stdout) > 120


def imported_modules(*args: str, home: Path) -> set[str]:
    import os

    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "trayapp", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "TRAYAPP_HOME": str(home), "DISPLAY": ""})
    return {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}


@pytest.mark.parametrize("args", [("status",), ("history",), ("config", "check"), ("--help",)])
def test_commands_other_than_the_tray_never_import_pystray(args: tuple[str, ...], tmp_path: Path) -> None:
    modules = imported_modules(*args, home=tmp_path)
    assert "trayapp.cli" in modules, "the probe itself must see trayapp's imports"
    assert not {m for m in modules if m.split(".")[0] in ("pystray", "plyer", "tkinter", "PIL")}


def test_headless_run_never_imports_pystray(tmp_path: Path, trayapps: list[Trayapp]) -> None:
    t = Trayapp(tmp_path / "h", f"[programs.assistant]\ncommand = {child_command('sleep')}\n",
                env={"DISPLAY": "", "PYTHONPROFILEIMPORTTIME": "1"})
    trayapps.append(t.start())
    t.wait_state("running")
    assert t.terminate() == 0
    lines = t.output().splitlines()
    imported = {line.split("|")[-1].strip() for line in lines if line.startswith("import time:")}
    assert "trayapp.app" in imported
    assert not {m for m in imported if m.split(".")[0] in ("pystray", "tkinter")}


def test_without_a_display_run_says_why_and_carries_on_headless(tmp_path: Path, trayapps: list[Trayapp]) -> None:
    t = Trayapp(tmp_path / "h", f"[programs.assistant]\ncommand = {child_command('sleep')}\n",
                env={"DISPLAY": "", "WAYLAND_DISPLAY": ""})
    trayapps.append(t.start(headless=False))
    t.wait_state("running")
    first = t.output().splitlines()[0]
    assert first == "trayapp: running headless: no graphical display (DISPLAY and WAYLAND_DISPLAY are not set)"
    assert t.terminate() == 0


def test_python_dash_m_and_version() -> None:
    done = run("--version")
    assert done.returncode == 0 and done.stdout.startswith("trayapp ")


def test_unknown_command_is_a_usage_error() -> None:
    done = run("frobnicate")
    assert done.returncode == 2 and "invalid choice: 'frobnicate'" in done.stderr
