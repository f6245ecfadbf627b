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


def test_show_logs_opens_the_logs_page_or_says_where_the_log_is(dunst_logs: Desktop, tmp_path: Path) -> None:
    """The button opens the dashboard's Logs page; with no dashboard (or no browser) a second
    notification says why and where the log file is, instead of nothing at all."""
    desk = dunst_logs
    marker = tmp_path / "crashed-once"
    config = (f'[programs.assistant]\ncommand = ["{sys.executable}", "-c", "{ONCE}", "{marker}"]\n'
              'restart = "never"\n')
    env = {k: v for k, v in desk.env.items() if k in ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS")}
    t = Trayapp(tmp_path / "home", config, env={**env, "BROWSER": "/bin/false"})
    try:
        t.start()
        desk.wait_for_notification(lambda n: "crashed" in n.summary and bool(n.actions), timeout=30)
        wait_for(lambda: desk.displayed_count() > 0, 30, message="dunst to show the bubble")
        desk.run(["dunstctl", "context"])
        said = desk.wait_for_notification(lambda n: "log did not open" in n.summary, timeout=30)
        assert said.body.endswith(f"The log is at {t.paths.program_log('assistant')}"), said.body
        pressed = [e for e in t.journal() if e["event"] == "notice_action"]
        assert pressed and pressed[0]["action"] == "logs"
    finally:
        if t.proc is not None and t.proc.poll() is None:
            t.terminate(20)
