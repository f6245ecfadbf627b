"""The dashboard inside App, without the supervisor running: the control command that hands out
one-time links, a port in use, and [dashboard] changes applied by a reload."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from trayapp.app import App
from trayapp.config import parse
from trayapp.errors import ControlError
from trayapp.journal import describe
from trayapp.paths import AppPaths

ONE = '[programs.assistant]\ncommand = ["/bin/true"]\nautostart = false\n'


def _app(tmp_path: Path, text: str) -> App:
    paths = AppPaths.discover({"TRAYAPP_HOME": str(tmp_path)})
    paths.ensure()
    paths.config_file.write_text(text)
    return App(paths, parse(text, source=paths.config_file, environ={"HOME": str(tmp_path)}))


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    built = _app(tmp_path, ONE)
    yield built
    if built.dashboard is not None:
        built.dashboard.close()
    built.notifier.close()
    built.journal.flush()


def test_the_control_command_hands_out_a_one_time_link(app: App) -> None:
    app._start_dashboard()
    assert app.dashboard is not None
    reply = app.control.dispatch({"cmd": "dashboard", "next": "/logs?program=assistant"})
    assert reply["ok"], reply
    url, port = reply["result"]["url"], reply["result"]["port"]
    assert port == app.dashboard.port
    assert url.startswith(f"http://127.0.0.1:{port}/login?code=") and url.endswith("&next=/logs?program=assistant")
    code = url.split("code=")[1].split("&")[0]
    assert app.dashboard.auth.redeem(code) == "/logs?program=assistant"


def test_rotate_over_the_control_channel_signs_everyone_out(app: App) -> None:
    app._start_dashboard()
    assert app.dashboard is not None
    cookie = app.dashboard.auth.new_session()
    assert app.control.dispatch({"cmd": "dashboard", "rotate": True})["ok"]
    assert app.dashboard.auth.session_id(cookie) is None
    app.journal.flush()
    last = json.loads(app.paths.journal_file.read_text().splitlines()[-1])
    assert describe(last) == "the dashboard's key was replaced: every browser was signed out"


def test_with_the_dashboard_off_the_command_says_why(tmp_path: Path) -> None:
    app = _app(tmp_path, ONE + "[dashboard]\nenabled = false\n")
    try:
        app._start_dashboard()
        assert app.dashboard is None and app.dashboard_url("/") is None
        reply = app.control.dispatch({"cmd": "dashboard"})
        assert reply["ok"] is False and "turned off in config.toml" in reply["error"]
    finally:
        app.notifier.close()


def test_a_port_in_use_is_one_journal_entry_and_no_dashboard(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        app = _app(tmp_path, ONE + f"[dashboard]\nport = {port}\n")
        try:
            app._start_dashboard()
        finally:
            app.notifier.close()
    assert app.dashboard is None
    app.journal.flush()
    entries = [line for line in app.paths.journal_file.read_text().splitlines() if "dashboard_unavailable" in line]
    assert len(entries) == 1
    sentence = describe(json.loads(entries[0]))
    assert sentence.startswith(f"the dashboard could not start on port {port}: ")
    assert "everything else runs on" in sentence and "set [dashboard] port to another number" in sentence


def test_a_reload_turns_the_dashboard_off_and_on(app: App) -> None:
    app._start_dashboard()
    app.paths.config_file.write_text(ONE + "[dashboard]\nenabled = false\n")
    assert app.reload()["sections"] == ["dashboard"]
    assert app.dashboard is None
    app.paths.config_file.write_text(ONE)
    app.reload()
    assert app.dashboard is not None and app.dashboard_url("/charts") is not None


def test_the_dashboard_command_knows_only_start_stop_restart(app: App) -> None:
    with pytest.raises(ControlError, match="not a command"):
        app.command("explode", "assistant")


def test_a_planted_link_for_the_key_is_refused_without_stopping_trayapp(app: App, tmp_path: Path) -> None:
    (tmp_path / "elsewhere").write_text("ab" * 32)
    (app.paths.state_dir / "dashboard.token").symlink_to(tmp_path / "elsewhere")
    app._start_dashboard()
    assert app.dashboard is None
    app.journal.flush()
    last = json.loads(app.paths.journal_file.read_text().splitlines()[-1])
    assert last["event"] == "dashboard_unavailable" and "symbolic link" in describe(last)


def test_doctor_flags_a_dashboard_key_others_can_read_and_fixes_it(tmp_path: Path) -> None:
    from trayapp.dashboard.auth import Auth, token_path
    from trayapp.doctor import Level, permissions
    from trayapp.doctor.inputs import Inputs

    paths = AppPaths.discover({"TRAYAPP_HOME": str(tmp_path / "trayapp")})
    paths.ensure()
    Auth(paths.state_dir)
    key = token_path(paths.state_dir)
    key.chmod(0o644)
    config = parse(ONE, environ={"HOME": str(tmp_path)})

    def checks(fix: bool) -> list[permissions.Check]:
        return list(permissions.checks(Inputs(config=config, paths=paths, fix=fix, platform="linux",
                                              environ={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})))

    assert any(str(key) in c.evidence and c.level is not Level.OK for c in checks(fix=False))
    checks(fix=True)
    assert key.stat().st_mode & 0o777 == 0o600
