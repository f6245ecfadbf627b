"""The supervisor tells the truth: degraded when it runs but cannot answer, and a crash report on
every unexpected exit. Pure: fake clock, fake children, lines printed through the real output watch."""

from __future__ import annotations

import json
from pathlib import Path

from tests.unit.supervisor_rig import Rig, make_rig
from trayapp.status import Health, State
from trayapp.supervisor.messages import Start
from trayapp.supervisor.program import DEGRADED_HOLD

BOT = """
[programs.assistant]
command = ["bot", "serve"]
startsecs = "1s"
[programs.assistant.backoff]
initial = "5s"
jitter = 0
"""
HEALTH = '[programs.assistant.health]\nurl = "http://127.0.0.1:9/health"\ninterval = "5s"\n'
NANOBOT = '[programs.assistant]\npreset = "nanobot"\n'
PATTERNS = BOT.replace('startsecs = "1s"', 'startsecs = "1s"\ndegraded_patterns = [{ pattern = "token expired", '
                       'reason = "its chat channel is logged out", fix = "log in again: bot login" }]')


def started(tmp_path: Path, toml: str, **kw: object) -> Rig:
    rig = make_rig(tmp_path, toml, **kw)  # type: ignore[arg-type]
    rig.sup.submit(Start())
    rig.step()
    return rig


def prints(rig: Rig, text: str, stream: str = "stdout") -> None:
    rig.log.print(rig.spawner.logs[-1], stream, text)
    rig.step()


def healthy(rig: Rig) -> None:
    rig.advance(1)
    rig.run_background()
    rig.step()


def test_nanobot_that_says_setup_is_incomplete_is_degraded_not_green(tmp_path: Path) -> None:
    rig = started(tmp_path, NANOBOT)
    prints(rig, "Provider/model setup is incomplete: No provider is configured for model \n"
                "'anthropic/claude-opus-4-5'.")
    healthy(rig)
    status = rig.status()
    assert (status.state, status.health) == (State.RUNNING, Health.DEGRADED)
    assert str(status.health_detail) == "nanobot is running but has no usable model provider"
    assert "ollama" in str(status.health_fix)
    assert [e for e in rig.entries if e["event"] == "health"][-1]["status"] == "degraded"
    assert not [s for s in rig.changes if s.health is Health.HEALTHY], "never shown green on the way"


def test_nanobot_settings_without_a_provider_key_are_degraded_and_ollama_is_healthy(tmp_path: Path) -> None:
    folder = tmp_path / ".nanobot"
    folder.mkdir()
    config = folder / "config.json"
    config.write_text(json.dumps({"agents": {"defaults": {"model": "anthropic/claude-opus-4-5"}},
                                  "providers": {"anthropic": {"apiKey": None}}}))
    rig = started(tmp_path, NANOBOT, environ={"HOME": str(tmp_path), "PATH": "/usr/bin"})
    healthy(rig)
    assert rig.status().health is Health.DEGRADED and "(anthropic) has no API key" in str(rig.status().health_detail)
    config.write_text(json.dumps({"agents": {"defaults": {"model": "llama3.2", "provider": "ollama"}},
                                  "providers": {"ollama": {}}}))
    rig.advance(60)  # read again on its own timer while it runs
    rig.run_background()
    rig.step()
    assert rig.status().health is Health.HEALTHY and rig.status().health_fix == ""


def test_an_output_verdict_lapses_after_its_hold_and_a_restart_clears_it(tmp_path: Path) -> None:
    rig = started(tmp_path, PATTERNS)  # no health check: only the verdict can change health
    rig.advance(1)
    assert rig.status().health is Health.NONE
    prints(rig, "2026-11-30 10:00:00 ERROR token expired for channel x")
    assert (rig.status().health, rig.status().health_fix) == (Health.DEGRADED, "log in again: bot login")
    rig.advance(DEGRADED_HOLD)
    assert rig.status().health is Health.NONE
    prints(rig, "token expired again")
    assert rig.status().health is Health.DEGRADED
    rig.spawner.last.exit(1)
    rig.step()
    rig.advance(5)  # the restart
    assert rig.status().health is Health.NONE


def test_an_unhealthy_check_wins_over_degraded(tmp_path: Path) -> None:
    rig = started(tmp_path, PATTERNS + HEALTH, probe=[True, False, False, False])
    healthy(rig)
    prints(rig, "token expired")
    assert rig.status().health is Health.DEGRADED
    for _ in range(3):
        rig.advance(5)
        rig.run_background()
        rig.step()
    assert rig.status().health is Health.UNHEALTHY


def test_a_python_traceback_becomes_the_crash_report(tmp_path: Path) -> None:
    rig = started(tmp_path, BOT)
    prints(rig, "2026-11-30 10:00:00 | INFO | starting\n"
                "Traceback (most recent call last):\n"
                '  File "/srv/bot.py", line 3, in <module>\n'
                "    connect(token)\n"
                "ValueError: bad token", stream="stderr")
    prints(rig, "2026-11-30 10:00:01 | INFO | Stopped websocket channel", stream="stderr")
    rig.spawner.last.exit(1)
    rig.step()
    report = rig.status().last_crash
    assert report is not None and report.headline == "ValueError: bad token" and report.exit == "exit 1"
    crash = [e for e in rig.entries if e["event"] == "crash"]
    assert len(crash) == 1 and crash[0]["headline"] == "ValueError: bad token"
    assert crash[0]["excerpt"][0] == "Traceback (most recent call last):"


def test_a_requested_stop_makes_no_crash_report(tmp_path: Path) -> None:
    rig = started(tmp_path, BOT)
    rig.sup.programs["assistant"].stop(rig.clock.monotonic())
    rig.spawner.last.exit(-15)
    rig.step()
    assert rig.status().last_crash is None and "crash" not in rig.kinds()


def test_the_crash_report_of_the_previous_run_is_not_mixed_in(tmp_path: Path) -> None:
    rig = started(tmp_path, BOT)
    prints(rig, "Traceback (most recent call last):\nKeyError: 'old'", stream="stderr")
    rig.spawner.last.exit(1)
    rig.step()
    rig.advance(5)
    prints(rig, "Error: Cannot find module 'express'\n    at Module._resolveFilename (node:internal)", "stderr")
    rig.spawner.last.exit(1)
    rig.step()
    report = rig.status().last_crash
    assert report is not None and "express" in str(report.headline) and "KeyError" not in "\n".join(report.excerpt)


def test_running_before_its_first_check_passes_is_degraded_when_the_settings_say_so(tmp_path: Path) -> None:
    """startsecs makes it RUNNING before /health answers: with no provider it must not be green then."""
    (tmp_path / ".nanobot").mkdir()
    (tmp_path / ".nanobot" / "config.json").write_text(json.dumps({"agents": {"defaults": {"model": "openai/x"}}}))
    rig = started(tmp_path, NANOBOT + 'startsecs = "2s"\n', probe=[False, False, True],
                  environ={"HOME": str(tmp_path), "PATH": "/usr/bin"})
    rig.advance(1)
    rig.run_background()  # the first probe fails: it is not listening yet
    rig.advance(1)
    status = rig.status()
    assert (status.state, status.health) == (State.RUNNING, Health.DEGRADED)
    assert not [s for s in rig.changes if s.state is State.RUNNING and s.health is not Health.DEGRADED]


def test_a_watcher_that_raises_never_stops_the_log_or_the_crash_report(tmp_path: Path) -> None:
    from tests.fakes import FakeLog
    from trayapp.supervisor.output import OutputWatch

    seen: list[str] = []

    def look(stream: str, line: str) -> None:
        if line == "bad":
            raise TypeError("a reason template that config check missed")
        seen.append(line)

    log = FakeLog()
    log.print(OutputWatch(log, look), "stdout", "before\nbad\nafter")
    assert seen == ["before", "after"]


def test_a_reason_template_error_shows_the_reason_as_written() -> None:
    from trayapp.supervisor.degraded import Pattern, Verdict

    assert Pattern.of(r"(?P<detail>x)", "odd {detail[0]}").verdict("x") == Verdict("odd x")  # str indexing works
    assert Pattern.of(r"(?P<detail>x)", "odd {detail.nope}").verdict("x") == Verdict("odd {detail.nope}")


def test_a_traceback_interleaved_with_the_other_streams_lines_is_still_found_whole(tmp_path: Path) -> None:
    """The two pumps are two threads: stdout's buffered line can land in the middle of stderr's traceback."""
    rig = started(tmp_path, BOT)
    sink = rig.spawner.logs[-1]
    rig.log.print(sink, "stderr", "Traceback (most recent call last):")
    rig.log.print(sink, "stdout", "INFO starting")
    rig.log.print(sink, "stderr", '  File "<string>", line 3, in connect\nValueError: bad token')
    rig.spawner.last.exit(1)
    rig.step()
    report = rig.status().last_crash
    assert report is not None and report.headline == "ValueError: bad token" and report.kind == "python traceback"
    assert "INFO starting" not in report.excerpt
