"""Notification text: plain, specific, within each platform's limits."""

from __future__ import annotations

import pytest

from trayapp.notify import messages
from trayapp.notify.note import Limits, Note, fit, truncate
from trayapp.notify.plyer_backend import WINDOWS_LIMITS


def test_first_crash_names_program_exit_delay_and_last_stderr_line() -> None:
    m = messages.crash("nanobot", {"code": 1, "text": "exit 1", "last_stderr": "Error: bad key\x1b[0m"}, delay=4.2)
    assert m.title == "nanobot crashed (exit 1) — restarting in 4s"
    assert m.body == "Last error: Error: bad key"  # the colour code is gone whole, not just its ESC


def test_crash_body_is_the_reports_exception_line_and_fix() -> None:
    report = {"exit": "exit 1", "headline": "openai.AuthenticationError: Error code: 401", "known": True,
              "cause": "The model provider rejected the API key.", "fix": "Put a valid key in the configuration."}
    m = messages.crash("nanobot", {"code": 1, "text": "exit 1", "last_stderr": "INFO Stopped websocket channel"},
                       delay=7.642, report=report)
    assert m.title == "nanobot crashed (exit 1) — restarting in 8s"
    assert m.body == "openai.AuthenticationError: Error code: 401 — fix: put a valid key in the configuration."
    down = messages.gave_up("nanobot", {"reason": "it kept crashing", "retry_in": 600}, None, report)
    assert "openai.AuthenticationError: Error code: 401 — fix:" in down.body and "10m" in down.body


def test_an_info_line_is_never_called_the_last_error() -> None:
    exit_entry = {"code": 1, "text": "exit 1",
                  "last_stderr": "2026-11-30 10:00:00 | INFO | websocket | WebSocket server listening on ws://x/"}
    assert messages.crash("nanobot", exit_entry).body == ""


def test_one_line_strips_colour_codes_and_secrets() -> None:
    line = messages.one_line("\x1b[31mFATAL\x1b[39m key sk-ant-abcdefghijklmnopqrstuvwxyz rejected")
    assert line == "FATAL key sk-ant-[REDACTED] rejected"


def test_signal_and_repeated_crashes() -> None:
    m = messages.crash("OpenClaw", {"signal": 9, "text": "killed by SIGKILL"}, delay=8, count=4, span=95,
                       meaning="port 18789 is taken")
    assert m.title == "OpenClaw keeps crashing (killed by SIGKILL)"
    assert "4 crashes in 1m 35s" in m.body and "port 18789 is taken" in m.body
    assert "restarting in" not in m.title


def test_clean_unrequested_exit_is_not_called_a_crash() -> None:
    assert messages.crash("nanobot", {"code": 0, "text": "exit 0"}).title == "nanobot exited (exit 0)"


def test_gave_up_says_why_and_what_to_do() -> None:
    m = messages.gave_up("nanobot", {"reason": "exited (exit 78): run: openclaw onboard", "retry_in": None},
                         {"last_stderr": "config missing"})
    assert m.title == "nanobot is down — gave up restarting"
    assert m.body.splitlines() == ["Exited (exit 78): run: openclaw onboard.", "Last error: config missing",
                                   "Start it from the tray menu or with `trayapp start`."]


@pytest.mark.parametrize("entry, title, words", [
    ({"kind": "memory", "value": 1_500_000_000, "limit": 1_000_000_000, "action": "restart"},
     "nanobot used too much memory", ["1.5GB", "1GB", "restarted"]),
    ({"kind": "cpu", "value": "250%", "limit": "100%", "action": "notify"},
     "nanobot used too much CPU", ["250%", "100%", "still running"]),
])
def test_limit_messages(entry: dict, title: str, words: list[str]) -> None:
    m = messages.limit("nanobot", entry)
    assert m.title == title and all(w in m.body for w in words)


def test_one_line_collapses_and_caps() -> None:
    assert messages.one_line("a\n  b\tc") == "a b c"
    assert messages.one_line("x" * 300, 10) == "x" * 9 + "…"


def test_truncate_counts_utf16_units_for_windows() -> None:
    text = "🙂" * 40  # 80 UTF-16 units, 40 code points
    cut = truncate(text, 63, utf16=True)
    assert len(cut.encode("utf-16-le")) // 2 <= 63 and cut.endswith("…")
    assert truncate(text, 63) == text  # 40 code points fit where code points are counted


def test_fit_keeps_every_windows_title_and_body_within_the_buffers() -> None:
    note = Note(title="nanobot keeps crashing (exit 1) — restarting in 4s and more words here", body="é" * 600)
    fitted = fit(note, WINDOWS_LIMITS)
    assert len(fitted.title) <= 63 and len(fitted.body) <= 255
    assert fitted.title.startswith("nanobot keeps crashing")
    assert fit(Note("short", "short"), Limits()) == Note("short", "short")


def test_typical_titles_fit_windows_without_cutting() -> None:
    titles = [messages.crash("OpenClaw", {"text": "killed by SIGKILL"}, delay=60).title,
              messages.gave_up("NanoClaw", {"reason": "x"}, None).title,
              messages.external("OpenClaw", {}).title]
    assert all(len(t) <= 63 for t in titles), titles
