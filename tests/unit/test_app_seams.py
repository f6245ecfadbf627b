"""The App where it meets others: the control channel's pause goes through the notifier facade,
start/stop/restart ask the one rule of who may control a process, the headless lines are the tray's
words, and a failing shutdown step is logged, not swallowed."""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from trayapp.app import App, HeadlessPrinter
from trayapp.config import parse
from trayapp.events import StatusChanged
from trayapp.paths import AppPaths
from trayapp.status import Control, ExitInfo, Mode, State, Status
from trayapp.supervisor.policy import crash_loop

TWO = ('[programs.assistant]\ncommand = ["/bin/true"]\nautostart = false\n'
       '[programs.helper]\ncommand = ["/bin/true"]\nautostart = false\n')


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    paths = AppPaths.discover({"TRAYAPP_HOME": str(tmp_path)})
    paths.ensure()
    built = App(paths, parse(TWO, environ={"HOME": str(tmp_path)}))
    yield built
    built.notifier.close()
    built.journal.flush()


def ask(app: App, cmd: str, **args: object) -> dict[str, object]:
    return app.control.dispatch({"cmd": cmd, **args})


def test_pause_notifications_pauses_the_notifier_and_answers_in_words(app: App) -> None:
    reply = ask(app, "pause_notifications", seconds=3600)
    until = app.notifier.paused_until
    assert until is not None
    # The real clock: after 23:00 the hour ahead is tomorrow, and the answer names the day too.
    said = str(reply["result"])
    assert reply["ok"] is True and said.startswith("notifications paused until ")
    assert said.endswith(f"{datetime.fromtimestamp(until):%H:%M}"), said
    assert ask(app, "pause_notifications", seconds=-1) == {"ok": True, "result": "notifications resumed"}
    assert app.notifier.paused_until is None


def test_pause_notifications_with_no_number_is_refused_in_a_sentence(app: App) -> None:
    reply = ask(app, "pause_notifications", seconds="an hour")
    assert reply == {"ok": False, "error": "pause_notifications needs a number of seconds, not 'an hour'"}
    assert app.notifier.paused_until is None


def _outside(app: App) -> Status:
    status = next(s for s in app.statuses() if s.program == "helper")
    outside = replace(status, state=State.RUNNING, mode=Mode.EXTERNAL, control=Control.NONE, owner="pid 77")
    app.supervisor.remember(outside)
    return outside


def test_stop_of_a_copy_trayapp_did_not_start_is_refused_with_the_rules_sentence(app: App) -> None:
    _outside(app)
    reply = ask(app, "stop", program="helper")
    assert reply == {"ok": False, "error": "helper runs outside trayapp (pid 77); trayapp never signals a "
                                           "process it did not start. Stop it where it was started."}


def test_stop_of_everything_leaves_the_outside_copy_alone_and_says_so(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    _outside(app)
    asked: list[str | None] = []
    monkeypatch.setattr(app, "stop", asked.append)
    reply = ask(app, "stop")
    assert asked == ["assistant"]
    assert reply["ok"] is True and str(reply["result"]).startswith("requested; left alone: helper runs outside")


def test_stop_of_everything_we_started_is_one_request(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str | None] = []
    monkeypatch.setattr(app, "stop", asked.append)
    assert ask(app, "stop") == {"ok": True, "result": "requested"}
    assert asked == [None]


def test_headless_lines_are_the_trays_words() -> None:
    out = io.StringIO()
    gave_up = Status(program="assistant", display_name="nanobot", state=State.GIVEN_UP,
                     reason=crash_loop(4, 60, ExitInfo(code=3)))
    HeadlessPrinter(out)(StatusChanged(None, gave_up))
    assert out.getvalue().split(" ", 1)[1] == "nanobot — gave up after 4 crashes in 1m (exit 3)\n"


def test_a_failing_shutdown_step_is_logged_and_the_rest_still_runs(app: App, caplog: pytest.LogCaptureFixture) -> None:
    second_ran = threading.Event()

    def broken() -> None:
        raise RuntimeError("icon already gone")

    app.on_quit(broken)
    app.on_quit(second_ran.set)
    app.start_background()
    with caplog.at_level(logging.ERROR, logger="trayapp.app"):
        app.quit()
        assert second_ran.wait(60), "the callback after the failing one never ran"
    failed = [r for r in caplog.records if r.getMessage() == "shutdown: a quit callback failed"]
    assert len(failed) == 1 and failed[0].exc_info is not None and "icon already gone" in str(failed[0].exc_info[1])
