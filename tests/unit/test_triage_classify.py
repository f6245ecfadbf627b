"""Known causes, each with a one-line cause and fix; unknown ones say so."""

from __future__ import annotations

import pytest

from trayapp.status import ExitInfo
from trayapp.triage.classify import UNKNOWN, Cause, Facts, PortHolder, classify
from trayapp.triage.excerpt import clean, find


def cause_of(out: list[str], exit_info: ExitInfo = ExitInfo(code=1), *, memory: int | None = None,
             memory_limit: int | None = None, port_holder: PortHolder | None = None) -> Cause:
    lines = [clean(line) for line in out]
    return classify(find(lines), lines, Facts(exit_info, memory, memory_limit, port_holder))


@pytest.mark.parametrize("out, key, words", [
    (["FATAL: Container runtime failed to start"], "container_runtime", "Docker"),
    (["\x1b[31m[12:00:00.000] FATAL (41): Container runtime is required but failed to start\x1b[39m"],
     "container_runtime", "Docker"),
    (["\x1b[31mGateway cannot start: No provider is configured for model \x1b[0m", "'anthropic/claude-opus-4-5'."],
     "no_provider", "ollama"),
    (["Provider/model setup is incomplete: No provider is configured for model", "Gateway will start"],
     "no_provider", "config.json"),
    (["Traceback (most recent call last):", '  File "/app/main.py", line 1, in <module>',
      "ModuleNotFoundError: No module named 'yaml.loader'"], "missing_module", "pip install yaml"),
    (["Error: Cannot find module 'express'", "    at Module._resolveFilename (node:internal/modules/cjs/loader:1207:15)"],
     "missing_module", "npm install"),
    (["openai.AuthenticationError: Error code: 401 - {'error': {'message': 'Incorrect API key provided'}}"],
     "provider_auth", "valid key"),
    (["2026-11-30 10:00:00 | ERROR | - | LLM error: invalid x-api-key"], "provider_auth", "valid key"),
    (["litellm.RateLimitError: Error code: 429 - You exceeded your current quota"], "provider_quota", "billing"),
    (["Traceback (most recent call last):", '  File "/app/main.py", line 3, in <module>',
      "FileNotFoundError: [Errno 2] No such file or directory: '/home/ann/.nanobot/config.json'"],
     "file_not_found", "correct the path"),
    (["Error: EACCES: permission denied, open '/var/lib/app/state.json'", "    at Object.openSync (node:fs:573:18)"],
     "permission_denied", "chmod"),
])
def test_known_causes(out: list[str], key: str, words: str) -> None:
    cause = cause_of(out)
    assert cause.key == key and cause.known
    assert words in str(cause.fix) or words in str(cause.cause)
    assert "\n" not in str(cause.cause) and "\n" not in str(cause.fix)


def test_the_file_named_in_the_error_is_named_in_the_cause() -> None:
    cause = cause_of(["FileNotFoundError: [Errno 2] No such file or directory: '/home/ann/.nanobot/config.json'"])
    assert str(cause.cause) == "A file it needs is missing: /home/ann/.nanobot/config.json."
    denied = cause_of(["Error: EACCES: permission denied, open '/var/lib/app/state.json'"])
    assert "/var/lib/app/state.json" in str(denied.cause)


def test_exit_78_means_fix_the_configuration() -> None:
    cause = cause_of(["config: 'port' must be a number"], ExitInfo(code=78))
    assert cause.key == "ex_config" and "configuration" in str(cause.fix)
    assert cause_of(["config: 'port' must be a number"], ExitInfo(code=1)).key == "unknown"


def test_port_in_use_names_the_port_and_who_holds_it() -> None:
    asked: list[int] = []

    def holder(port: int) -> str | None:
        asked.append(port)
        return "pid 4242 (python3)"

    out = ["Error: listen EADDRINUSE: address already in use :::18789",
           "    at Server.setupListenHandle [as _listen2] (node:net:1908:16)"]
    cause = cause_of(out, port_holder=holder)
    assert asked == [18789]
    assert cause.key == "port_in_use"
    assert str(cause.cause) == "Port 18789 is already in use (held by pid 4242 (python3))."
    assert "pid 4242" in str(cause.fix)


def test_port_from_an_earlier_bind_line_when_the_error_does_not_name_it() -> None:
    out = ["INFO:     Uvicorn binding on 127.0.0.1 port 8765", "Traceback (most recent call last):",
           '  File "/app/server.py", line 9, in serve', "OSError: [Errno 98] Address already in use"]
    cause = cause_of(out, port_holder=lambda port: None)
    assert str(cause.cause) == "Port 8765 is already in use."
    assert "another port" in str(cause.fix)


@pytest.mark.parametrize("out", [
    # loguru's "module:function:LINE" prefix and a clock are not ports (both named port 88/45 before)
    ["2026-11-30 10:00:00.123 | INFO | nanobot.cli:gateway:88 - Starting gateway server",
     "Traceback (most recent call last):", "OSError: [Errno 98] Address already in use"],
    ["[10:30:45.123] ERROR (4242): listen EADDRINUSE: address already in use"],
])
def test_a_clock_or_a_line_number_is_never_taken_for_the_port(out: list[str]) -> None:
    asked: list[int] = []
    def holder(port: int) -> str:
        asked.append(port)
        return "pid 1 (init)"

    cause = cause_of(out, port_holder=holder)
    assert cause.key == "port_in_use" and str(cause.cause) == "Its port is already in use." and asked == []


def test_sigkill_near_the_memory_limit_is_the_kernel_oom_killer() -> None:
    cause = cause_of(["working"], ExitInfo(signal=9), memory=1_950_000_000, memory_limit=2_000_000_000)
    assert cause.key == "out_of_memory"
    assert "1.9GB of 2GB" in str(cause.cause)


@pytest.mark.parametrize("exit_info, memory, limit", [
    (ExitInfo(signal=9), 500_000_000, 2_000_000_000),  # far from the limit: somebody else's SIGKILL
    (ExitInfo(signal=9), None, 2_000_000_000),
    (ExitInfo(signal=15), 1_990_000_000, 2_000_000_000),
])
def test_not_memory_without_both_sigkill_and_memory_near_the_limit(exit_info: ExitInfo, memory: int | None,
                                                                   limit: int) -> None:
    assert cause_of(["working"], exit_info, memory=memory, memory_limit=limit).key != "out_of_memory"


def test_a_timestamp_with_401_milliseconds_is_not_an_auth_error() -> None:
    assert cause_of(["2026-11-30 10:00:00.401 ERROR worker stopped"]).key == "unknown"
    assert cause_of(["2026-11-30 10:00:00.429 ERROR worker stopped"]).key == "unknown"


def test_unknown_cause_says_so_and_points_at_the_excerpt() -> None:
    cause = cause_of(["Traceback (most recent call last):", '  File "x.py", line 1', "ValueError: bad token"])
    assert cause == UNKNOWN and not cause.known
    assert "not one trayapp recognises" in str(cause.cause)


def test_a_harmless_info_line_that_mentions_a_rate_limit_is_not_the_cause() -> None:
    out = ["2026-11-30 10:00:00 | INFO | - | rate limit for telegram set to 30 per minute",
           "Traceback (most recent call last):", '  File "x.py", line 1', "ValueError: bad token"]
    assert cause_of(out).key == "unknown"
    out[0] = "2026-11-30 10:00:00 | ERROR | - | LLM call failed: rate limit reached"
    assert cause_of(out).key == "provider_quota"
