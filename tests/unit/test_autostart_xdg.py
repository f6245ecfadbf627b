"""Linux login item: Desktop Entry quoting, rendering, reading back, and the enable/disable plans."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from trayapp.autostart import plan as plan_mod
from trayapp.autostart.entry import LaunchCommand
from trayapp.procs import NoRunner
from trayapp.autostart.xdg import (XdgAutostart, XdgMenu, entry_state, exec_value, find_icons, parse_exec,
                                   png_size, quote_exec_arg, read_entry, render_entry)

HOSTILE = [
    "/home/me/.local/bin/trayapp",
    "/home/my name/bin/trayapp",
    '/opt/we"ird/trayapp',
    "/opt/dollar$HOME/trayapp",
    "/opt/back\\slash/trayapp",
    "/opt/back`tick`/trayapp",
    "/opt/100%/trayapp",
    "/opt/semi;colon & pipe|/trayapp",
    "/opt/tilde~/hash#/trayapp",
]


@pytest.mark.parametrize("program", HOSTILE)
def test_exec_round_trips_through_the_spec_quoting(program: str) -> None:
    argv = [program, "run", "--autostart", "arg with space", "100%"]
    assert parse_exec(exec_value(argv)) == argv


@pytest.mark.parametrize(("arg", "quoted"), [
    ("run", "run"),
    ("a b", '"a b"'),
    ('say "hi"', '"say \\"hi\\""'),
    ("$HOME", '"\\$HOME"'),
    ("50%", "50%%"),
    ("", '""'),
])
def test_exec_argument_quoting_follows_the_desktop_entry_spec(arg: str, quoted: str) -> None:
    assert quote_exec_arg(arg) == quoted


def test_a_backslash_is_four_backslashes_in_the_file_as_the_spec_says() -> None:
    assert exec_value(["/a\\b"]) == '"/a\\\\\\\\b"'


def test_the_program_is_always_quoted_and_absolute() -> None:
    text = render_entry(LaunchCommand(("/usr/bin/trayapp", "run", "--autostart")), autostart=True)
    fields = read_entry(text)
    assert fields["Exec"] == '"/usr/bin/trayapp" run --autostart'
    assert fields["TryExec"] == "/usr/bin/trayapp"


def test_autostart_entry_has_the_required_keys_and_no_phase() -> None:
    fields = read_entry(render_entry(LaunchCommand(("/usr/bin/trayapp", "run", "--autostart")), autostart=True))
    assert fields["Type"] == "Application"
    assert fields["X-GNOME-Autostart-enabled"] == "true"
    assert fields["Icon"] == "trayapp"
    assert fields["Terminal"] == "false"
    assert not any(k.startswith("X-GNOME-Autostart-Phase") for k in fields)
    assert "Hidden" not in fields


def test_the_entry_says_its_comment_in_chinese_too_whatever_language_wrote_it(tmp_path: Path) -> None:
    """GNOME's Startup Applications and the menu show Comment[zh_CN] to a Chinese session; the file
    is written once, by whichever language trayapp ran in. desktop-file-validate accepts it."""
    import shutil
    import subprocess

    fields = read_entry(render_entry(LaunchCommand(("/usr/bin/trayapp", "run")), autostart=False))
    assert fields["Comment"] == "Keeps your personal AI assistant running"
    assert fields["Comment[zh_CN]"] == "让你的个人 AI 助手一直保持运行"
    assert fields["GenericName[zh_CN]"] == "AI 助手守护程序"
    validate = shutil.which("desktop-file-validate")
    if validate:  # Debian's desktop-file-utils, in scripts/setup
        entry = tmp_path / "trayapp.desktop"
        entry.write_text(render_entry(LaunchCommand(("/usr/bin/trayapp", "run")), autostart=False), encoding="utf-8")
        checked = subprocess.run([validate, str(entry)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stdout + checked.stderr


def test_menu_entry_has_categories_and_no_autostart_keys() -> None:
    fields = read_entry(render_entry(LaunchCommand(("/usr/bin/trayapp", "run")), autostart=False))
    assert fields["Categories"] == "Utility;"
    assert fields["Exec"] == '"/usr/bin/trayapp" run'
    assert not any(k.startswith("X-GNOME") for k in fields)


def test_extra_environment_goes_through_env() -> None:
    command = LaunchCommand(("/usr/bin/trayapp", "run"), {"TRAYAPP_HOME": "/srv/my tray"})
    fields = read_entry(render_entry(command, autostart=True))
    assert parse_exec(fields["Exec"]) == ["/usr/bin/env", "TRAYAPP_HOME=/srv/my tray", "/usr/bin/trayapp", "run"]
    assert fields["TryExec"] == "/usr/bin/trayapp"


@pytest.mark.parametrize(("extra", "enabled"), [
    ("", True),
    ("Hidden=true\n", False),
    ("Hidden=false\n", True),
    ("X-GNOME-Autostart-enabled=false\n", False),
    ("X-GNOME-Autostart-enabled=true\n", True),
])
def test_reading_back_honours_hidden_and_the_gnome_switch(extra: str, enabled: bool) -> None:
    text = f"[Desktop Entry]\nType=Application\nName=t\nExec=/bin/true\nTryExec=/bin/true\n{extra}"
    assert entry_state(read_entry(text))[0] is enabled


def test_a_missing_tryexec_program_means_it_will_not_start(tmp_path: Path) -> None:
    fields = read_entry(f"[Desktop Entry]\nExec=x\nTryExec={tmp_path}/gone\n")
    enabled, why = entry_state(fields)
    assert not enabled and "missing" in why


def test_keys_of_other_groups_are_ignored() -> None:
    text = "[Desktop Entry]\nName=a\n[Desktop Action x]\nHidden=true\n"
    assert read_entry(text) == {"Name": "a"}


def _env(tmp_path: Path) -> dict[str, str]:
    return {"HOME": str(tmp_path / "home"), "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
            "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_DIRS": str(tmp_path / "etc-xdg")}


def _program(tmp_path: Path) -> str:
    program = tmp_path / "bin" / "trayapp"
    program.parent.mkdir(parents=True, exist_ok=True)
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    return str(program)


def test_enable_writes_0644_under_xdg_config_home_and_status_reads_it(tmp_path: Path) -> None:
    backend = XdgAutostart(LaunchCommand((_program(tmp_path), "run", "--autostart")), _env(tmp_path))
    plan_mod.apply(backend.plan_enable(), NoRunner())
    path = tmp_path / "cfg" / "autostart" / "trayapp.desktop"
    assert backend.path == path and oct(path.stat().st_mode & 0o777) == "0o644"
    state = backend.status()
    assert state.enabled and state.path == str(path)
    assert state.command == (_program(tmp_path), "run", "--autostart")


def test_disable_removes_the_file_and_a_second_disable_does_nothing(tmp_path: Path) -> None:
    backend = XdgAutostart(LaunchCommand((_program(tmp_path), "run")), _env(tmp_path))
    plan_mod.apply(backend.plan_enable(), NoRunner())
    plan_mod.apply(backend.plan_disable(), NoRunner())
    assert not backend.path.exists() and not backend.status().enabled
    assert backend.plan_disable().actions == ()


def test_disable_masks_a_system_wide_entry_with_hidden(tmp_path: Path) -> None:
    system = tmp_path / "etc-xdg" / "autostart" / "trayapp.desktop"
    system.parent.mkdir(parents=True)
    system.write_text(f"[Desktop Entry]\nType=Application\nName=trayapp\nExec={_program(tmp_path)}\n")
    backend = XdgAutostart(LaunchCommand((_program(tmp_path), "run")), _env(tmp_path))
    assert backend.status().enabled and backend.status().extra["system_wide"]
    plan_mod.apply(backend.plan_disable(), NoRunner())
    assert read_entry(backend.path.read_text())["Hidden"] == "true"
    assert not backend.status().enabled


def test_png_size_reads_the_header() -> None:
    header = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + (48).to_bytes(4, "big") + (32).to_bytes(4, "big")
    assert png_size(header) == (48, 32)
    assert png_size(b"GIF89a" + b"\x00" * 20) is None


def _icons(folder: Path, sizes: tuple[int, ...] = (48, 64, 256)) -> Path:
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for size in sizes:
        Image.new("RGBA", (size, size), (30, 40, 50, 255)).save(folder / f"trayapp-{size}.png")
    Image.new("RGBA", (32, 16)).save(folder / "trayapp-32.png")  # not square: must be skipped
    (folder / "trayapp.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>')
    return folder


def test_find_icons_keeps_square_pngs_and_the_svg(tmp_path: Path) -> None:
    found = find_icons([_icons(tmp_path / "assets")])
    assert sorted(found) == ["256x256", "48x48", "64x64", "scalable"]


def test_menu_install_then_uninstall_leaves_nothing_of_ours(tmp_path: Path) -> None:
    menu = XdgMenu(LaunchCommand((_program(tmp_path), "run")), _env(tmp_path), [_icons(tmp_path / "assets")])
    plan_mod.apply(menu.plan_install(), NoRunner())
    hicolor = tmp_path / "data" / "icons" / "hicolor"
    assert png_size((hicolor / "48x48" / "apps" / "trayapp.png").read_bytes()) == (48, 48)
    assert (hicolor / "scalable" / "apps" / "trayapp.svg").exists()
    plan_mod.apply(menu.plan_uninstall(), NoRunner())
    leftovers = [p for p in (tmp_path / "data").rglob("trayapp*")]
    assert leftovers == []


def test_menu_install_without_shipped_icons_draws_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # a wheel install has no assets/
    menu = XdgMenu(LaunchCommand(("/bin/trayapp", "run")), _env(tmp_path), [tmp_path / "empty"])
    plan = menu.plan_install()
    sources = [a.source for a in plan.actions if getattr(a, "source", None)]
    assert sources and all(str(tmp_path / "cache" / "trayapp" / "icons") in str(src) for src in sources)
    assert {src.name for src in sources} >= {"trayapp-48.png", "trayapp.svg"}


def test_an_existing_icon_cache_is_refreshed_but_none_is_created(tmp_path: Path) -> None:
    env = _env(tmp_path)
    menu = XdgMenu(LaunchCommand(("/bin/trayapp", "run")), env, [_icons(tmp_path / "assets")])
    assert not any(isinstance(a, plan_mod.RunCommand) for a in menu.plan_install().actions)
    (tmp_path / "data" / "icons" / "hicolor").mkdir(parents=True)
    (tmp_path / "data" / "icons" / "hicolor" / "icon-theme.cache").write_bytes(b"")
    runs = [a.argv for a in menu.plan_install().actions if isinstance(a, plan_mod.RunCommand)]
    assert runs == [("gtk-update-icon-cache", "-f", "-t", str(tmp_path / "data" / "icons" / "hicolor"))]


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None and not os.environ.get("TRAYAPP_REQUIRE_DESKTOP"),
                    reason="desktop-file-validate (desktop-file-utils) is not installed")
@pytest.mark.parametrize("program", HOSTILE)
@pytest.mark.parametrize("autostart", [True, False])
def test_rendered_entries_pass_desktop_file_validate(tmp_path: Path, program: str, autostart: bool) -> None:
    path = tmp_path / "trayapp.desktop"
    path.write_text(render_entry(LaunchCommand((program, "run")), autostart=autostart))
    done = subprocess.run(["desktop-file-validate", str(path)], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == "", done.stdout + done.stderr
