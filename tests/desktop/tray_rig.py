"""Helpers for the tray's desktop tests: a real `trayapp run`, windows found by name, pixels read
from real screenshots. The X server and tray host come from `tray_desktop()` below (its own Xvfb
and trayer, sized for windows); the skip-or-fail rule is the harness's `need`.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from tests.desktop.harness import need

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
NEEDED = ("Xvfb", "trayer", "xdotool", "xwininfo", "import")

CHILD = """\
import os, signal, sys, time
print("child up", os.getpid(), flush=True)
print("warning: the test child writes to stderr", file=sys.stderr, flush=True)
print("error: and an error line too", file=sys.stderr, flush=True)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
while True:
    time.sleep(3600)
"""

# Colours of the state icons' fills (trayapp/tray/icons.py), to tell states apart in screenshots.
FILLS = {"running": (0x1F, 0x9D, 0x4C), "starting": (0x2F, 0x6F, 0xDE), "given_up": (0xD9, 0x36, 0x36),
         "stopped": (0x73, 0x7B, 0x86), "unhealthy": (0xF5, 0xA5, 0x24), "attached": (0x0F, 0x95, 0x8A)}


# Runs `trayapp` with pystray's Icon.update_menu counted: each call is a whole new menu sent to
# the panel (over D-Bus with AppIndicator), which is what the tray must not do 13 times a second.
MENU_COUNTER = """\
import runpy, sys, time
import pystray
out, real = sys.argv[1], pystray.Icon.update_menu
def counted(self):
    with open(out, "a") as f:
        f.write(f"{time.monotonic()}\\n")
    real(self)
pystray.Icon.update_menu = counted
sys.argv = ["trayapp", *sys.argv[2:]]
runpy.run_module("trayapp", run_name="__main__")
"""


def missing_tools() -> list[str]:
    return [tool for tool in NEEDED if shutil.which(tool) is None]


@dataclass
class Desktop:
    display: str
    env: dict[str, str]

    def run(self, *argv: str, check: bool = True) -> str:
        return subprocess.run(argv, env=self.env, capture_output=True, encoding="latin-1", check=check,
                              timeout=20).stdout  # X window names are Latin-1 here

    def screenshot(self, path: Path) -> Image.Image:
        self.run("import", "-window", "root", str(path))
        return Image.open(path).convert("RGB")

    def find_window(self, name: str, timeout: float = 15.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out = self.run("xdotool", "search", "--name", name, check=False).split()
            if out:
                return int(out[-1])
            time.sleep(0.2)
        raise AssertionError(f"no window named {name!r} appeared within {timeout:g}s")

    def geometry(self, window: int) -> tuple[int, int, int, int]:
        """Absolute x, y, width, height of a window."""
        info = self.run("xwininfo", "-id", str(window))
        fields = dict(line.strip().split(":", 1) for line in info.splitlines() if ":" in line)
        get = lambda k: int(fields[k].strip())  # noqa: E731
        return get("Absolute upper-left X"), get("Absolute upper-left Y"), get("Width"), get("Height")

    def window_name(self, window: int) -> str:
        return self.run("xdotool", "getwindowname", str(window), check=False).strip()

    def click(self, window: int, button: int = 1) -> None:
        x, y, w, h = self.geometry(window)
        self.run("xdotool", "mousemove", str(x + w // 2), str(y + h // 2), "click", str(button))


def _start_xvfb(width: int, height: int) -> tuple[subprocess.Popen[bytes], int]:
    """Xvfb on a display it picks itself (-displayfd): guessing a free number raced with other test
    runs on the same machine (two servers on one number, and trayer lost its display)."""
    read_fd, write_fd = os.pipe()
    try:
        proc = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-screen", "0", f"{width}x{height}x24",
                                 "-nolisten", "tcp"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                pass_fds=(write_fd,))
        os.close(write_fd)
        write_fd = -1
        text = b""
        deadline = time.monotonic() + 30
        while not text.endswith(b"\n"):
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise AssertionError("Xvfb did not report a display number")
            chunk = os.read(read_fd, 64)  # blocks until Xvfb writes the number or exits
            if not chunk:
                break
            text += chunk
    finally:
        os.close(read_fd)
        if write_fd >= 0:
            os.close(write_fd)
    if not text.strip().isdigit():
        proc.kill()
        raise AssertionError(f"Xvfb exited without a display number ({proc.wait()})")
    n = int(text.strip())
    env = {**os.environ, "DISPLAY": f":{n}"}
    _wait(lambda: subprocess.run(["xdpyinfo"], env=env, capture_output=True).returncode == 0, 30, "Xvfb to answer")
    return proc, n


def _wait(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} did not happen within {timeout:g}s")


def keep_shot(path: Path) -> Path:
    """Copy a screenshot to $TRAYAPP_SHOTS, when set, to look at after the run."""
    folder = os.environ.get("TRAYAPP_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(folder) / path.name)
    return path


@contextmanager
def tray_desktop() -> Iterator[Desktop]:
    """own_desktop(), after the one skip-or-fail rule for missing tools."""
    missing = missing_tools()
    need(not missing, f"desktop tools missing: {', '.join(missing)}")
    with own_desktop() as desktop:
        yield desktop


@contextmanager
def own_desktop(width: int = 1280, height: int = 800) -> Iterator[Desktop]:
    """Xvfb + trayer on a free display; every process started here is stopped by its pid."""
    xvfb, n = _start_xvfb(width, height)
    env = {**os.environ, "DISPLAY": f":{n}"}
    env.pop("WAYLAND_DISPLAY", None)
    procs = [xvfb]
    try:
        desk = Desktop(f":{n}", env)
        errors = tempfile.TemporaryFile()
        procs.append(subprocess.Popen(["trayer", "--edge", "top", "--align", "right", "--widthtype", "pixel",
                                       "--width", "200", "--height", "32"], env=env,
                                      stdout=subprocess.DEVNULL, stderr=errors))
        try:
            _wait(lambda: bool(desk.run("xdotool", "search", "--class", "trayer", check=False).strip()),
                  30, "trayer start")
        except AssertionError:
            errors.seek(0)
            raise AssertionError(f"trayer did not start on {desk.display}: exit {procs[-1].poll()}, "
                                 f"{errors.read().decode(errors='replace')}") from None
        yield desk
    finally:
        for proc in reversed(procs):
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()


class Instance:
    """A real `trayapp run` with TRAYAPP_HOME in a temp folder and one small Python child."""

    def __init__(self, desk: Desktop, home: Path, backend: str, on_quit: str = "stop",
                 extra_env: Mapping[str, str] | None = None, program_extra: str = "",
                 config: str | None = None, count_menus: bool = False) -> None:
        """`config`: config.toml's whole text instead of the test child's; `count_menus`: every
        republish of the real menu is written to `menus.txt` (see MENU_COUNTER)."""
        self.desk, self.home = desk, home
        home.mkdir(parents=True, exist_ok=True)
        (home / "child.py").write_text(CHILD)
        (home / "config.toml").write_text(config if config is not None else
            "[programs.assistant]\n"
            f"command = [{json.dumps(PY)}, {json.dumps(str(home / 'child.py'))}]\n"
            f'display_name = "testbot"\nstartsecs = "1s"\n{program_extra}'
            '[programs.assistant.backoff]\ninitial = "3s"\n'
            f'[tray]\non_quit = "{on_quit}"\n')
        self.env = {**desk.env, "TRAYAPP_HOME": str(home), "PYSTRAY_BACKEND": backend, **(extra_env or {})}
        self.out = open(home / "run.out", "wb")
        argv = [PY, "-m", "trayapp", "run"]
        if count_menus:
            (home / "count_menus.py").write_text(MENU_COUNTER)
            argv = [PY, str(home / "count_menus.py"), str(home / "menus.txt"), "run"]
        self.proc = subprocess.Popen(argv, env=self.env, cwd=ROOT, stdout=self.out, stderr=subprocess.STDOUT)

    def menu_times(self) -> list[float]:
        """Monotonic times at which pystray was asked to rebuild the menu (count_menus only)."""
        path = self.home / "menus.txt"
        return [float(line) for line in path.read_text().split()] if path.exists() else []

    def trayapp_log(self) -> str:
        path = self.home / "logs" / "trayapp.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def request(self, cmd: str, **args: object) -> object:
        from trayapp.control import request
        from trayapp.paths import AppPaths

        return request(AppPaths.discover({"TRAYAPP_HOME": str(self.home)}), cmd, timeout=5, **args)

    def status(self) -> dict:
        return self.request("status")["programs"][0]  # type: ignore[index]

    def wait_state(self, state: str, timeout: float = 20.0) -> dict:
        found: dict = {}

        def check() -> bool:
            nonlocal found
            try:
                found = self.status()
            except Exception:  # not answering yet
                return False
            return found.get("state") == state

        _wait(check, timeout, f"state {state}")
        return found

    def wait_pid_change(self, old: int, timeout: float = 60.0) -> dict:
        """The program running again under a pid other than `old` (a restart, seen whenever it is looked at)."""
        found: dict = {}

        def check() -> bool:
            nonlocal found
            try:
                found = self.status()
            except Exception:  # busy restarting: ask again
                return False
            return found.get("state") == "running" and found.get("pid") not in (None, old)

        _wait(check, timeout, f"a running child other than pid {old}")
        return found

    def history(self, n: int = 200) -> list[dict]:
        return self.request("history", n=n)  # type: ignore[return-value]

    def output(self) -> str:
        return (self.home / "run.out").read_text(errors="replace")

    def stop(self) -> None:
        """SIGTERM must end the tray (programs stopped, exit 0) within the grace; a hang is a failure."""
        hung = False
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                hung = True
                self.proc.kill()
                self.proc.wait(5)
        self.out.close()
        assert not hung, f"trayapp did not exit within 20s of SIGTERM:\n{self.output()[-2000:]}"


def dominant_state(image: Image.Image, box: tuple[int, int, int, int]) -> tuple[str, int]:
    """Which state's fill colour covers most pixels in `box` (x, y, w, h), and how many."""
    x, y, w, h = box
    crop = image.crop((x, y, x + w, y + h))
    data = crop.tobytes()
    counts = dict.fromkeys(FILLS, 0)
    for i in range(0, len(data), 3):
        r, g, b = data[i], data[i + 1], data[i + 2]
        for key, (fr, fg, fb) in FILLS.items():
            if abs(r - fr) + abs(g - fg) + abs(b - fb) < 40:
                counts[key] += 1
    best = max(counts, key=counts.__getitem__)
    return best, counts[best]
