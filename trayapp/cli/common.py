"""What several commands share: where files live and the loaded config."""

from __future__ import annotations

from typing import TYPE_CHECKING

from trayapp.paths import AppPaths

if TYPE_CHECKING:
    from trayapp.config import Config


def paths() -> AppPaths:
    return AppPaths.discover()


def configured_language(where: AppPaths) -> str:
    """[ui] language of config.toml ("auto" when unset, unreadable or not one trayapp speaks): read on
    its own, before the whole config, because even `--help` and a config error speak the user's language."""
    import tomllib

    try:
        with open(where.config_file, "rb") as f:
            ui = tomllib.load(f).get("ui")
    except (OSError, ValueError):
        return "auto"
    choice = ui.get("language") if isinstance(ui, dict) else None
    return choice if isinstance(choice, str) else "auto"


def load_config(where: AppPaths) -> Config:
    """The config, or ConfigError (exit 2) naming every problem."""
    from trayapp import config

    return config.load(where.config_file)
