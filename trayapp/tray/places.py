"""Which folder "Open data folder" shows and which file "Open config file" opens."""

from __future__ import annotations

from pathlib import Path

from trayapp.config import Config
from trayapp.paths import AppPaths


def data_folder(config: Config | None, paths: AppPaths) -> Path:
    """The assistant's own data folder when it exists here, else trayapp's."""
    if config is not None and config.programs:
        for folder in config.assistant.data_dirs:
            if Path(folder).is_dir():
                return Path(folder)
    return paths.data_dir


def config_target(paths: AppPaths) -> Path:
    """config.toml, or its folder while there is none (defaults in use)."""
    return paths.config_file if paths.config_file.exists() else paths.config_dir
