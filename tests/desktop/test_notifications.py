"""Notifications on a real desktop: Xvfb, a real session bus, the real dunst daemon.

A real child program crashes (exit 1); its exit is journalled the way the supervisor does it,
the real Journal publishes it, the real Notifier sends it over D-Bus (jeepney) to dunst. What
was delivered is read from the shared harness's dbus-monitor capture of every Notify call, and
from dunstctl. The desktop comes from tests/desktop/conftest.py (it runs in CI; it skips only when
the programs are missing and TRAYAPP_REQUIRE_DESKTOP is unset).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.desktop.harness import Desktop, Notification, wait_for
from trayapp.config import NotifyConfig, default_config
from trayapp.events import EventBus
from trayapp.journal import Journal
from trayapp.notify import Notifier, choose_backends
from trayapp.notify.plyer_backend import PlyerBackend

pytestmark = pytest.mark.desktop


def calls_since(desktop: Desktop, mark: int, summary_has: str, count: int = 1,
                timeout: float = 15) -> list[Notification]:
    """At least `count` captured Notify calls from `mark` on whose summary holds `summary_has`."""
    def enough() -> list[Notification] | None:
        calls = [c for c in desktop.notifications(mark) if summary_has in c.summary]
        return calls if len(calls) >= count else None
    return wait_for(enough, timeout, message=f"{count} Notify call(s) with {summary_has!r}")


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


def notifier_for(env: dict[str, str], tmp_path: Path, **kw: Any) -> tuple[Notifier, Journal]:
    bus = EventBus()
    journal = Journal(tmp_path / "journal.jsonl", bus)
    config = default_config({"HOME": str(tmp_path)})
    backends = kw.pop("backends", None) or choose_backends("linux", environ=env)
    notifier = Notifier(NotifyConfig(), programs=config.programs, backends=backends, **kw)
    notifier.attach(bus)
    return notifier, journal


def test_a_crash_produces_a_notification_naming_the_program_and_the_exit_code(
        desktop: Desktop, tmp_path: Path) -> None:
    desktop.close_all_notifications()
    mark = len(desktop.notifications())
    notifier, journal = notifier_for(desktop.env, tmp_path)
    assert crash_for_real(journal) == 1
    (call,) = calls_since(desktop, mark, "nanobot")
    notifier.close()
    assert call.summary == "nanobot crashed (exit 1) — restarting in 4s"
    assert "Error: invalid API key for provider" in call.body
    assert call.app_name == "trayapp" and call.replaces_id == 0
    assert call.desktop_entry == "trayapp" and call.urgency == 1
    assert call.expire_timeout > 0
    assert wait_for(lambda: desktop.displayed_count() == 1, 10, message="dunst to show it")
    assert notifier.history[-1].backend == "freedesktop"


def test_a_crash_loop_is_one_notification_that_is_updated(desktop: Desktop, tmp_path: Path) -> None:
    desktop.close_all_notifications()
    mark = len(desktop.notifications())
    notifier, journal = notifier_for(desktop.env, tmp_path)
    for _ in range(5):  # five real crashes in quick succession
        crash_for_real(journal, delay=1.0)
        time.sleep(0.4)
    journal.record("gave_up", "assistant", reason="gave up after 6 crashes in 2m (exit 1)", restarts=5,
                   window=120, last_exit="exit 1", retry_in=600)
    calls_since(desktop, mark, "gave up", count=1, timeout=20)
    calls = [c for c in desktop.notifications(mark) if "nanobot" in c.summary]
    notifier.close()
    assert 2 <= len(calls) < 5, [c.summary for c in calls]  # fewer calls than crashes: coalesced
    first, *updates = calls
    assert first.replaces_id == 0 and first.summary.startswith("nanobot crashed (exit 1)")
    assert updates and {u.replaces_id for u in updates} == {updates[0].replaces_id} != {0}
    assert calls[-1].summary == "nanobot is down — gave up restarting"
    assert calls[-1].urgency == 2 and calls[-1].expire_timeout == 0
    assert desktop.displayed_count() == 1  # one bubble on screen, not five


def test_plyer_fallback_delivers_text_with_quotes(desktop: Desktop, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS"):  # plyer's notify-send inherits our environment
        monkeypatch.setenv(name, desktop.env[name])
    mark = len(desktop.notifications())
    notifier, journal = notifier_for(desktop.env, tmp_path, backends=[PlyerBackend("linux", desktop.env)])
    journal.record("spawn_failed", "assistant", error="can't find \"nanobot\" on PATH")
    (call,) = calls_since(desktop, mark, "could not start")
    notifier.close()
    assert call.summary == "nanobot could not start" and "can’t find ”nanobot” on PATH" in call.body
    assert notifier.history[-1].backend == "plyer"


def test_a_bus_without_a_notification_daemon_crashes_nothing_and_logs(
        make_desktop: Callable[..., Desktop], tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # The harness's bus has no service directories: nothing can auto-start a daemon on it.
    quiet = make_desktop(with_bus=True, with_daemon=False, with_tray=False)
    notifier, journal = notifier_for(quiet.env, tmp_path)
    with caplog.at_level(logging.INFO, logger="trayapp.notify"):
        crash_for_real(journal)
        assert notifier.flush(20)
    notifier.close()
    assert [d.backend for d in notifier.history] == ["log"]
    assert "notification (shown in the log only): nanobot crashed (exit 1)" in caplog.text


def test_no_bus_at_all_crashes_nothing_and_logs(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    env = {"PATH": os.environ.get("PATH", ""), "XDG_RUNTIME_DIR": str(tmp_path)}  # no bus anywhere
    notifier, journal = notifier_for(env, tmp_path)
    with caplog.at_level(logging.INFO, logger="trayapp.notify"):
        crash_for_real(journal)
        assert notifier.flush(20)
    notifier.close()
    assert [d.backend for d in notifier.history] == ["log"]
    assert "nanobot crashed (exit 1) — restarting in 4s" in caplog.text
    assert "Error: invalid API key" in caplog.text
