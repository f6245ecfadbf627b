"""Finding why a program died in what it printed: tracebacks, stacks, panics, error lines."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from trayapp.triage.excerpt import MAX_LINES, Kind, clean, find, is_error_line, message_of

GO_PANIC = """\
2026/11/30 10:00:00 listening on :8080
panic: runtime error: invalid memory address or nil pointer dereference
[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x47f5a2]

goroutine 1 [running]:
main.(*Server).handle(0x0)
\t/home/ann/srv/main.go:42 +0x22
main.main()
\t/home/ann/srv/main.go:17 +0x1d
exit status 2
"""


def python_stderr(code: str) -> list[str]:
    """What a real Python prints when `code` raises."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert done.returncode == 1
    return done.stderr.splitlines()


def node_stderr(code: str) -> list[str]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    done = subprocess.run([node, "-e", code], capture_output=True, text=True, timeout=30)
    assert done.returncode == 1
    return done.stderr.splitlines()


def test_the_last_python_traceback_ends_at_its_exception_line() -> None:
    lines = ["2026-11-30 10:00:00 | INFO | - | Agent loop started",
             *python_stderr("def f():\n    raise ValueError('bad token')\nf()"),
             "2026-11-30 10:00:01 | INFO | - | never reached"]
    found = find(lines)
    assert found.kind is Kind.PYTHON
    assert found.lines[0] == "Traceback (most recent call last):"
    assert found.lines[-1] == found.headline == "ValueError: bad token"
    assert not any("INFO" in line for line in found.lines)


def test_a_chained_python_traceback_keeps_the_chain_and_heads_with_the_final_exception() -> None:
    lines = python_stderr("try:\n    {}['key']\nexcept KeyError as e:\n    raise RuntimeError('no key') from e")
    found = find(lines)
    assert found.headline == "RuntimeError: no key"
    assert "KeyError: 'key'" in found.lines
    assert "The above exception was the direct cause of the following exception:" in found.lines


def test_an_earlier_unrelated_traceback_is_not_part_of_the_last_one() -> None:
    first = python_stderr("raise OSError('first run')")
    found = find([*first, "restarting the worker", *python_stderr("raise KeyError('second')")])
    assert found.headline == "KeyError: 'second'"
    assert "OSError: first run" not in found.lines


def test_a_very_long_traceback_is_capped_but_keeps_its_exception_line() -> None:
    # 40 different functions deep: Python folds repeated frames, so recursion would stay short.
    chain = "".join(f"def f{i}(): f{i + 1}()\n" for i in range(40)) + "def f40(): raise RecursionError('deep')\nf0()"
    found = find(python_stderr(chain))
    assert len(found.lines) <= MAX_LINES
    assert found.headline.startswith("RecursionError")
    assert found.lines[-1] == found.headline
    assert any("lines left out" in line for line in found.lines)


def test_node_missing_module_stack_from_real_node() -> None:
    found = find(node_stderr("require('nope')"))
    assert found.kind is Kind.NODE
    assert found.headline == "Error: Cannot find module 'nope'"
    assert any(line.lstrip().startswith("at ") for line in found.lines)
    assert found.lines[-1].startswith("Node.js v")
    assert found.lines[0].startswith("node:internal")  # where node threw it


def test_node_thrown_type_error_from_real_node() -> None:
    found = find(["Server ready", *node_stderr("function go() { throw new TypeError('x is not a function') }\ngo()")])
    assert found.headline == "TypeError: x is not a function"
    assert "Server ready" not in found.lines


def test_go_panic_with_its_goroutine_trace() -> None:
    found = find(GO_PANIC.splitlines())
    assert found.kind is Kind.GO
    assert found.headline == "panic: runtime error: invalid memory address or nil pointer dereference"
    assert "goroutine 1 [running]:" in found.lines
    assert "exit status 2" not in found.lines and "listening on :8080" not in " ".join(found.lines)


def test_nanobot_gateway_without_provider_real_output() -> None:
    # `nanobot gateway` (nanobot-ai 0.3.5) with the web UI off and no provider: rich wraps at 80 columns.
    out = ["\x1b[31mGateway cannot start: No provider is configured for model \x1b[0m",
           "\x1b[31m'anthropic/claude-opus-4-5'.\x1b[0m",
           "Complete provider/model setup:",
           "  WebUI: run \x1b[36mnanobot webui --config \x1b[0m\x1b[36m\"/home/ann/.nanobot/config.json\"\x1b[0m, then ",
           "open Settings → Models"]
    found = find(out)
    assert found.kind is Kind.ERRORS
    assert found.headline == "Gateway cannot start: No provider is configured for model 'anthropic/claude-opus-4-5'."


def test_info_lines_are_never_the_error_even_when_they_come_last() -> None:
    out = ["2026-11-30 10:00:00 | ERROR | - | Channel telegram failed: Unauthorized",
           "2026-11-30 10:00:01 | INFO  | websocket | WebSocket server listening on ws://127.0.0.1:8765/",
           "2026-11-30 10:00:02 | INFO  | - | Stopped websocket channel"]
    found = find(out)
    assert found.lines == (out[0],)
    assert found.headline == "Channel telegram failed: Unauthorized"


@pytest.mark.parametrize("line, error", [
    ("2026-11-30 10:00:00.123 | ERROR    | nanobot.agent:run:88 - boom", True),
    ("FATAL: Container runtime failed to start", True),
    ("CRITICAL:root:disk gone", True),
    ("[12:00:00.000] \x1b[31mERROR\x1b[39m (12): Failed to connect", True),
    ("Error: listen EADDRINUSE: address already in use :::8080", True),
    ("could not open the database", True),
    ("2026-11-30 10:00:00 | INFO | - | cannot find cache, creating it", False),
    ("DEBUG retrying after error", False),
    ("WebSocket server listening on ws://127.0.0.1:8765/", False),
])
def test_what_reads_as_an_error(line: str, error: bool) -> None:
    assert is_error_line(clean(line)) is error


def test_nothing_like_an_error_keeps_the_last_lines_and_no_headline() -> None:
    out = [f"step {i}" for i in range(20)]
    found = find(out)
    assert found.kind is Kind.TAIL and found.lines == tuple(out[-5:]) and found.headline == ""
    assert find([]).kind is Kind.NONE


def test_clean_strips_colour_and_control_codes_and_redacts_secrets() -> None:
    line = "\x1b[1;31mERROR\x1b[0m\x07 key rejected: OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwxyz0123\r"
    cleaned = clean(line)
    assert "\x1b" not in cleaned and "\x07" not in cleaned and "\r" not in cleaned
    assert "abcdefghijklmnopqrstuvwxyz0123" not in cleaned and "[REDACTED]" in cleaned
    assert cleaned.startswith("ERROR key rejected")


def test_a_secret_inside_a_traceback_is_redacted() -> None:
    found = find(python_stderr("raise PermissionError('token=ghp_abcdefghijklmnopqrstuvwx1234 refused')"))
    assert "ghp_abcdefghijklmnopqrstuvwx1234" not in found.text and "[REDACTED]" in found.headline


@pytest.mark.parametrize("line, message", [
    ("2026-11-30 10:00:00.123 | ERROR    | nanobot.agent:run:88 - boom", "boom"),
    ("2026-11-30 10:00:00 | ERROR | websocket | socket closed", "socket closed"),
    ("ERROR:nanobot.gateway:no route", "no route"),
    ("[2026-11-30 10:00:00] [error] lost connection", "lost connection"),
    ("plain text", "plain text"),
])
def test_message_of_drops_the_log_prefix(line: str, message: str) -> None:
    assert message_of(line) == message


def test_an_exception_group_heads_with_the_sub_exception_that_caused_it() -> None:
    code = ("import asyncio\nasync def bad(): raise ValueError('bad token')\nasync def main():\n"
            "    async with asyncio.TaskGroup() as tg:\n        tg.create_task(bad())\nasyncio.run(main())")
    found = find(["INFO starting", *python_stderr(code), "after the group"])
    assert found.kind is Kind.PYTHON
    assert found.headline == "ValueError: bad token"
    assert found.lines[0].strip() == "+ Exception Group Traceback (most recent call last):"
    assert any("ExceptionGroup: unhandled errors in a TaskGroup" in line for line in found.lines)
    assert "after the group" not in found.lines and found.lines[-1].strip().startswith("+---")


def test_nanoclaw_without_a_container_runtime() -> None:
    # NanoClaw v2 logs through pino-pretty, in colour, and exits 1 within a second without docker.
    out = ["\x1b[90m[10:00:00.101]\x1b[39m \x1b[32mINFO\x1b[39m (4242): \x1b[36mStarting NanoClaw\x1b[39m",
           "\x1b[90m[10:00:00.350]\x1b[39m \x1b[31mERROR\x1b[39m (4242): \x1b[36mdocker info failed\x1b[39m",
           "\x1b[90m[10:00:00.351]\x1b[39m \x1b[41mFATAL\x1b[49m (4242): \x1b[36mContainer runtime is required but "
           "failed to start\x1b[39m"]
    found = find(out)
    assert found.kind is Kind.ERRORS
    assert found.lines == ("[10:00:00.350] ERROR (4242): docker info failed",
                           "[10:00:00.351] FATAL (4242): Container runtime is required but failed to start")
    assert found.headline == "Container runtime is required but failed to start"


def test_a_long_line_is_redacted_before_it_is_cut() -> None:
    from trayapp.triage.excerpt import clean

    key = "sk-proj-" + "A1b2" * 15  # a bare key, named by nothing but its shape
    line = "x" * 285 + f" {key}"  # cut first, only "sk-proj-A1b2…" would be left: too short to recognise
    assert "A1b2" not in clean(line)
