"""`trayapp status` builds the parser of its own command only: the other command modules (and what
they import) cost a status query most of its time, so they are not imported at all."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from trayapp import cli


def _registered_by(module: str) -> set[str]:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    __import__(module, fromlist=["register"]).register(sub)
    return set(sub.choices)


def test_the_command_table_names_every_command_and_its_module() -> None:
    table = {command: module for module in cli.COMMAND_MODULES for command in _registered_by(module)}
    assert cli.COMMANDS == table


def test_a_known_command_gets_a_parser_with_that_module_only() -> None:
    parser = cli.build_parser("status")
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(sub.choices) == _registered_by("trayapp.cli.control")
    assert set(next(a for a in cli.build_parser()._actions
                    if isinstance(a, argparse._SubParsersAction)).choices) == set(cli.COMMANDS)


def test_status_imports_no_other_command_module(tmp_path: Path) -> None:
    probe = ("import sys\nfrom trayapp.cli import main\ncode = main(['status'])\n"
             "print(' '.join(sorted(m for m in sys.modules if m.startswith('trayapp'))))\nsys.exit(0)\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "TRAYAPP_HOME": str(tmp_path)})
    loaded = set(done.stdout.splitlines()[-1].split()) if done.stdout else set()
    assert "trayapp.cli.control" in loaded, done.stderr
    others = {m for m in cli.COMMAND_MODULES if m != "trayapp.cli.control"}
    assert not loaded & others
    assert not {"trayapp.config", "trayapp.app", "trayapp.supervisor"} & loaded
