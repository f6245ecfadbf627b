"""The crash report: built from real output, said in words, round-tripped through JSON."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from pathlib import Path

import pytest

from trayapp.status import ExitInfo
from trayapp.triage.report import CrashReport, build, exit_words

WHEN = 1_796_046_439.0


def run(argv: list[str]) -> tuple[list[str], ExitInfo]:
    """Both streams of a real program, stdout first (as a pump would see a program that dies fast)."""
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    return (done.stdout + done.stderr).splitlines(), ExitInfo.from_returncode(done.returncode)


def test_python_traceback_report_heads_with_the_exception_line() -> None:
    lines, info = run([sys.executable, "-c", "print('loading'); raise ValueError('bad token')"])
    report = build(lines, info, program="assistant", when=WHEN)
    assert report.exit == "exit 1"
    assert str(report.headline) == "ValueError: bad token"
    assert report.kind == "python traceback" and report.excerpt[-1] == "ValueError: bad token"
    assert not report.known and "not one trayapp recognises" in str(report.cause)
    assert report.notice() == "ValueError: bad token"  # an unknown cause has no fix to offer


def test_known_cause_puts_the_fix_in_the_notice() -> None:
    lines, info = run([sys.executable, "-c", "import nonexistent_module_for_trayapp"])
    report = build(lines, info, program="assistant", when=WHEN)
    assert report.known
    assert report.notice() == ("ModuleNotFoundError: No module named 'nonexistent_module_for_trayapp' — fix: "
                               "install it into the program's own environment (pip install "
                               "nonexistent_module_for_trayapp), or reinstall the program.")


def test_node_report_from_real_node() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    lines, info = run([node, "-e", "require('nope')"])
    report = build(lines, info, program="openclaw", when=WHEN)
    assert str(report.headline) == "Error: Cannot find module 'nope'"
    assert report.kind == "node stack" and "npm install" in str(report.fix)


def test_real_nanobot_without_a_provider(tmp_path: Path) -> None:
    nanobot = Path(sys.executable).with_name("nanobot")
    if not nanobot.exists():
        pytest.skip("nanobot-ai is not installed (extra `nanobot`)")
    config = tmp_path / "config.json"
    config.write_text('{"channels": {"websocket": {"enabled": false}}}')  # without the web UI it refuses to start
    done = subprocess.run([str(nanobot), "gateway", "--config", str(config)], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path, env={**os.environ, "HOME": str(tmp_path), "FORCE_COLOR": "1"})
    report = build((done.stdout + done.stderr).splitlines(), ExitInfo.from_returncode(done.returncode),
                   program="nanobot", when=WHEN)
    assert report.exit == "exit 1"
    assert str(report.headline).startswith("Gateway cannot start: No provider is configured for model")
    assert str(report.cause) == "nanobot has no usable model provider." and "ollama" in str(report.fix)
    assert "\x1b" not in str(report.headline)


def test_nanobot_without_provider_real_message() -> None:
    lines = ["\x1b[31mGateway cannot start: No provider is configured for model \x1b[0m",
             "\x1b[31m'anthropic/claude-opus-4-5'.\x1b[0m", "Complete provider/model setup:"]
    report = build(lines, ExitInfo(code=1), program="nanobot", when=WHEN)
    assert str(report.headline) == "Gateway cannot start: No provider is configured for model 'anthropic/claude-opus-4-5'."
    assert str(report.cause) == "nanobot has no usable model provider."
    assert "\x1b" not in json.dumps(report.to_dict())


def test_a_silent_death_still_says_how_it_ended() -> None:
    report = build([], ExitInfo(signal=9), program="x", when=WHEN)
    assert report.exit == "killed by SIGKILL (signal 9)"
    assert (report.code, report.signal) == (None, 9)
    assert str(report.headline) == "Killed by SIGKILL (signal 9) without an error message."
    assert report.excerpt == ()
    quiet = build(["step 1", "step 2"], ExitInfo(code=3), program="x", when=WHEN)
    assert str(quiet.headline) == "Exited with code 3 without an error message."
    assert quiet.excerpt == ("step 1", "step 2")  # the last lines, for the reader to judge


@pytest.mark.parametrize("info, words", [
    (ExitInfo(code=1), "exit 1"), (ExitInfo(code=0), "exit 0"), (ExitInfo(signal=9), "killed by SIGKILL (signal 9)"),
    (ExitInfo(signal=15), "killed by SIGTERM (signal 15)"), (ExitInfo(signal=200), "killed by signal 200"),
    (ExitInfo(), "exit status unknown"),
])
def test_exit_in_words(info: ExitInfo, words: str) -> None:
    assert exit_words(info) == words


def test_to_dict_and_back_through_json() -> None:
    lines, info = run([sys.executable, "-c", "raise SystemExit('config: no port')"])
    report = build(lines, info, program="assistant", when=WHEN)
    again = CrashReport.from_dict(json.loads(json.dumps(report.to_dict())))
    assert again == report


def test_from_dict_survives_a_damaged_record() -> None:
    report = CrashReport.from_dict({"program": 3, "when": "yesterday", "excerpt": "not a list", "known": "yes",
                                    "code": "1", "signal": True})
    assert report.program == "" and report.when == 0.0 and report.excerpt == () and report.known is False
    assert report.code is None and report.signal is None


def test_a_huge_exception_line_is_cut_for_the_headline() -> None:
    lines, info = run([sys.executable, "-c", "raise ValueError('x' * 5000)"])
    report = build(lines, info, program="assistant", when=WHEN)
    assert len(str(report.headline)) <= 200 and str(report.headline).endswith("…")
