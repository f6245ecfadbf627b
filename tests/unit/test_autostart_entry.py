"""Which command a login item runs, and the platform facade."""

from __future__ import annotations

from pathlib import Path

import pytest

from trayapp import autostart
from trayapp.autostart.entry import resolve
from trayapp.errors import PlatformNotSupported


def test_the_script_beside_the_running_interpreter_wins_over_path() -> None:
    command = resolve("linux", executable="/home/me/venv/bin/python", frozen=False,
                      which=lambda name: "/usr/bin/trayapp", exists=lambda p: p == "/home/me/venv/bin/trayapp",
                      environ={})
    assert command.argv == ("/home/me/venv/bin/trayapp", "run", "--autostart")


def test_then_path_then_the_interpreter_with_dash_m() -> None:
    on_path = resolve("macos", executable="/usr/bin/python3", frozen=False, which=lambda n: "/opt/bin/trayapp",
                      exists=lambda p: False, environ={})
    assert on_path.argv[0] == "/opt/bin/trayapp"
    fallback = resolve("linux", executable="/usr/bin/python3", frozen=False, which=lambda n: None,
                       exists=lambda p: False, environ={})
    assert fallback.argv == ("/usr/bin/python3", "-m", "trayapp", "run", "--autostart")


def test_a_frozen_bundle_starts_itself() -> None:
    command = resolve("linux", executable="/opt/trayapp/trayapp", frozen=True, environ={})
    assert command.argv == ("/opt/trayapp/trayapp", "run", "--autostart")


def test_trayapp_home_is_carried_and_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    command = resolve("linux", executable="/x/python", frozen=True, environ={"TRAYAPP_HOME": "portable"})
    assert command.env == {"TRAYAPP_HOME": str(tmp_path / "portable")}


@pytest.mark.parametrize(("sys_platform", "platform"), [("linux", "linux"), ("darwin", "macos"),
                                                        ("win32", "windows"), ("freebsd14", "linux"),
                                                        ("emscripten", None)])
def test_platform_of(sys_platform: str, platform: str | None) -> None:
    assert autostart.platform_of(sys_platform) == platform


def test_another_platform_can_be_previewed_but_not_changed(tmp_path: Path) -> None:
    other = "windows" if autostart.PLATFORM != "windows" else "macos"
    preview = autostart.backend(other, environ={"HOME": str(tmp_path)})
    assert preview.plan_enable().actions
    with pytest.raises(PlatformNotSupported, match="--dry-run"):
        autostart.enable(platform=other, environ={"HOME": str(tmp_path)})
