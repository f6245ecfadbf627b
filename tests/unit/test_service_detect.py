"""Finding the assistant's own service (nanobot install-service, openclaw gateway install, trayapp export)."""

from __future__ import annotations

from pathlib import Path

from trayapp.config import ProgramConfig, parse
from trayapp.supervisor.services import detect_service, systemd_user_dirs


def _program(preset: str = "nanobot") -> ProgramConfig:
    return parse(f'[programs.assistant]\npreset = "{preset}"\n', environ={}).assistant


def _env(tmp_path: Path) -> dict[str, str]:
    return {"HOME": str(tmp_path), "XDG_CONFIG_DIRS": str(tmp_path / "etc-xdg"),
            "XDG_DATA_DIRS": str(tmp_path / "usr-share")}


def test_nothing_installed_means_none(tmp_path: Path) -> None:
    assert detect_service(_program(), environ=_env(tmp_path), platform="linux", system_dirs=False) is None
    assert detect_service(_program(), environ=_env(tmp_path), platform="macos", system_dirs=False) is None


def test_nanobot_install_service_on_linux_is_found_and_enabled(tmp_path: Path) -> None:
    units = tmp_path / ".config" / "systemd" / "user"
    (units / "default.target.wants").mkdir(parents=True)
    (units / "nanobot-gateway.service").write_text("[Service]\nExecStart=/bin/true\n")
    (units / "default.target.wants" / "nanobot-gateway.service").symlink_to(units / "nanobot-gateway.service")
    found = detect_service(_program(), environ=_env(tmp_path), platform="linux", system_dirs=False)
    assert found is not None and (found.manager, found.name, found.origin) == ("systemd_user", "nanobot-gateway.service", "assistant")
    assert found.enabled is True
    assert found.attach_toml("assistant") == '[programs.assistant.attach]\nsystemd_user = "nanobot-gateway.service"\n'


def test_a_unit_in_xdg_data_home_that_is_not_enabled(tmp_path: Path) -> None:
    units = tmp_path / "data" / "systemd" / "user"
    units.mkdir(parents=True)
    (units / "openclaw-gateway.service").write_text("[Service]\n")
    env = {**_env(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")}
    found = detect_service(_program("openclaw"), environ=env, platform="linux", system_dirs=False)
    assert found is not None and found.path == units / "openclaw-gateway.service" and found.enabled is False


def test_a_masked_unit_is_not_a_service(tmp_path: Path) -> None:
    units = tmp_path / ".config" / "systemd" / "user"
    units.mkdir(parents=True)
    (units / "nanobot-gateway.service").symlink_to("/dev/null")
    assert detect_service(_program(), environ=_env(tmp_path), platform="linux", system_dirs=False) is None


def test_launch_agents_of_nanobot_openclaw_and_trayapp_export(tmp_path: Path) -> None:
    agents = tmp_path / "Library" / "LaunchAgents"
    agents.mkdir(parents=True)
    (agents / "ai.openclaw.gateway.plist").write_bytes(b"")
    found = detect_service(_program("openclaw"), environ=_env(tmp_path), platform="macos", system_dirs=False)
    assert found is not None and (found.manager, found.name) == ("launchd", "ai.openclaw.gateway")
    assert detect_service(_program("nanobot"), environ=_env(tmp_path), platform="macos", system_dirs=False) is None
    (agents / "io.github.trayapp.assistant.plist").write_bytes(b"")
    exported = detect_service(_program("nanobot"), environ=_env(tmp_path),
                              platform="macos", system_dirs=False)
    assert exported is not None and exported.origin == "export"


def test_windows_has_no_service_detection_even_with_units_and_agents_installed(tmp_path: Path) -> None:
    units = tmp_path / ".config" / "systemd" / "user"
    agents = tmp_path / "Library" / "LaunchAgents"
    units.mkdir(parents=True)
    agents.mkdir(parents=True)
    (units / "nanobot-gateway.service").write_text("[Service]\nExecStart=/bin/true\n")
    (agents / "ai.nanobot.gateway.plist").write_bytes(b"")
    env = _env(tmp_path)
    # The same home is found on the platforms that have service managers trayapp can drive...
    assert detect_service(_program(), environ=env, platform="linux", system_dirs=False) is not None
    assert detect_service(_program(), environ=env, platform="macos", system_dirs=False) is not None
    # ...and on Windows, where nanobot installs no such service, nothing is claimed.
    assert detect_service(_program(), environ=env, platform="windows", system_dirs=False) is None


def test_user_dirs_come_first_and_honour_xdg(tmp_path: Path) -> None:
    dirs = systemd_user_dirs({"HOME": "/h", "XDG_CONFIG_HOME": "/c", "XDG_RUNTIME_DIR": "/run/user/1"})
    assert dirs[0] == Path("/c/systemd/user")
    assert Path("/run/user/1/systemd/user") in dirs and Path("/h/.local/share/systemd/user") in dirs
    assert dirs[-1] == Path("/usr/lib/systemd/user")
