"""Where trayapp keeps its files: platformdirs locations, or all under TRAYAPP_HOME."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "trayapp"


@dataclass(frozen=True)
class AppPaths:
    """Every folder and well-known file trayapp uses. Build with `AppPaths.discover()`."""

    config_dir: Path
    state_dir: Path
    log_dir: Path
    data_dir: Path

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def backup_dir(self) -> Path:
        return self.data_dir / "backups"

    @property
    def pid_file(self) -> Path:
        return self.state_dir / "children.json"

    @property
    def lock_file(self) -> Path:
        return self.state_dir / "trayapp.lock"

    @property
    def journal_file(self) -> Path:
        return self.state_dir / "journal.jsonl"

    @property
    def control_socket(self) -> Path:
        return self.state_dir / "control.sock"

    @property
    def control_key(self) -> Path:
        return self.state_dir / "control.key"

    @property
    def trayapp_log(self) -> Path:
        return self.log_dir / "trayapp.log"

    def program_log(self, program: str) -> Path:
        return self.log_dir / f"{program}.log"

    @classmethod
    def discover(cls, environ: dict[str, str] | None = None) -> "AppPaths":
        """TRAYAPP_HOME=DIR puts everything under DIR; otherwise platformdirs' per-user folders."""
        env = os.environ if environ is None else environ
        home = env.get("TRAYAPP_HOME")
        if home:
            root = Path(home).expanduser().absolute()
            return cls(config_dir=root, state_dir=root / "state", log_dir=root / "logs", data_dir=root)
        import platformdirs

        dirs = platformdirs.PlatformDirs(APP_NAME, appauthor=False)
        return cls(
            config_dir=Path(dirs.user_config_dir),
            state_dir=Path(dirs.user_state_dir),
            log_dir=Path(dirs.user_log_dir),
            data_dir=Path(dirs.user_data_dir),
        )

    def ensure(self) -> None:
        """Create the folders, owner-only (0700). Tightens an existing folder we own."""
        for folder in (self.config_dir, self.state_dir, self.log_dir, self.data_dir):
            private_dir(folder)


def private_dir(folder: Path) -> Path:
    """mkdir -p with mode 0700 for what trayapp creates, and chmod 0700 on the leaf."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if os.name == "posix" and folder.stat().st_mode & 0o077:
        os.chmod(folder, 0o700)
    return folder
