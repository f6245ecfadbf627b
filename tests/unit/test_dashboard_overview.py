"""The overview API and the live event stream, over a real server with a fake app behind it."""

from __future__ import annotations

import dataclasses
import threading

import pytest

from tests.unit.dashboard_fake import Browser, FakeHost
from trayapp.dashboard.events_api import event_json
from trayapp.dashboard.overview_api import EventStream, program_entry
from trayapp.events import ExtrasChanged, ProgramRemoved
from trayapp.status import CrashReport, State, Status


CRASH = CrashReport(program="alpha", when=1_700_000_000.0, exit="exit 1", cause="the API key was refused",
                    fix="Put a valid key in config.json", known=True, kind="python traceback",
                    excerpt=("Traceback (most recent call last):", "ValueError: bad token"),
                    headline="ValueError: bad token", code=1)


# -- the overview ---------------------------------------------------------------------------------------

def test_the_overview_has_every_part_the_page_shows(browser: Browser, host: FakeHost) -> None:
    host.config_problems = ("programs.alpha.command: missing",)
    data = browser.call("GET", "/api/overview").json()
    assert set(data) == {"version", "pid", "programs", "notifications", "backup", "disk", "config"}
    assert [p["program"] for p in data["programs"]] == ["alpha", "beta"]
    assert data["config"] == {"path": str(host.paths.config_file), "problems": ["programs.alpha.command: missing"]}
    assert data["disk"] == [{"path": "/", "level": "ok", "free": 2_000_000_000, "total": 8_000_000_000,
                             "words": "/: 2GB free of 8GB"}]
    assert data["backup"] == {"running": None, "scheduled": False, "last_ok_words": "no backup yet",
                              "next_due_words": "nothing scheduled",
                              "schedule_words": "no schedule: backups run when you ask"}
    assert data["notifications"] == {"paused_until": None, "paused_words": ""}


def test_a_program_entry_is_its_status_plus_words() -> None:
    status = Status("alpha", "Alpha Bot", State.RUNNING, pid=100, started_at=1000.0, memory=52_000_000, cpu=3.4,
                    last_crash=CRASH, extra={"own_ui": "http://127.0.0.1:8765/"})
    entry = program_entry(status, now=1000.0 + 8040)
    assert entry["pid"] == 100 and entry["state"] == "running"
    assert entry["uptime_words"] == "2h 14m"
    assert entry["memory_words"] == "52MB" and entry["cpu_words"] == "3%"
    assert entry["own_ui"] == "http://127.0.0.1:8765/"
    assert entry["view"]["icon_key"] == "running" and entry["view"]["can_restart"] is True
    assert entry["view"]["last_crash"].endswith("ValueError: bad token")
    assert program_entry(status, now=1000.0 + 4.4)["uptime_words"] == "4s"  # whole seconds, never "4.4s"
    assert entry["crash_report_text"].startswith("Alpha Bot crashed")
    assert "fix: Put a valid key in config.json" in entry["crash_report_text"]


def test_a_stopped_program_has_no_uptime_memory_or_ui_words() -> None:
    entry = program_entry(Status("alpha", "Alpha Bot", State.STOPPED, extra={"own_ui": 3}), now=50.0)
    assert (entry["uptime_words"], entry["memory_words"], entry["cpu_words"]) == ("", "", "")
    assert entry["own_ui"] is None and entry["crash_report_text"] == ""
    assert entry["view"]["can_start"] is True and entry["view"]["can_stop"] is False


# -- actions --------------------------------------------------------------------------------------------

def test_a_refused_command_is_a_409_with_the_reason(browser: Browser, host: FakeHost) -> None:
    reply = browser.post("/api/programs/beta/stop")
    assert reply.status == 409
    assert "never signals a process it did not start" in reply.json()["error"]
    assert host.commands == []


@pytest.mark.parametrize("path", ["/api/programs/gamma/restart", "/api/programs/alpha/explode"])
def test_an_unknown_program_or_verb_is_a_404(browser: Browser, host: FakeHost, path: str) -> None:
    reply = browser.post(path)
    assert reply.status == 404 and reply.json()["error"]
    assert host.commands == []


def test_notifications_pause_and_resume(browser: Browser, host: FakeHost) -> None:
    paused = browser.post("/api/notifications", {"pause_seconds": 3600})
    assert paused.status == 200 and paused.json()["paused_until"] == host.notifier.until is not None
    assert paused.json()["message"].startswith("Notifications are paused until ")
    resumed = browser.post("/api/notifications", {"resume": True})
    assert resumed.json() == {"paused_until": None, "message": "Notifications are on."}


@pytest.mark.parametrize("body", [{}, {"pause_seconds": "1h"}, {"pause_seconds": -5}, {"pause_seconds": True},
                                  {"pause_seconds": 10**9}, {"resume": "yes"}])
def test_a_bad_pause_is_a_400_and_changes_nothing(browser: Browser, host: FakeHost, body: dict[str, object]) -> None:
    reply = browser.post("/api/notifications", body)
    assert reply.status == 400 and "pause_seconds" in reply.json()["error"]
    assert host.notifier.until is None


def test_the_config_is_shown_with_its_secrets_hidden(browser: Browser, host: FakeHost) -> None:
    secret = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789"
    host.paths.config_file.write_text(f'[programs.alpha]\ncommand = ["x"]\nenv = {{ OPENAI_API_KEY = "{secret}" }}\n')
    data = browser.call("GET", "/api/config").json()
    assert data["exists"] is True and data["path"] == str(host.paths.config_file)
    assert "[programs.alpha]" in data["text"] and secret not in data["text"]


def test_a_missing_config_says_so(browser: Browser) -> None:
    assert browser.call("GET", "/api/config").json()["exists"] is False


def test_reload_asks_the_app(browser: Browser, host: FakeHost) -> None:
    assert browser.post("/api/reload").json() == {"ok": True, "changes": "nothing changed"}
    assert host.reloads == 1


# -- the event stream -----------------------------------------------------------------------------------

def test_the_stream_says_hello_then_a_status_after_a_restart(browser: Browser, host: FakeHost) -> None:
    events = browser.stream()
    kind, hello = next(events)
    assert kind == "hello" and [p["pid"] for p in hello["programs"]] == [100, None]
    assert browser.post("/api/programs/alpha/restart").status == 200
    kind, status = next(events)
    assert kind == "status" and status["program"] == "alpha" and status["pid"] == 101
    assert status["view"]["phrase"]


def test_the_stream_carries_journal_removed_and_extras(browser: Browser, host: FakeHost) -> None:
    events = browser.stream()
    next(events)
    host.journal.record("restart", "alpha", reason="asked")
    host.bus.publish(ProgramRemoved("beta"))
    browser.post("/api/notifications", {"pause_seconds": 60})
    kind, journal = next(events)
    assert kind == "journal" and journal["kind"] == "restart" and journal["program"] == "alpha"
    assert journal["sentence"].startswith("Alpha Bot") and isinstance(journal["ts"], float)
    assert next(events) == ("removed", {"program": "beta"})
    kind, extras = next(events)
    assert kind == "extras" and set(extras) == {"notifications", "backup", "disk", "config"}
    assert extras["notifications"]["paused_until"] == host.notifier.until


def test_a_journal_event_has_the_shape_the_page_reads() -> None:
    entry = {"ts": "2026-01-01T10:00:00+00:00", "event": "crash", "program": "alpha", "code": 1}
    event = event_json(entry, {"alpha": "Alpha Bot"}, 1767261600.0)
    assert event["ts"] == 1767261600.0 and event["kind"] == "crash" and event["program"] == "alpha"
    assert event["time_words"] and ":" in event["time_words"]
    assert event["sentence"].startswith("Alpha Bot") and event["severity"] == "error"
    damaged = event_json({"ts": "yesterday", "event": "exit"}, {}, 1767261600.0)
    assert damaged["ts"] is None and damaged["time_words"] == "at an unknown time" and damaged["program"] is None


def test_a_page_that_cannot_keep_up_is_dropped_and_unsubscribed(host: FakeHost) -> None:
    written: list[bytes] = []

    def write(data: bytes) -> None:
        written.append(data)
        if len(written) == 1:  # right after hello, more than the queue holds arrives at once
            for n in range(3):
                host.set_status(dataclasses.replace(host.statuses()[0], pid=200 + n))

    EventStream(host, queue_size=2).run(write, threading.Event())  # returns: it did not wait forever
    assert written[0].startswith(b"event: hello\n")
    assert host.bus.listening == 0
    host.bus.publish(ExtrasChanged("disk"))  # nothing listens any more; nothing breaks


def test_a_quiet_stream_sends_comments_to_stay_open(host: FakeHost) -> None:
    written: list[bytes] = []
    stop = threading.Event()

    def write(data: bytes) -> None:
        written.append(data)
        if data.startswith(b":"):
            stop.set()

    EventStream(host, keepalive=0).run(write, stop)
    assert written[-1] == b": still here\n\n" and host.bus.listening == 0


def test_a_burst_of_extras_changes_is_one_event(host: FakeHost) -> None:
    written: list[bytes] = []
    stop = threading.Event()

    def write(data: bytes) -> None:
        written.append(data)
        if len(written) == 1:  # after hello: a backup reports progress many times at once
            for _ in range(50):
                host.bus.publish(ExtrasChanged("backup"))
            host.bus.publish(ProgramRemoved("beta"))
        elif data.startswith(b"event: removed"):
            stop.set()

    EventStream(host, queue_size=8).run(write, stop)
    kinds = [w.split(b"\n")[0] for w in written]
    assert kinds == [b"event: hello", b"event: extras", b"event: removed"]
