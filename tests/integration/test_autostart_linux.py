"""Linux login item and menu entry, for real: the real CLI writes into a temporary home.

Nothing here touches the real user's files: HOME, XDG_CONFIG_HOME, XDG_DATA_HOME, XDG_CONFIG_DIRS and
TRAYAPP_HOME all point into the test's folder.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from trayapp.autostart.xdg import parse_exec, read_entry

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux desktop files")
needs_validate = pytest.mark.skipif(
    shutil.which("desktop-file-validate") is None and not os.environ.get("TRAYAPP_REQUIRE_DESKTOP"),
    reason="desktop-file-validate (desktop-file-utils) is not installed")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    for folder in ("home", "config", "data"):  # a real home has ~/.config and ~/.local/share already
        (tmp_path / folder).mkdir()
    return {**os.environ, "HOME": str(tmp_path / "home"), "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_DIRS": str(tmp_path / "etc-xdg"),
            "TRAYAPP_HOME": str(tmp_path / "tray")}


def trayapp(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "trayapp", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=60)


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every file and folder under `root` with its content, to prove nothing changed."""
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None) for p in root.rglob("*")}


def status(env: dict[str, str]) -> dict:
    done = trayapp(env, "autostart", "status", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_enable_is_idempotent_and_disable_leaves_no_trace(tmp_path: Path, env: dict[str, str]) -> None:
    before = snapshot(tmp_path)
    entry = tmp_path / "config" / "autostart" / "trayapp.desktop"
    first = trayapp(env, "autostart", "enable")
    assert first.returncode == 0, first.stderr
    content = entry.read_bytes()
    assert entry.stat().st_mode & 0o777 == 0o644
    assert trayapp(env, "autostart", "enable").returncode == 0
    assert entry.read_bytes() == content
    assert status(env) == {**status(env), "enabled": True, "path": str(entry)}
    assert trayapp(env, "autostart", "disable").returncode == 0
    assert trayapp(env, "autostart", "disable").returncode == 0
    assert status(env)["enabled"] is False
    assert snapshot(tmp_path) == before


def test_the_entry_starts_this_very_trayapp_with_autostart(env: dict[str, str], tmp_path: Path) -> None:
    assert trayapp(env, "autostart", "enable").returncode == 0
    fields = read_entry((tmp_path / "config" / "autostart" / "trayapp.desktop").read_text())
    argv = parse_exec(fields["Exec"])
    assert argv[:2] == ["/usr/bin/env", f"TRAYAPP_HOME={tmp_path / 'tray'}"]
    program = argv[2]
    assert os.path.isabs(program) and fields["TryExec"] == program and argv[3:] == ["run", "--autostart"]
    tail = ["--version"] if "-m" not in argv else argv[3:5] + ["--version"]
    version = subprocess.run([program, *tail], capture_output=True, text=True, timeout=60)
    assert version.stdout.startswith("trayapp "), version.stdout + version.stderr


def test_hidden_written_by_the_user_reads_as_disabled(env: dict[str, str], tmp_path: Path) -> None:
    assert trayapp(env, "autostart", "enable").returncode == 0
    entry = tmp_path / "config" / "autostart" / "trayapp.desktop"
    entry.write_text(entry.read_text().replace("X-GNOME-Autostart-enabled=true", "X-GNOME-Autostart-enabled=false"))
    assert status(env)["enabled"] is False
    assert trayapp(env, "autostart", "enable").returncode == 0
    assert status(env)["enabled"] is True


@pytest.mark.parametrize(("platform", "expect"), [
    ("linux", "X-GNOME-Autostart-enabled=true"),
    ("macos", "<key>LimitLoadToSessionType</key>"),
    ("windows", r"HKCU\Software\Microsoft\Windows\CurrentVersion\Run\trayapp"),
])
@pytest.mark.parametrize("action", ["enable", "disable"])
def test_dry_run_prints_the_plan_and_touches_nothing(tmp_path: Path, env: dict[str, str], platform: str,
                                                      expect: str, action: str) -> None:
    if action == "disable":
        assert trayapp(env, "autostart", "enable").returncode == 0
    before = snapshot(tmp_path)
    done = trayapp(env, "autostart", action, "--platform", platform, "--dry-run")
    assert done.returncode == 0, done.stderr
    if action == "enable":
        assert expect in done.stdout
    assert snapshot(tmp_path) == before


def test_dry_run_json_lists_the_launchctl_argv(env: dict[str, str]) -> None:
    done = trayapp(env, "autostart", "enable", "--platform", "macos", "--dry-run", "--json")
    plan = json.loads(done.stdout)
    runs = [a["argv"] for a in plan["actions"] if a["do"] == "RunCommand"]
    assert [r[:2] for r in runs] == [["/bin/launchctl", "enable"], ["/bin/launchctl", "bootstrap"]]
    assert runs[1][2] == f"gui/{os.getuid()}" and runs[1][3].endswith("/Library/LaunchAgents/io.github.trayapp.plist")


def test_another_platform_cannot_be_changed_for_real(env: dict[str, str], tmp_path: Path) -> None:
    before = snapshot(tmp_path)
    done = trayapp(env, "autostart", "enable", "--platform", "windows")
    assert done.returncode == 1 and "--dry-run" in done.stderr
    assert snapshot(tmp_path) == before


@needs_validate
def test_both_desktop_files_pass_desktop_file_validate(env: dict[str, str], tmp_path: Path) -> None:
    assert trayapp(env, "autostart", "enable").returncode == 0
    menu = trayapp(env, "autostart", "install-menu", "--icons", str(ROOT / "assets"))
    assert menu.returncode == 0, menu.stderr
    for path in (tmp_path / "config" / "autostart" / "trayapp.desktop",
                 tmp_path / "data" / "applications" / "trayapp.desktop"):
        done = subprocess.run(["desktop-file-validate", str(path)], capture_output=True, text=True)
        assert done.returncode == 0 and not done.stdout.strip(), f"{path}: {done.stdout}{done.stderr}"


def test_menu_install_puts_icons_in_hicolor_and_uninstall_removes_them(env: dict[str, str], tmp_path: Path) -> None:
    before = snapshot(tmp_path)
    done = trayapp(env, "autostart", "install-menu", "--icons", str(ROOT / "assets"), "--json")
    assert done.returncode == 0, done.stderr
    hicolor = tmp_path / "data" / "icons" / "hicolor"
    sizes = sorted(p.parent.parent.name for p in hicolor.glob("*/apps/trayapp.*"))
    assert "48x48" in sizes and "scalable" in sizes and all(s == "scalable" or int(s.split("x")[0]) >= 48 for s in sizes)
    assert json.loads(done.stdout)["installed"] is True
    assert trayapp(env, "autostart", "uninstall-menu").returncode == 0
    after = snapshot(tmp_path)
    assert not [p for p in after if p.endswith((".png", ".svg", ".desktop"))]
    assert set(after) - set(before) <= {p for p in after if after[p] is None}  # only empty shared folders


@pytest.mark.slow
def test_install_script_then_uninstall_script(tmp_path: Path, env: dict[str, str]) -> None:
    """installers/linux/install.sh into a fresh venv (offline: no dependencies), then uninstall.sh."""
    if shutil.which("python3") is None:
        pytest.skip("no python3 on PATH")
    env = {**env, "TRAYAPP_PIP_ARGS": "--no-deps --no-index --no-build-isolation",
           "PATH": "/usr/local/bin:/usr/bin:/bin"}  # no pipx from the developer's PATH: the venv way
    venv = tmp_path / "venv"
    done = subprocess.run(["sh", str(ROOT / "installers/linux/install.sh"), "--venv", str(venv), "--autostart"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (Path(env["HOME"]) / ".local" / "bin" / "trayapp").resolve() == (venv / "bin" / "trayapp").resolve()
    entry = read_entry((tmp_path / "config" / "autostart" / "trayapp.desktop").read_text())
    assert parse_exec(entry["Exec"])[2] == str(venv / "bin" / "trayapp")
    assert (tmp_path / "data" / "applications" / "trayapp.desktop").exists()
    done = subprocess.run(["sh", str(ROOT / "installers/linux/uninstall.sh"), "--venv", str(venv)],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    left = [p for p in tmp_path.rglob("*") if p.is_file() and "tray" not in p.relative_to(tmp_path).parts[:1]]
    assert left == [] and not venv.exists()
