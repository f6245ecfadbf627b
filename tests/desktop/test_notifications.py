"""Notifications on a real desktop: Xvfb, a real session bus, the real dunst daemon.

A real child program crashes (exit 1); its exit is journalled the way the supervisor does it,
the real Journal publishes it, the real Notifier sends it over D-Bus (jeepney) to dunst. What
was delivered is read from a dbus-monitor capture of every Notify call, and from dunstctl.

Runs in CI: skipped only when the programs are missing and TRAYAPP_REQUIRE_DESKTOP is unset.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from trayapp.config import NotifyConfig, default_config
from trayapp.events import EventBus
from trayapp.journal import Journal
from trayapp.notify import Notifier, choose_backends
from trayapp.notify.plyer_backend import PlyerBackend

pytestmark = pytest.mark.desktop
NEEDED = ("Xvfb", "dbus-launch", "dbus-daemon", "dbus-monitor", "dunst", "dunstctl", "notify-send")
_missing = [tool for tool in NEEDED if shutil.which(tool) is None]
if _missing and not os.environ.get("TRAYAPP_REQUIRE_DESKTOP"):
    pytest.skip(f"desktop programs missing: {', '.join(_missing)}", allow_module_level=True)


def wait_for(predicate: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


# -- reading the dbus-monitor capture ------------------------------------------------------

@dataclass
class NotifyCall:
    app_name: str
    replaces_id: int
    summary: str
    body: str
    hints: dict[str, Any] = field(default_factory=dict)
    expire_timeout: int = -1


_TOKEN = re.compile(r'\b(string) "(.*?)"(?=\n|$)|\b(uint32|int32|int64|byte|boolean) (-?\w+)', re.S)


def parse_notify_calls(text: str) -> list[NotifyCall]:
    """Every Notify method call in dbus-monitor's default output, in order."""
    calls = []
    for block in text.split("method call ")[1:]:
        if "member=Notify" not in block.splitlines()[0]:
            continue
        tokens = [(m.group(1) or m.group(3), m.group(2) if m.group(1) else m.group(4))
                  for m in _TOKEN.finditer(block.split("\n", 1)[1])]
        if len(tokens) < 6:
            continue  # the capture was read while this call was half written
        (_, app), (_, replaces), _, (_, summary), (_, body), *rest = tokens
        hints = {rest[i][1]: rest[i + 1][1] for i in range(0, len(rest) - 1, 2) if rest[i][0] == "string"}
        expire = int(rest[-1][1]) if rest and rest[-1][0] == "int32" else -1
        calls.append(NotifyCall(app, int(replaces), summary, body, hints, expire))
    return calls


# -- the desktop ---------------------------------------------------------------------------

@dataclass
class NotifyDesktop:
    env: dict[str, str]
    capture: Path
    pids: list[int]

    def notifications(self) -> list[NotifyCall]:
        return parse_notify_calls(self.capture.read_text(errors="replace"))

    def dunstctl(self, *args: str) -> str:
        return subprocess.run(["dunstctl", *args], env=self.env, capture_output=True, text=True,
                              timeout=10).stdout.strip()

    def calls_since(self, mark: int, summary_has: str, count: int = 1, timeout: float = 15) -> list[NotifyCall]:
        def enough() -> list[NotifyCall] | None:
            calls = [c for c in self.notifications()[mark:] if summary_has in c.summary]
            return calls if len(calls) >= count else None
        return wait_for(enough, timeout, f"{count} Notify call(s) with {summary_has!r}")


def _free_display() -> int:
    for n in range(90, 200):
        if not Path(f"/tmp/.X{n}-lock").exists() and not Path(f"/tmp/.X11-unix/X{n}").exists():
            return n
    raise RuntimeError("no free X display number")


def _spawn(argv: list[str], env: dict[str, str], out: Path | int = subprocess.DEVNULL) -> subprocess.Popen:
    stdout = open(out, "wb") if isinstance(out, Path) else out
    return subprocess.Popen(argv, env=env, stdout=stdout, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def desktop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NotifyDesktop]:
    """Xvfb + a session bus (dbus-launch) + dunst + a dbus-monitor capture of Notify calls."""
    folder = tmp_path_factory.mktemp("notify-desktop")
    n = _free_display()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBUS_")}
    env.update(DISPLAY=f":{n}", HOME=str(folder))
    procs: list[subprocess.Popen] = []
    pids: list[int] = []
    try:
        procs.append(_spawn(["Xvfb", f":{n}", "-screen", "0", "800x300x24", "-nolisten", "tcp"], env))
        wait_for(lambda: Path(f"/tmp/.X11-unix/X{n}").exists(), 15, "Xvfb")
        launched = subprocess.run(["dbus-launch", "--sh-syntax"], env=env, capture_output=True, text=True,
                                  check=True, timeout=15).stdout
        env["DBUS_SESSION_BUS_ADDRESS"] = re.search(r"DBUS_SESSION_BUS_ADDRESS='([^']+)'", launched).group(1)
        pids.append(int(re.search(r"DBUS_SESSION_BUS_PID=(\d+)", launched).group(1)))
        procs.append(_spawn(["dunst"], env, folder / "dunst.log"))
        wait_for(lambda: subprocess.run(["dunstctl", "is-paused"], env=env, capture_output=True,
                                        text=True).stdout.strip() == "false", 15, "dunst")
        capture = folder / "notify-calls.txt"
        procs.append(_spawn(["dbus-monitor", "--session",
                             "interface='org.freedesktop.Notifications',member='Notify'"], env, capture))
        wait_for(lambda: capture.exists() and "NameAcquired" in capture.read_text(), 15, "dbus-monitor")
        yield NotifyDesktop(env, capture, [p.pid for p in procs] + pids)
    finally:
        for proc in reversed(procs):
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        for pid in pids:  # the dbus-daemon dbus-launch started for us
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass


# -- a real crashing program ---------------------------------------------------------------

CRASHER = "import sys; print('starting'); print('Error: invalid API key for provider', file=sys.stderr); sys.exit(1)"


def crash_for_real(journal: Journal, program: str = "assistant", delay: float = 4.0) -> int:
    """Run a child that exits 1 and journal its exit and restart like the supervisor does."""
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", CRASHER], capture_output=True, text=True, timeout=30)
    stderr = proc.stderr.strip().splitlines()
    journal.record("exit", program, pid=0, code=proc.returncode, signal=None, text=f"exit {proc.returncode}",
                   uptime=round(time.monotonic() - started, 3), last_stderr=stderr[-1] if stderr else "",
                   expected=False)
    journal.record("backoff", program, delay=delay, failures=1, reason=f"crashed (exit {proc.returncode})")
    return proc.returncode


def notifier_for(desktop: NotifyDesktop, tmp_path: Path, **kw: Any) -> tuple[Notifier, Journal]:
    bus = EventBus()
    journal = Journal(tmp_path / "journal.jsonl", bus)
    config = default_config({"HOME": str(tmp_path)})
    backends = kw.pop("backends", None) or choose_backends("linux", environ=desktop.env)
    notifier = Notifier(NotifyConfig(), programs=config.programs, backends=backends, **kw)
    notifier.attach(bus)
    return notifier, journal


def test_a_crash_produces_a_notification_naming_the_program_and_the_exit_code(
        desktop: NotifyDesktop, tmp_path: Path) -> None:
    desktop.dunstctl("close-all")
    mark = len(desktop.notifications())
    notifier, journal = notifier_for(desktop, tmp_path)
    assert crash_for_real(journal) == 1
    (call,) = desktop.calls_since(mark, "nanobot")
    notifier.close()
    assert call.summary == "nanobot crashed (exit 1) — restarting in 4s"
    assert "Error: invalid API key for provider" in call.body
    assert call.app_name == "trayapp" and call.replaces_id == 0
    assert call.hints.get("desktop-entry") == "trayapp" and call.hints.get("urgency") == "1"
    assert call.expire_timeout > 0
    assert wait_for(lambda: desktop.dunstctl("count", "displayed") == "1", 10, "dunst to show it")
    assert notifier.history[-1].backend == "freedesktop"


def test_a_crash_loop_is_one_notification_that_is_updated(desktop: NotifyDesktop, tmp_path: Path) -> None:
    desktop.dunstctl("close-all")
    mark = len(desktop.notifications())
    notifier, journal = notifier_for(desktop, tmp_path)
    for _ in range(5):  # five real crashes in quick succession
        crash_for_real(journal, delay=1.0)
        time.sleep(0.4)
    journal.record("gave_up", "assistant", reason="gave up after 6 crashes in 2m (exit 1)", restarts=5,
                   window=120, last_exit="exit 1", retry_in=600)
    calls = desktop.calls_since(mark, "gave up", count=1, timeout=20)
    calls = [c for c in desktop.notifications()[mark:] if "nanobot" in c.summary]
    notifier.close()
    assert 2 <= len(calls) < 5, [c.summary for c in calls]  # fewer calls than crashes: coalesced
    first, *updates = calls
    assert first.replaces_id == 0 and first.summary.startswith("nanobot crashed (exit 1)")
    assert updates and {u.replaces_id for u in updates} == {updates[0].replaces_id} != {0}
    assert calls[-1].summary == "nanobot is down — gave up restarting"
    assert calls[-1].hints.get("urgency") == "2" and calls[-1].expire_timeout == 0
    assert desktop.dunstctl("count", "displayed") == "1"  # one bubble on screen, not five


def test_plyer_fallback_delivers_text_with_quotes(desktop: NotifyDesktop, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS"):  # plyer's notify-send inherits our environment
        monkeypatch.setenv(name, desktop.env[name])
    mark = len(desktop.notifications())
    notifier, journal = notifier_for(desktop, tmp_path, backends=[PlyerBackend("linux", desktop.env)])
    journal.record("spawn_failed", "assistant", error="can't find \"nanobot\" on PATH")
    (call,) = desktop.calls_since(mark, "could not start")
    notifier.close()
    assert call.summary == "nanobot could not start" and "can’t find ”nanobot” on PATH" in call.body
    assert notifier.history[-1].backend == "plyer"


def test_a_bus_without_a_notification_daemon_crashes_nothing_and_logs(
        desktop: NotifyDesktop, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    env = {k: v for k, v in desktop.env.items() if k not in ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS")}
    # A bus of its own, started without DISPLAY, so D-Bus activation of dunst cannot succeed either.
    daemon = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address=1"], env=env,
                              stdout=subprocess.PIPE, text=True)
    try:
        env["DBUS_SESSION_BUS_ADDRESS"] = daemon.stdout.readline().strip()
        bus = EventBus()
        journal = Journal(tmp_path / "journal.jsonl", bus)
        notifier = Notifier(NotifyConfig(), programs=default_config({"HOME": str(tmp_path)}).programs,
                            backends=choose_backends("linux", environ=env))
        notifier.attach(bus)
        with caplog.at_level(logging.INFO, logger="trayapp.notify"):
            crash_for_real(journal)
            assert notifier.flush(20)
        notifier.close()
    finally:
        daemon.terminate()
        daemon.wait(5)
    assert [d.backend for d in notifier.history] == ["log"]
    assert "notification (shown in the log only): nanobot crashed (exit 1)" in caplog.text


def test_no_bus_at_all_crashes_nothing_and_logs(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    env = {"PATH": os.environ.get("PATH", ""), "XDG_RUNTIME_DIR": str(tmp_path)}  # no bus anywhere
    bus = EventBus()
    journal = Journal(tmp_path / "journal.jsonl", bus)
    notifier = Notifier(NotifyConfig(), programs=default_config({"HOME": str(tmp_path)}).programs,
                        backends=choose_backends("linux", environ=env))
    notifier.attach(bus)
    with caplog.at_level(logging.INFO, logger="trayapp.notify"):
        crash_for_real(journal)
        assert notifier.flush(20)
    notifier.close()
    assert [d.backend for d in notifier.history] == ["log"]
    assert "nanobot crashed (exit 1) — restarting in 4s" in caplog.text
    assert "Error: invalid API key" in caplog.text
