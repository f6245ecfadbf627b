"""`trayapp dashboard` without a running trayapp, its options, and the [dashboard] config section."""

from __future__ import annotations

import json
import webbrowser
from pathlib import Path

import pytest

from trayapp import cli
from trayapp.cli import dashboard as dashboard_cli
from trayapp.config import DashboardConfig, parse
from trayapp.dashboard.auth import load_or_create_token, token_path
from trayapp.errors import ConfigError


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TRAYAPP_HOME", str(tmp_path))
    (tmp_path / "state").mkdir(mode=0o700)
    return tmp_path


def test_help_describes_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main(["dashboard", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "one-time link" in out and "--open" in out and "--rotate" in out


def test_not_running_is_one_sentence_with_the_fix_and_exit_3(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["dashboard", "--open"]) == 3
    err = capsys.readouterr().err
    assert "trayapp is not running" in err and "`trayapp run`" in err
    assert len(err.strip().splitlines()) == 1


def test_not_running_as_json(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["dashboard", "--json"]) == 3
    assert json.loads(capsys.readouterr().out) == {"running": False, "rotated": False}


def test_rotate_without_a_running_trayapp_replaces_the_key(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = load_or_create_token(home / "state")
    assert cli.main(["dashboard", "--rotate"]) == 3
    assert bytes.fromhex(token_path(home / "state").read_text().strip()) != old
    assert "every browser is signed out" in capsys.readouterr().err


@pytest.mark.parametrize("page, program, path", [("overview", None, "/"), ("logs", "alpha", "/logs?program=alpha"),
                                                 ("charts", "my bot&x", "/charts?program=my%20bot%26x")])
def test_the_page_asked_for(page: str, program: str | None, path: str) -> None:
    assert dashboard_cli.page_path(page, program) == path


def test_no_browser_prints_the_link_and_says_why(monkeypatch: pytest.MonkeyPatch, home: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    def refuse(url: str) -> bool:
        raise webbrowser.Error("could not locate runnable browser")

    monkeypatch.setattr(webbrowser, "open", refuse)
    dashboard_cli._open("http://127.0.0.1:1234/login?code=abc&next=/", home / "state")
    out = capsys.readouterr().out
    assert "could not open a browser" in out and "http://127.0.0.1:1234/login?code=abc&next=/" in out


def test_the_dashboard_section() -> None:
    assert parse("[dashboard]\nport = 8484\nenabled = false\n").dashboard == DashboardConfig(enabled=False, port=8484)
    assert parse("").dashboard == DashboardConfig(enabled=True, port=0)


@pytest.mark.parametrize("text, problem", [("port = 80", "1024 to 65535"), ("port = 70000", "1024 to 65535"),
                                           ("port = \"x\"", "dashboard.port"), ("enabled = 3", "dashboard.enabled"),
                                           ("host = \"0.0.0.0\"", "dashboard.host")])
def test_a_bad_dashboard_section_is_a_clear_problem(text: str, problem: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse(f"[dashboard]\n{text}\n")
    assert any(problem in p for p in raised.value.problems), raised.value.problems


@pytest.mark.parametrize("key", ["enabled", "port"])
@pytest.mark.parametrize("value", ["[]", "{ a = 1 }", "1.5", '"@@"', "-1"])
def test_a_value_of_the_wrong_kind_is_named_in_words(key: str, value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse(f"[dashboard]\n{key} = {value}\n")
    problems = raised.value.problems
    assert problems and all(p.startswith(f"dashboard.{key}") for p in problems), problems
    assert not any(word in p for p in problems for word in ("NoneType", "<class", "Traceback", "'list'"))
