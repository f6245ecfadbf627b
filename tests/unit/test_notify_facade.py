"""The Notifier facade: backends in order, replaces handles, never raising, pause that persists."""

from __future__ import annotations

import json
import logging
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from trayapp.config import NotifyConfig, default_config
from trayapp.errors import ControlError
from trayapp.events import EventBus, Recorded, StatusChanged
from trayapp.notify import Notifier
from trayapp.notify.note import BackendUnavailable, Limits, Note
from trayapp.notify.policy import Settings
from trayapp.status import Status
from tests.fakes import FakeClock


class Recording:
    """A backend that keeps what it was given and answers with increasing ids."""

    def __init__(self, name: str = "freedesktop", fail: Exception | None = None, limits: Limits = Limits(),
                 buttons: bool = True) -> None:
        self.name, self.fail, self.limits, self.buttons = name, fail, limits, buttons
        self.notes: list[Note] = []

    def send(self, note: Note) -> int:
        if self.fail is not None:
            raise self.fail
        self.notes.append(note)
        return note.replaces if isinstance(note.replaces, int) else 100 + len(self.notes)


def crash(code: int = 1) -> Recorded:
    return Recorded({"event": "exit", "program": "assistant", "code": code, "text": f"exit {code}",
                     "last_stderr": "Traceback: KeyError 'api_key'", "expected": False})


def make(*backends: Any, clock: FakeClock | None = None, **kw: Any) -> tuple[Notifier, FakeClock]:
    clock = clock or FakeClock()
    cfg = default_config({"HOME": "/home/u"})
    notifier = Notifier(kw.pop("config", NotifyConfig()), clock=clock, backends=list(backends),
                        programs=cfg.programs, threaded=False, **kw)
    return notifier, clock


def settle(notifier: Notifier, clock: FakeClock, seconds: float = 1.0) -> None:
    notifier.step()
    clock.advance(seconds)
    notifier.step()


def test_crash_becomes_a_notice_with_the_display_name_and_the_bubble_is_then_replaced() -> None:
    backend = Recording()
    notifier, clock = make(backend)
    notifier.on_recorded(crash())
    settle(notifier, clock)
    clock.advance(10)
    notifier.on_recorded(crash())
    settle(notifier, clock)
    assert [n.title for n in backend.notes] == ["nanobot crashed (exit 1)", "nanobot keeps crashing (exit 1)"]
    assert backend.notes[0].replaces is None and backend.notes[1].replaces == 101
    assert "KeyError 'api_key'" in backend.notes[0].body
    assert [d.backend for d in notifier.history] == ["freedesktop", "freedesktop"]


def test_a_failing_backend_falls_through_to_the_next_and_is_skipped_for_a_while(caplog: pytest.LogCaptureFixture) -> None:
    broken = Recording("freedesktop", fail=BackendUnavailable("ServiceUnknown: no daemon"))
    plyer = Recording("plyer")
    notifier, clock = make(broken, plyer)
    with caplog.at_level(logging.WARNING, logger="trayapp.notify"):
        notifier.on_recorded(crash())
        settle(notifier, clock)
    assert [n.title for n in plyer.notes] == ["nanobot crashed (exit 1)"]
    assert "ServiceUnknown" in caplog.text
    broken.fail = None
    notifier.notify("still skipped", slot="x")
    settle(notifier, clock)
    assert broken.notes == [] and plyer.notes[-1].title == "still skipped"
    clock.advance(61)
    notifier.notify("tried again", slot="y")
    settle(notifier, clock)
    assert [n.title for n in broken.notes] == ["tried again"]


def test_nothing_raises_even_when_every_backend_explodes(caplog: pytest.LogCaptureFixture) -> None:
    notifier, clock = make(Recording("freedesktop", fail=RuntimeError("weird")),
                           Recording("plyer", fail=KeyError("odd")))
    with caplog.at_level(logging.INFO, logger="trayapp.notify"):
        notifier.on_recorded(crash())
        notifier.on_recorded(Recorded({"event": "exit", "program": None}))  # malformed: no crash of ours
        settle(notifier, clock)
    assert "nanobot crashed (exit 1)" in caplog.text  # the log is the last resort
    assert [d.backend for d in notifier.history][-1] == "log"


def test_each_backend_gets_text_within_its_own_limits() -> None:
    small = Recording("tray", limits=Limits(title=20, body=30, utf16=True))
    notifier, clock = make(small)
    notifier.notify("x" * 100, "y" * 400)
    settle(notifier, clock)
    assert len(small.notes[0].title) <= 20 and len(small.notes[0].body) <= 30


def test_disabled_notifications_go_to_the_log_only() -> None:
    backend = Recording()
    notifier, clock = make(backend, config=NotifyConfig(enabled=False))
    notifier.on_recorded(crash())
    settle(notifier, clock)
    assert backend.notes == [] and [d.backend for d in notifier.history] == ["log"]


def test_pause_silences_and_survives_a_restart_through_the_state_file(tmp_path: Path) -> None:
    state = tmp_path / "notify.json"
    backend = Recording()
    notifier, clock = make(backend, state_file=state)
    until = notifier.pause(3600)
    notifier.on_recorded(crash())
    settle(notifier, clock)
    assert backend.notes == [] and notifier.paused_until == until
    assert json.loads(state.read_text())["paused_until"] == until
    assert state.stat().st_mode & 0o777 == 0o600

    again, _ = make(backend, clock=clock, state_file=state)  # trayapp restarted
    assert again.paused_until == until
    again.on_recorded(Recorded({"event": "gave_up", "program": "assistant", "reason": "too many"}))
    again.on_recorded(crash())
    settle(again, clock)
    assert [n.title for n in backend.notes] == ["nanobot is down — gave up restarting"]

    again.resume()
    again.step()
    assert again.paused_until is None and json.loads(state.read_text())["paused_until"] is None


def test_the_pause_command_silences_answers_in_words_and_ends_by_itself() -> None:
    """`pause_notifications` as the running app serves it on the control channel (app.py registers it)."""
    backend = Recording()
    notifier, clock = make(backend)
    reply = notifier.handle_pause_command({"seconds": 60})
    assert reply == f"notifications paused until {datetime.fromtimestamp(clock.time() + 60):%H:%M}"
    notifier.on_recorded(crash())
    settle(notifier, clock)
    assert backend.notes == []
    clock.advance(61)
    assert notifier.paused_until is None
    notifier.on_recorded(crash())
    settle(notifier, clock)
    assert len(backend.notes) == 1
    assert notifier.handle_pause_command({"seconds": 0}) == "notifications resumed"


def test_a_pause_past_today_names_the_day_and_a_non_number_is_refused() -> None:
    notifier, clock = make(Recording())
    end = datetime.fromtimestamp(clock.time() + 3 * 86400)
    assert notifier.handle_pause_command({"seconds": 3 * 86400}) == (
        f"notifications paused until {end:%a} {end.day} {end:%b %H:%M}")
    with pytest.raises(ControlError, match="needs a number of seconds, not 'later'"):
        notifier.handle_pause_command({"seconds": "later"})
    assert notifier.paused_until == pytest.approx(clock.time() + 3 * 86400)


def test_config_paused_until_is_honoured() -> None:
    clock = FakeClock()
    from datetime import datetime

    later = datetime.fromtimestamp(clock.time() + 7200).isoformat()
    notifier, _ = make(Recording(), clock=clock, config=NotifyConfig(paused_until=later))
    assert notifier.paused_until == pytest.approx(clock.time() + 7200, abs=1)


def test_status_snapshots_teach_display_names_and_attach_detaches() -> None:
    bus = EventBus()
    backend = Recording()
    notifier, clock = make(backend)
    detach = notifier.attach(bus)
    bus.publish(StatusChanged(None, Status(program="helper", display_name="Local model server")))
    bus.publish(Recorded({"event": "exit", "program": "helper", "code": 2, "text": "exit 2", "expected": False}))
    settle(notifier, clock)
    assert backend.notes[-1].title == "Local model server crashed (exit 2)"
    detach()
    clock.advance(5000)
    bus.publish(crash())
    settle(notifier, clock)
    assert len(backend.notes) == 1


def test_worker_thread_delivers_without_blocking_the_publisher() -> None:
    gate = threading.Event()

    class Slow(Recording):
        def send(self, note: Note) -> int:
            gate.wait(5)  # a D-Bus that hangs
            return super().send(note)

    backend = Slow()
    notifier = Notifier(NotifyConfig(), backends=[backend], settings=Settings(settle=0.01))
    notifier.on_recorded(crash())  # returns at once although the backend is stuck
    notifier.on_recorded(crash())
    assert backend.notes == []
    gate.set()
    assert notifier.flush(5)
    notifier.close()
    assert [n.title for n in backend.notes] == ["assistant keeps crashing (exit 1)"]  # two crashes, one notice


def test_no_daemon_on_the_bus_skips_the_other_bus_backends_and_logs() -> None:
    from trayapp.notify.note import NoNotificationService

    no_daemon = Recording("freedesktop", fail=NoNotificationService("ServiceUnknown"))
    plyer = Recording("plyer")  # would run notify-send against the same empty bus
    notifier, clock = make(no_daemon, plyer)
    notifier.on_recorded(crash())
    settle(notifier, clock)
    assert plyer.notes == [] and [d.backend for d in notifier.history] == ["log"]
