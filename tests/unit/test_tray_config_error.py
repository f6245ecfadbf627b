"""The "config error" state of the App, without threads: what it reports, says and does once the
file is fixed (the tray's side of it is in test_tray_view and test_tray_run)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from trayapp.app import App
from trayapp.config import Config, load
from trayapp.errors import ConfigError
from trayapp.events import ExtrasChanged
from trayapp.paths import AppPaths
from trayapp.supervisor.changes import AddProgram

BAD = '[programs.assistant]\ncomand = ["/bin/true"]\nautostart = "no"\n'
GOOD = '[programs.assistant]\ncommand = ["/bin/true"]\n'


@pytest.fixture
def broken(tmp_path: Path) -> Iterator[App]:
    paths = AppPaths.discover({"TRAYAPP_HOME": str(tmp_path)})
    paths.ensure()
    paths.config_file.write_text(BAD)
    with pytest.raises(ConfigError) as caught:
        load(paths.config_file)
    app = App(paths, Config(programs={}, source=paths.config_file), broken=caught.value)
    yield app
    app.notifier.close()
    app.journal.flush()


def test_every_problem_is_reported_with_the_file(broken: App) -> None:
    assert broken.config_problems[0] == "programs.assistant.comand: unknown key; did you mean 'command'?"
    assert broken.config_problems[1] == "programs.assistant.autostart: expected true or false, got a string"
    report = broken.status_report()["config_error"]
    assert report["path"] == str(broken.paths.config_file) and report["problems"] == list(broken.config_problems)
    assert report["fix"]


def test_the_first_problem_is_one_notification_and_a_journal_entry(broken: App) -> None:
    broken._say_config_error()
    broken.notifier.flush(5)
    said = [d for d in broken.notifier.history if d.title == "config.toml has a problem"]
    assert len(said) == 1 and broken.config_problems[0] in said[0].body
    broken.journal.flush()
    assert '"config_error"' in broken.paths.journal_file.read_text()


def test_a_fixed_file_adds_the_programs_and_clears_the_state(broken: App) -> None:
    told: list[ExtrasChanged] = []
    broken.bus.subscribe(ExtrasChanged, told.append)
    broken.paths.config_file.write_text(BAD.replace("comand", "command"))  # still a bad value
    assert broken.reload()["ok"] is False
    assert broken.config_problems == ("programs.assistant.autostart: expected true or false, got a string",)
    broken.paths.config_file.write_text(GOOD)
    assert broken.reload()["ok"] is True
    assert not broken.config_problems and broken.status_report()["config_error"] is None
    sent = []
    while not broken.supervisor._inbox.empty():
        sent.append(broken.supervisor._inbox.get_nowait())
    assert [type(m) for m in sent] == [AddProgram]
    assert [e.what for e in told] == ["config", "config"]  # still broken (new problems), then fixed
