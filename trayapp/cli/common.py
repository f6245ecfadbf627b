"""What several commands share: where files live and the loaded config."""

from __future__ import annotations

from typing import TYPE_CHECKING

from trayapp.paths import AppPaths

if TYPE_CHECKING:
    from trayapp.config import Config


def paths() -> AppPaths:
    return AppPaths.discover()


def load_config(where: AppPaths) -> Config:
    """The config, or ConfigError (exit 2) naming every problem."""
    from trayapp import config

    return config.load(where.config_file)
