"""Readiness: a passing health check or the ready line moves STARTING -> RUNNING at once; without
either, startsecs decides. Only a run that never became ready, or died within startsecs, counts
toward the crash loop. Fake clock, fake children; nothing sleeps."""

from __future__ import annotations

import io
import re
import threading
import typing
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.unit.supervisor_rig import Rig, make_rig
from trayapp import config as config_mod
from trayapp.errors import ConfigError
from trayapp.status import Health, State
from trayapp.supervisor.messages import Ready, Start
from trayapp.supervisor.readiness import ReadyLineWatch

BASIC = """
[programs.assistant]
command = ["bot", "serve"]
startsecs = "10s"
max_restarts = 2
window = "10m"
[programs.assistant.backoff]
initial = "1s"
multiplier = 1
jitter = 0
"""
HEALTH = '[programs.assistant.health]\nurl = "http://127.0.0.1:9/health"\ninterval = "5s"\nstart_grace = "60s"\n'
READY_LINE = BASIC.replace('startsecs = "10s"', 'startsecs = "10s"\nready_log_line = "listening on port \\\\d+"')


def started(tmp_path: Path, toml: str, **kw: typing.Any) -> Rig:
    rig = make_rig(tmp_path, toml, **kw)
    rig.sup.submit(Start())
    rig.step()
    return rig


def probe_once(rig: Rig, after: float) -> None:
    rig.advance(after)
    rig.run_background()
    rig.step()


def test_the_first_passing_health_check_makes_it_running_at_once(tmp_path: Path) -> None:
    rig = started(tmp_path, BASIC + HEALTH)
    probe_once(rig, 1)  # the first probe is due 1s after the start, long before startsecs
    status = rig.status()
    assert (status.state, status.health) == (State.RUNNING, Health.HEALTHY)
    assert rig.kinds() == ["start", "health", "running"]
    # Nobody ever saw "healthy" while "starting": both changed in one snapshot.
    assert not [s for s in rig.changes if s.health is Health.HEALTHY and s.state is State.STARTING]


def test_without_a_health_check_startsecs_decides(tmp_path: Path) -> None:
    rig = started(tmp_path, BASIC)
    rig.advance(9.9)
    assert rig.status().state is State.STARTING
    rig.advance(0.1)
    assert rig.status().state is State.RUNNING


def test_a_failing_health_check_leaves_it_starting_until_startsecs(tmp_path: Path) -> None:
    rig = started(tmp_path, BASIC + HEALTH, probe=[False])
    probe_once(rig, 1)
    assert rig.status().state is State.STARTING
    rig.advance(9)
    assert rig.status().state is State.RUNNING and rig.status().health is Health.UNKNOWN


def test_the_ready_line_makes_it_running_at_once(tmp_path: Path) -> None:
    rig = started(tmp_path, READY_LINE)
    rig.sup.submit(Ready("assistant", token=1))
    rig.step()
    assert rig.status().state is State.RUNNING
    assert rig.kinds() == ["start", "running"]


def test_a_ready_line_from_an_earlier_run_is_ignored(tmp_path: Path) -> None:
    rig = started(tmp_path, READY_LINE)
    rig.spawner.last.exit(1)
    rig.step()
    rig.advance(1)  # the restart: token 2
    rig.sup.submit(Ready("assistant", token=1))
    rig.step()
    assert rig.status().state is State.STARTING


class Inner:
    """A LogSink whose pump hands the lines of `pipe` to on_line at once (no thread needed)."""

    def __init__(self) -> None:
        self.written: list[tuple[str, str]] = []

    def pump(self, stream: str, pipe: typing.IO[bytes],
             on_line: Callable[[str], None] | None = None) -> threading.Thread:
        for line in pipe.read().decode().splitlines():
            self.written.append((stream, line))
            if on_line is not None:
                on_line(line)
        return threading.Thread()

    def write(self, stream: str, text: str) -> None:
        self.written.append((stream, text))

    def last_line(self, stream: str = "stderr") -> str:
        return next((t for s, t in reversed(self.written) if s == stream), "")

    def tail(self, n: int = 20, stream: str | None = None) -> list[str]:
        return [t for s, t in self.written if stream in (None, s)][-n:]


def test_the_watch_calls_once_for_the_first_matching_line_of_either_stream() -> None:
    inner, calls = Inner(), []
    watch = ReadyLineWatch(inner, re.compile(r"listening on port \d+"), lambda: calls.append(1))
    watch.write("trayapp", "listening on port 1 (trayapp's own note is not the program's output)")
    watch.pump("stdout", io.BytesIO(b"loading\nstill loading\n"))
    assert calls == []
    watch.pump("stderr", io.BytesIO(b"INFO listening on port 8080\nlistening on port 8080\n"))
    assert calls == [1]
    assert inner.last_line("stderr") == "listening on port 8080" and len(inner.tail(10)) == 5


def test_the_program_watches_its_log_only_when_a_ready_line_is_configured(tmp_path: Path) -> None:
    rig = started(tmp_path, READY_LINE)
    watch = rig.spawner.logs[-1]
    assert isinstance(watch, ReadyLineWatch)
    watch.saw("server listening on port 18790")
    rig.step()
    assert rig.status().state is State.RUNNING
    assert not isinstance(started(tmp_path / "plain", BASIC).spawner.logs[-1], ReadyLineWatch)


def test_ready_log_line_must_be_a_valid_regular_expression(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        config_mod.parse('[programs.assistant]\ncommand = ["bot"]\nready_log_line = "ready ("\n',
                         environ={"HOME": str(tmp_path)})
    assert "programs.assistant.ready_log_line" in str(caught.value)
    assert "not a valid regular expression" in str(caught.value)


def crash_after(rig: Rig, uptime: float) -> None:
    rig.advance(uptime)
    rig.spawner.last.exit(1)
    rig.step()


def test_crashes_after_it_became_ready_and_outlived_startsecs_are_not_a_crash_loop(tmp_path: Path) -> None:
    rig = started(tmp_path, BASIC + HEALTH)
    for _ in range(6):  # max_restarts = 2 within 10m: a crash loop would have given up by now
        probe_once(rig, 1)
        assert rig.status().state is State.RUNNING
        crash_after(rig, 11)
        assert rig.status().state is State.BACKOFF
        rig.advance(1)
    assert rig.status().restarts == 6


def test_crashes_of_a_run_that_never_became_ready_are_a_crash_loop(tmp_path: Path) -> None:
    rig = started(tmp_path, BASIC + HEALTH, probe=[False])
    for _ in range(3):
        crash_after(rig, 30)  # RUNNING after startsecs, but never healthy
        if rig.status().state is State.GIVEN_UP:
            break
        rig.advance(1)
    assert rig.status().state is State.GIVEN_UP
    assert str(rig.status().reason).startswith("gave up after 3 crashes in 10m")


def test_a_ready_run_that_dies_within_startsecs_still_counts(tmp_path: Path) -> None:
    rig = started(tmp_path, BASIC + HEALTH)
    for _ in range(3):
        probe_once(rig, 1)
        crash_after(rig, 2)  # healthy at 1s, dead at 3s: within startsecs
        if rig.status().state is State.GIVEN_UP:
            break
        rig.advance(1)
    assert rig.status().state is State.GIVEN_UP
