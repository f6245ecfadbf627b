"""App.reload without threads running: what it sends the supervisor, what it applies in place,
and a file with problems that changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from trayapp.app import App
from trayapp.config import parse
from trayapp.paths import AppPaths
from trayapp.supervisor.changes import AddProgram, RemoveProgram, ReplaceProgram

TWO = ('[programs.assistant]\ncommand = ["/bin/true"]\nautostart = false\n'
       '[programs.helper]\ncommand = ["/bin/true"]\nautostart = false\n')


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    paths = AppPaths.discover({"TRAYAPP_HOME": str(tmp_path)})
    paths.ensure()
    paths.config_file.write_text(TWO)
    built = App(paths, parse(TWO, source=paths.config_file, environ={"HOME": str(tmp_path)}))
    yield built
    built.notifier.close()
    built.journal.flush()


def inbox(app: App) -> list[object]:
    found = []
    while not app.supervisor._inbox.empty():
        found.append(app.supervisor._inbox.get_nowait())
    return found


def test_a_valid_edit_is_sent_to_the_supervisor_and_journaled(app: App) -> None:
    app.paths.config_file.write_text(TWO.replace("[programs.helper]", "[programs.web]")
                                     .replace('["/bin/true"]\nautostart = false\n', '["/bin/echo"]\n', 1))
    reply = app.control.dispatch({"cmd": "reload"})
    assert reply["ok"] and reply["result"]["changes"] == "added web; removed helper; restarted assistant"
    sent = inbox(app)
    assert [type(m) for m in sent] == [RemoveProgram, ReplaceProgram, AddProgram]
    assert set(app.config.programs) == {"assistant", "web"}
    app.journal.flush()
    assert "reload" in app.paths.journal_file.read_text()


def test_a_file_with_problems_changes_nothing_and_says_every_problem(app: App) -> None:
    before = app.config
    app.paths.config_file.write_text(TWO.replace("autostart = false", 'autostart = "no"'))
    result = app.reload()
    assert result["ok"] is False and len(result["problems"]) == 2
    assert result["problems"][0].startswith("programs.assistant.autostart: expected true or false")
    assert app.config is before and inbox(app) == []
    app.notifier.flush(5)
    assert any("was not reloaded" in d.title for d in app.notifier.history)


def test_log_rotation_applies_to_open_logs(app: App) -> None:
    program_log = app.program_log("assistant")
    app.paths.config_file.write_text(TWO + '[logs]\nmax_size = "1MB"\nkeep = 2\n')
    assert app.reload()["sections"] == ["logs"]
    assert (program_log._file.max_size, program_log._file.keep) == (1_000_000, 2)


def test_a_deleted_file_is_not_taken_for_the_defaults(app: App) -> None:
    app.paths.config_file.unlink()
    result = app.reload()
    assert result["ok"] is False and "does not exist any more" in result["problems"][0]
    assert set(app.config.programs) == {"assistant", "helper"} and inbox(app) == []


def test_a_new_ui_language_applies_on_reload(app: App) -> None:
    from trayapp import i18n

    try:
        app.paths.config_file.write_text(TWO + '[ui]\nlanguage = "zh_CN"\n')
        assert app.reload()["ok"]
        assert i18n.language() == "zh_CN"
        app.paths.config_file.write_text(TWO + '[ui]\nlanguage = "en"\n')
        assert app.reload()["ok"]
        assert i18n.language() == "en"
    finally:
        i18n.activate("en")
