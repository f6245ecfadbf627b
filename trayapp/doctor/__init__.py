"""`trayapp doctor`: the answer to "why isn't my assistant working?" without reading source code.

    from trayapp import doctor
    report = doctor.run_all(config, paths)      # blocking: run it off the GUI thread
    report.render_text(); report.to_dict(); report.failed

One module per group of checks (environment, configs, assistant, permissions, space, backups,
autostart, database); each has `checks(inputs) -> list[Check]`. `diagnose(paths)` loads the config
itself and turns a broken config into a FAIL line instead of an error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Unpack

from trayapp.config import Config
from trayapp.doctor.report import Check, Level, Report
from trayapp.paths import AppPaths

if TYPE_CHECKING:
    from trayapp.doctor.inputs import World

__all__ = ["Check", "Level", "Report", "diagnose", "run_all"]


def run_all(config: Config, paths: AppPaths, *, fix: bool = False, **inputs: Unpack[World]) -> Report:
    """Run every check against `config`. `fix=True` tightens loose permissions. Blocking."""
    from trayapp.doctor.inputs import Inputs
    from trayapp.doctor.runner import run

    return run(Inputs(config=config, paths=paths, fix=fix, **inputs))


def diagnose(paths: AppPaths, *, fix: bool = False, **inputs: Unpack[World]) -> Report:
    """Load config.toml (a broken one is reported, the defaults used) and run every check."""
    from trayapp import config as config_mod
    from trayapp.doctor.inputs import Inputs
    from trayapp.doctor.runner import run
    from trayapp.errors import ConfigError

    try:
        config, error = config_mod.load(paths.config_file), None
    except ConfigError as exc:
        config, error = config_mod.default_config(), str(exc)
    return run(Inputs(config=config, paths=paths, fix=fix, config_error=error, **inputs))
