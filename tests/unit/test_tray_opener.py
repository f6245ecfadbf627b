"""Opening folders, files and dashboard pages from the menu: with a fake runner and browser, and
what the user is told when nothing can open them."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from trayapp.config import Config, default_config
from trayapp.opener import Opener, folder_command, write_launch_file
from trayapp.paths import AppPaths
from trayapp.status import State, Status
from trayapp.tray.actions import NO_DASHBOARD, TrayActions
from trayapp.tray.host import TrayHost
from trayapp.tray.view import Action


class Runner:
    def __init__(self, fails: OSError | None = None) -> None:
        self.ran: list[list[str]] = []
        self.fails = fails

    def __call__(self, argv: Sequence[str]) -> None:
        if self.fails is not None:
            raise self.fails
        self.ran.append(list(argv))


class Browser:
    """webbrowser.open's stand-in: keeps the URLs and answers whether a browser started."""

    def __init__(self, starts: bool = True) -> None:
        self.opened: list[str] = []
        self.starts = starts

    def __call__(self, url: str) -> bool:
        self.opened.append(url)
        return self.starts


def which_none(name: str) -> str | None:
    return None


def which_all(name: str) -> str | None:
    return f"/usr/bin/{name}"


@pytest.mark.parametrize("platform, command", [("linux", ["xdg-open"]), ("freebsd14", ["xdg-open"]),
                                               ("darwin", ["open"]), ("win32", None)])
def test_each_platform_has_its_opener(platform: str, command: list[str] | None, tmp_path: Path) -> None:
    got = folder_command(tmp_path, platform)
    assert (got[:1] if got else None) == command


def test_a_folder_opens_with_the_desktops_opener(tmp_path: Path) -> None:
    run = Runner()
    assert Opener(run=run, which=which_all, platform="linux").open_path(tmp_path) is None
    assert run.ran == [["xdg-open", str(tmp_path)]]


def test_without_xdg_open_the_sentence_names_the_fix_and_the_path(tmp_path: Path) -> None:
    run = Runner()
    said = Opener(run=run, which=which_none, platform="linux").open_path(tmp_path)
    assert said == f"No program to open it: `xdg-open` is not installed (install xdg-utils). It is at {tmp_path}"
    assert run.ran == []


def test_an_opener_that_cannot_start_is_a_sentence_not_a_crash(tmp_path: Path) -> None:
    run = Runner(fails=PermissionError(13, "Permission denied"))
    said = Opener(run=run, which=which_all, platform="darwin").open_path(tmp_path)
    assert said == f"It could not be opened (Permission denied). It is at {tmp_path}"


def test_windows_uses_startfile(tmp_path: Path) -> None:
    started: list[str] = []
    assert Opener(startfile=started.append, platform="win32").open_path(tmp_path) is None
    assert started == [str(tmp_path)]


def test_a_missing_path_is_said(tmp_path: Path) -> None:
    assert Opener(run=Runner(), which=which_all).open_path(tmp_path / "gone") == f"{tmp_path / 'gone'} does not exist yet."


def test_urls_go_to_the_browser_and_a_missing_browser_gives_the_url() -> None:
    seen = Browser()
    assert Opener(browse=seen).open_url("http://127.0.0.1:1/x") is None
    assert seen.opened == ["http://127.0.0.1:1/x"]
    said = Opener(browse=lambda url: False).open_url("http://127.0.0.1:1/x")
    assert said == "No web browser was found. Open this address yourself: http://127.0.0.1:1/x"

    def broken(url: str) -> bool:
        raise OSError("exec format error")

    said = Opener(browse=broken).open_url("http://h/")
    assert said is not None and said.endswith("Open this address yourself: http://h/")


# -- the menu's actions -----------------------------------------------------------------------


class Notes:
    def __init__(self) -> None:
        self.said: list[tuple[str, str, bool]] = []
        self.paused_until: float | None = None

    def notify(self, title: str, body: str = "", *, slot: str = "trayapp", kind: str = "note",
               bypass_pause: bool = False) -> None:
        self.said.append((title, body, bypass_pause))

    def pause(self, seconds: float) -> float | None:
        return None

    def resume(self) -> None: ...

    def use_tray_icon(self, icon: object) -> None: ...


class Host:
    def __init__(self, tmp_path: Path, url: str | None, on_quit: str = "ask") -> None:
        from dataclasses import replace

        from trayapp.config import TrayConfig

        self.config: Config = replace(default_config({"HOME": str(tmp_path)}), tray=TrayConfig(on_quit=on_quit))
        self.paths = AppPaths.discover({"TRAYAPP_HOME": str(tmp_path)})
        self.paths.ensure()
        self.notifier = Notes()
        self.url = url
        self.pages: list[str] = []
        self.quits: list[bool] = []
        self.extra: dict[str, str] = {}

    def dashboard_url(self, page: str) -> str | None:
        self.pages.append(page)
        return None if self.url is None else self.url + page

    def statuses(self) -> list[Status]:
        return [Status("assistant", "nanobot", State.RUNNING, extra=self.extra)]

    def quit(self, stop_programs: bool = True) -> None:
        self.quits.append(stop_programs)


def actions_for(host: Host, browse: Callable[[str], bool], run: Runner | None = None,
                which: Callable[[str], str | None] = which_all) -> TrayActions:
    opener = Opener(run=run or Runner(), which=which, browse=browse, platform="linux")
    declared: TrayHost = host  # type: ignore[assignment]  # the fake has only what these actions use
    return TrayActions(declared, refresh=lambda: None, opener=opener, background=lambda job: job())


@pytest.mark.parametrize("action, program, page", [
    (Action.DASHBOARD, None, "/"), (Action.LOGS, "assistant", "/logs?program=assistant"),
    (Action.DIAGNOSTICS, None, "/diagnostics"), (Action.BACKUPS, None, "/backups")])
def test_menu_entries_open_their_dashboard_page(tmp_path: Path, action: Action, program: str | None,
                                                page: str) -> None:
    host, browser = Host(tmp_path, "http://127.0.0.1:5000/login?token=abc&next="), Browser()
    actions_for(host, browser).handle(action, program)
    opened, = browser.opened
    assert opened.startswith("file://") and "token=" not in opened  # the code is not on a command line
    launch = Path(urlsplit(opened).path)
    assert stat.S_IMODE(launch.stat().st_mode) == 0o600 and launch.parent == host.paths.state_dir
    assert f'url=http://127.0.0.1:5000/login?token=abc&amp;next={page}"' in launch.read_text()
    assert host.notifier.said == []


def test_launch_files_older_than_a_minute_go_at_the_next_use(tmp_path: Path) -> None:
    old = write_launch_file("http://127.0.0.1:1/login?code=a", tmp_path, now=1000.0)
    os.utime(old, (1000.0, 1000.0))
    fresh = write_launch_file("http://127.0.0.1:1/login?code=b", tmp_path, now=1030.0)
    os.utime(fresh, (1030.0, 1030.0))
    write_launch_file("http://127.0.0.1:1/login?code=c", tmp_path, now=1061.0)
    assert not old.exists() and fresh.exists()


def test_a_login_url_with_no_browser_is_given_in_words(tmp_path: Path) -> None:
    said = Opener(browse=lambda url: False).open_login("http://127.0.0.1:1/login?code=x", tmp_path)
    assert said is not None and "http://127.0.0.1:1/login?code=x" in said and "file:" not in said


def test_without_a_dashboard_the_notification_names_the_command(tmp_path: Path) -> None:
    host = Host(tmp_path, None)
    actions_for(host, lambda url: True).handle(Action.DASHBOARD, None)
    assert host.notifier.said == [("The dashboard did not open", NO_DASHBOARD, True)]
    assert "`trayapp dashboard`" in NO_DASHBOARD


def test_without_a_browser_the_notification_gives_the_url(tmp_path: Path) -> None:
    host = Host(tmp_path, "http://127.0.0.1:5000/t/")
    actions_for(host, lambda url: False).handle(Action.LOGS, "assistant")
    (title, body, loud), = host.notifier.said
    assert title == "The dashboard did not open" and loud
    assert body.endswith("Open this address yourself: http://127.0.0.1:5000/t//logs?program=assistant")


def test_open_config_file_without_an_opener_says_where_the_file_is(tmp_path: Path) -> None:
    host = Host(tmp_path, None)
    actions_for(host, lambda url: True, which=which_none).handle(Action.CONFIG_FILE, None)
    (title, body, _), = host.notifier.said
    assert body.endswith(f"It is at {host.paths.config_dir}") and "xdg-open" in body  # no config.toml yet: its folder


def test_the_assistants_own_ui_opens_from_its_status(tmp_path: Path) -> None:
    host, browser = Host(tmp_path, None), Browser()
    host.extra = {"own_ui": "http://127.0.0.1:8765/"}
    actions_for(host, browser).handle(Action.OWN_UI, "assistant")
    assert browser.opened == ["http://127.0.0.1:8765/"]


@pytest.mark.parametrize("action, on_quit, stops", [(Action.QUIT_STOP, "ask", True), (Action.QUIT_LEAVE, "ask", False),
                                                    (Action.QUIT, "leave", False), (Action.QUIT, "stop", True)])
def test_quit_entries_answer_the_question_themselves(tmp_path: Path, action: Action, on_quit: str,
                                                     stops: bool) -> None:
    host = Host(tmp_path, None, on_quit)
    actions_for(host, lambda url: True).handle(action, None)
    assert host.quits == [stops]
