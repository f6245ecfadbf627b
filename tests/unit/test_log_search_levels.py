"""Levels of log lines as real assistants print them (nanobot's loguru, OpenClaw, NanoClaw's pino)."""

from __future__ import annotations

import pytest

from trayapp.logs.levels import Level, LevelTracker, at_least, level_of

NANOBOT_INFO = "2026-11-30 14:02:03.120 | INFO     | nanobot.cli.commands:gateway:412 - 🐈 Starting nanobot gateway on port 18790..."


@pytest.mark.parametrize(("line", "level"), [
    (NANOBOT_INFO, "info"),  # loguru sends INFO to stderr: the stream says nothing
    ("2026-11-30 14:02:04.001 | WARNING  | nanobot.channels.manager:start:88 - Telegram token missing, channel off", "warning"),
    ("2026-11-30 14:02:04.500 | ERROR    | nanobot.agent.loop:run:201 - LLM call failed: 401 Unauthorized", "error"),
    ("2026-11-30 14:02:04 | DEBUG | channel | heartbeat", "debug"),
    ("ERROR:root:could not open the session database", "error"),
    ("WARNING:asyncio:Executing <Task> took 0.2 seconds", "warning"),
    ("[error] gateway: bind failed", "error"),
    ("[WARN] slow response from provider", "warning"),
    ('time=2026-11-30T14:02:03Z level=error msg="listen failed"', "error"),
    ("time=2026-11-30T14:02:03Z level=info msg=ready", "info"),
    ("E/AndroidRuntime( 123): FATAL EXCEPTION: main", "error"),
    ("I/O error while reading the socket", ""),  # not Android's "I/" (info): no level stated
    ("ERR connection reset by peer", "error"),
    ("WARN deprecated option gateway.bind", "warning"),
    ("FATAL: out of memory", "error"),
    ("CRITICAL: disk is full", "error"),
    ("panic: runtime error: index out of range [3] with length 3", "error"),
    ("Error: listen EADDRINUSE: address already in use 127.0.0.1:18789", "error"),
    ("TypeError: Cannot read properties of undefined (reading 'send')", "error"),
    ('{"level":"error","time":1764511323000,"msg":"Gateway cannot start"}', "error"),
    ('{"level":30,"time":1764511323000,"pid":42,"msg":"Connected to WhatsApp"}', "info"),
    ('{"level":40,"msg":"reconnecting"}', "warning"),
    ("[14:02:03.120] FATAL (4242): unhandled rejection", "error"),
    # no level of its own, but a failed start: the old viewer's empty "errors only" filter
    ("Gateway cannot start: No provider is configured for model 'anthropic/claude-opus-4-5'.", "error"),
    ("[openclaw] Gateway failed to start: port 18789 is in use", "error"),
    ("OpenClaw gateway listening on ws://127.0.0.1:18789", ""),
    ("WebUI: http://127.0.0.1:8765", ""),
])
def test_the_level_a_line_states(line: str, level: str) -> None:
    assert level_of(line) == level


def test_a_python_traceback_is_an_error_to_its_last_line() -> None:
    tracker = LevelTracker()
    lines = [
        NANOBOT_INFO,
        "Traceback (most recent call last):",
        '  File "/usr/lib/python3.11/site-packages/nanobot/cli.py", line 412, in gateway',
        "    raise RuntimeError('no provider')",
        "RuntimeError: no provider",
        "Shutting down",
    ]
    assert [tracker.level(line) for line in lines] == ["info", "error", "error", "error", "error", ""]


def test_a_node_stack_under_an_error_is_an_error() -> None:
    tracker = LevelTracker()
    lines = ["Error: listen EADDRINUSE: address already in use", "    at Server.setupListenHandle (node:net:1817:16)",
             "    at listenInCluster (node:net:1865:12)", "Retrying in 5s"]
    assert [tracker.level(line) for line in lines] == ["error", "error", "error", ""]


def test_an_indented_line_after_an_info_line_is_not_an_error() -> None:
    tracker = LevelTracker()
    assert [tracker.level(line) for line in [NANOBOT_INFO, "    at the end of the queue"]] == ["info", ""]


@pytest.mark.parametrize(("level", "wanted", "kept"), [
    ("error", "error", True), ("warning", "error", False), ("info", "warning", False),
    ("warning", "warning", True), ("error", "warning", True), ("", "", True), ("debug", "", True),
])
def test_the_level_filter(level: Level, wanted: str, kept: bool) -> None:
    assert at_least(level, wanted) is kept
