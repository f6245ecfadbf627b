"""Buttons on a real crash notification, pressed through the real dunst.

dunst's context menu hands the actions of the bubbles on screen to its `dmenu` command, one line
each, and invokes the one that command prints. Checked on dunst 1.9: the lines read
"#Restart (assistant crashed (exit 1)) [7,restart:assistant]" (label, summary, then id and key),
without a newline after the last. Here `dmenu` is a small script that keeps what it was given and
picks the Restart line; `dunstctl context` opens the menu as a user's shortcut would.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.desktop.harness import Desktop, MissingTools, need, wait_for
from tests.integration.running import Trayapp

pytestmark = pytest.mark.desktop

# Crashes on its first run only: afterwards it stays up, so a new pid means the button worked.
ONCE = ("import os, sys, time; m = sys.argv[1]; first = not os.path.exists(m); open(m, 'a').close(); "
        "print('ValueError: the provider refused the key', file=sys.stderr) if first else None; "
        "sys.exit(1) if first else time.sleep(3600)")


def _dunst_choosing(tmp_path: Path, key: str) -> tuple[Desktop, Path]:
    """A desktop whose dunst runs our menu script, which picks the button whose key starts `key`."""
    menu, seen = tmp_path / "menu.sh", tmp_path / "menu-input.txt"
    menu.write_text(f"#!/bin/sh\ncat > {seen}\ngrep -m1 ',{key}:' {seen}\n")
    menu.chmod(0o755)
    try:
        desk = Desktop.start(tmp_path / "desk", with_tray=False,
                             dunst_config=f"[global]\n    dmenu = {menu}\n")
    except MissingTools as exc:
        need(False, f"no real desktop here: {exc}")
        raise
    return desk, seen


@pytest.fixture
def dunst_menu(tmp_path: Path) -> Iterator[tuple[Desktop, Path]]:
    """A desktop whose dunst presses Restart; yields it and the file the menu script writes."""
    desk, seen = _dunst_choosing(tmp_path, "restart")
    yield desk, seen
    desk.stop()


@pytest.fixture
def dunst_logs(tmp_path: Path) -> Iterator[Desktop]:
    desk, _ = _dunst_choosing(tmp_path, "logs")
    yield desk
    desk.stop()


def test_restart_on_a_crash_notification_starts_the_program_again(
        dunst_menu: tuple[Desktop, Path], tmp_path: Path) -> None:
    desk, seen = dunst_menu
    marker = tmp_path / "crashed-once"
    config = (f'[programs.assistant]\ncommand = ["{sys.executable}", "-c", "{ONCE}", "{marker}"]\n'
              'restart = "never"\n')
    env = {k: v for k, v in desk.env.items() if k in ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS")}
    t = Trayapp(tmp_path / "home", config, env=env)
    try:
        t.start()
        first = wait_for(lambda: [e["pid"] for e in t.journal() if e["event"] == "start"], 30, message="the first start")
        bubble = desk.wait_for_notification(lambda n: "crashed" in n.summary and bool(n.actions), timeout=30)
        assert bubble.actions == (("restart:assistant", "Restart"), ("logs:assistant", "Show logs"),
                                  ("snooze", "Snooze 1 h"))
        assert "trayapp restart assistant" not in bubble.body  # buttons, so no commands to type
        wait_for(lambda: desk.displayed_count() > 0, 30, message="dunst to show the bubble")
        desk.run(["dunstctl", "context"])
        running = wait_for(lambda: (p := t.program())["state"] == "running" and p["pid"] != first[0] and p,
                           30, message="the program to run again with a new pid")
        assert running["pid"] not in first
        lines = seen.read_text().splitlines()
        assert f"#Restart ({bubble.summary}) [{bubble.id},restart:assistant]" in lines, lines
        pressed = [e for e in t.journal() if e["event"] == "notice_action"]
        assert pressed and pressed[0]["action"] == "restart" and pressed[0]["program"] == "assistant"
    finally:
        if t.proc is not None and t.proc.poll() is None:
            t.terminate(20)


def _crash_and_press_show_logs(desk: Desktop, tmp_path: Path, env: dict[str, str]) -> Trayapp:
    """A trayapp whose program crashes once; dunst presses the notification's Show logs."""
    marker = tmp_path / "crashed-once"
    config = (f'[programs.assistant]\ncommand = ["{sys.executable}", "-c", "{ONCE}", "{marker}"]\n'
              'restart = "never"\n')
    shown = {k: v for k, v in desk.env.items() if k in ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS")}
    t = Trayapp(tmp_path / "home", config, env={**shown, **env})
    t.start()
    desk.wait_for_notification(lambda n: "crashed" in n.summary and bool(n.actions), timeout=30)
    wait_for(lambda: desk.displayed_count() > 0, 30, message="dunst to show the bubble")
    desk.run(["dunstctl", "context"])
    return t


def _login_link(opened: str) -> str:
    """What the browser was given leads to the one-time login: the link itself, or a private
    file that redirects to it (so the code never shows in a process list)."""
    if opened.startswith("file://"):
        return Path(opened.removeprefix("file://")).read_text()
    return opened


def test_show_logs_opens_the_logs_page(dunst_logs: Desktop, tmp_path: Path) -> None:
    """The button opens the dashboard's Logs page of that program in the browser."""
    record = tmp_path / "browser-was-given.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\nprintf "%s\\n" "$1" >> {record}\n')
    browser.chmod(0o755)
    t = _crash_and_press_show_logs(dunst_logs, tmp_path, {"BROWSER": str(browser)})
    try:
        wait_for(lambda: record.exists() and record.read_text().strip(), 30, message="the browser to be asked")
        link = _login_link(record.read_text().splitlines()[0])
        assert "/login?code=" in link and "next=/logs?program=assistant" in link, link
        pressed = [e for e in t.journal() if e["event"] == "notice_action"]
        assert pressed and pressed[0]["action"] == "logs"
    finally:
        if t.proc is not None and t.proc.poll() is None:
            t.terminate(20)


def test_show_logs_without_a_browser_says_where_the_log_is(dunst_logs: Desktop, tmp_path: Path) -> None:
    """No browser at all (the only one named fails, and none is on PATH): a second notification
    says so and where the log file is, instead of nothing at all."""
    t = _crash_and_press_show_logs(dunst_logs, tmp_path, {"BROWSER": "/bin/false", "PATH": str(tmp_path / "empty")})
    try:
        said = dunst_logs.wait_for_notification(lambda n: "log did not open" in n.summary, timeout=30)
        assert said.body.endswith(f"The log is at {t.paths.program_log('assistant')}"), said.body
    finally:
        if t.proc is not None and t.proc.poll() is None:
            t.terminate(20)
