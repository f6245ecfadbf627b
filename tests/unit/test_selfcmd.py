"""trayapp starting its own helper processes, from a virtualenv and from a frozen bundle."""

from __future__ import annotations

import sys

import pytest

from trayapp import selfcmd


def test_from_a_virtualenv_it_uses_dash_m() -> None:
    assert selfcmd.module_command("logs.keeper", "--log", "x") == [sys.executable, "-m", "trayapp.logs.keeper", "--log", "x"]


def test_from_a_frozen_bundle_it_asks_its_own_executable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert selfcmd.module_command("logs.keeper", "--log", "x") == [sys.executable, "_module", "logs.keeper", "--log", "x"]


def test_only_known_modules() -> None:
    with pytest.raises(ValueError):
        selfcmd.module_command("os")
    with pytest.raises(ValueError):  # the Tk windows are gone, and with them their modules
        selfcmd.module_command("ui.status")
    with pytest.raises(SystemExit):
        selfcmd.run_module("shutil", [])
