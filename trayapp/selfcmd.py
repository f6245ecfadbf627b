"""How trayapp starts another process of its own (the log keeper, the rlimits step), frozen or not.

From a virtualenv that is `python -m trayapp.logs.keeper`; inside a PyInstaller bundle there is no
`-m`, so the bundle's own executable runs `trayapp _module logs.keeper` instead.
"""

from __future__ import annotations

import importlib
import sys

# The modules that may be started this way; each has main(argv) -> int.
MODULES = ("logs.keeper", "supervisor.rlimits")


def module_command(name: str, *args: str) -> list[str]:
    if name not in MODULES:
        raise ValueError(f"unknown trayapp module {name!r}")
    if getattr(sys, "frozen", False):  # set by PyInstaller in its bundles only
        return [sys.executable, "_module", name, *args]
    return [sys.executable, "-m", f"trayapp.{name}", *args]


def run_module(name: str, args: list[str]) -> int:
    if name not in MODULES:
        raise SystemExit(f"trayapp: unknown module {name!r}")
    return int(importlib.import_module(f"trayapp.{name}").main(args) or 0)
