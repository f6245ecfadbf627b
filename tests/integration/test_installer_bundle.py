"""The PyInstaller Linux one-folder bundle builds from installers/linux/trayapp.spec and really runs.

Slow (a build takes ~15-60 s), so it is marked `slow`; it runs in CI, where PyInstaller comes from the
`build` extra. Locally it is skipped when PyInstaller is missing, unless TRAYAPP_REQUIRE_DESKTOP is set.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Linux spec builds on Linux")]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if importlib.util.find_spec("PyInstaller") is None:
        if os.environ.get("TRAYAPP_REQUIRE_DESKTOP"):
            pytest.fail("PyInstaller is missing: pip install -e '.[build]'")
        pytest.skip("PyInstaller is not installed (pip install -e '.[build]')")
    work = tmp_path_factory.mktemp("pyinstaller")
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
                           "--distpath", str(work / "dist"), "--workpath", str(work / "build"),
                           str(ROOT / "installers" / "linux" / "trayapp.spec")],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    print(f"\nPyInstaller build took {time.monotonic() - started:.1f}s")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return work / "dist" / "trayapp"


def run(bundle: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(bundle / "trayapp"), *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})


def test_help_lists_every_command(bundle: Path) -> None:
    done = run(bundle, "--help")
    assert done.returncode == 0, done.stderr
    for command in ("run", "status", "config", "autostart", "export"):
        assert f"    {command}" in done.stdout


def test_config_path_and_autostart_status(bundle: Path, tmp_path: Path) -> None:
    env = {"TRAYAPP_HOME": str(tmp_path), "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "c")}
    assert run(bundle, "config", "path", env=env).stdout.strip() == str(tmp_path / "config.toml")
    state = json.loads(run(bundle, "autostart", "status", "--json", env=env).stdout)
    assert state == {**state, "enabled": False, "path": str(tmp_path / "c" / "autostart" / "trayapp.desktop")}


def test_the_bundle_points_its_login_item_at_itself(bundle: Path, tmp_path: Path) -> None:
    done = run(bundle, "autostart", "enable", "--dry-run", "--json", env={"XDG_CONFIG_HOME": str(tmp_path)})
    write = next(a for a in json.loads(done.stdout)["actions"] if a["do"] == "WriteFile")
    assert f'Exec="{bundle / "trayapp"}" run --autostart' in write["content"]


def test_the_icons_travel_inside_the_bundle(bundle: Path, tmp_path: Path) -> None:
    done = run(bundle, "autostart", "install-menu", "--dry-run", env={"XDG_DATA_HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert "hicolor/48x48/apps/trayapp.png" in done.stdout and "scalable/apps/trayapp.svg" in done.stdout


def test_pystray_backends_and_command_modules_are_frozen_in(bundle: Path) -> None:
    listing = subprocess.run([sys.executable, "-m", "PyInstaller.utils.cliutils.archive_viewer", "--list",
                              "--recursive", "--brief", str(bundle / "trayapp")],
                             capture_output=True, text=True, timeout=120)
    names = {line.strip() for line in listing.stdout.splitlines()}
    wanted = {"pystray._xorg", "pystray._gtk", "pystray._appindicator", "pystray._dummy",
              "trayapp.cli.autostart", "trayapp.cli.export", "trayapp.cli.run", "plyer.platforms.linux.notification"}
    assert wanted <= names, sorted(wanted - names)


def test_headless_run_supervises_a_program_and_stops_on_sigterm(bundle: Path, tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('[programs.assistant]\ncommand = ["sleep", "300"]\nstartsecs = "0.5s"\n')
    env = {**os.environ, "TRAYAPP_HOME": str(tmp_path)}
    proc = subprocess.Popen([str(bundle / "trayapp"), "run", "--headless"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL)
    try:
        child = _wait_running(bundle, env, proc)
        assert psutil.Process(child).name() == "sleep"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, proc.stdout.read() if proc.stdout else ""
        assert not psutil.pid_exists(child) or psutil.Process(child).status() == psutil.STATUS_ZOMBIE
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _wait_running(bundle: Path, env: dict[str, str], proc: subprocess.Popen[str]) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        done = subprocess.run([str(bundle / "trayapp"), "status", "--json"], env=env, capture_output=True,
                              text=True, timeout=30)
        if done.returncode == 0:
            programs = json.loads(done.stdout)["programs"]
            if programs and programs[0]["state"] == "running" and programs[0]["pid"]:
                return int(programs[0]["pid"])
        time.sleep(0.2)
    raise AssertionError("the bundled trayapp never reported the program as running")
