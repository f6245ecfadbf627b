"""Fakes for unit tests of pure logic: a clock that only moves when told, children that exit on cue."""

from __future__ import annotations

import signal
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from pathlib import Path

from trayapp.config import HealthConfig
from trayapp.errors import SpawnError
from trayapp.supervisor.health import ProbeResult
from trayapp.supervisor.resources import Sample
from trayapp.supervisor.rlimits import ChildLimits
from trayapp.supervisor.spawn import NO_LIMITS


class FakeClock:
    def __init__(self, start: float = 1000.0, wall: float = 1_700_000_000.0) -> None:
        self.t = start
        self.wall0 = wall - start

    def monotonic(self) -> float:
        return self.t

    def time(self) -> float:
        return self.wall0 + self.t

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time can't go backwards")
        self.t += seconds


class FakeChild:
    def __init__(self, pid: int, on_exit: Callable[[int], None]) -> None:
        self.pid = pid
        self.create_time = float(pid)
        self.on_exit = on_exit
        self.signals: list[int] = []
        self.killed = False
        self.exited = False
        self.remembered = 0  # how often the supervisor asked it to note its descendants

    def signal(self, sig: int) -> None:
        self.signals.append(sig)

    def kill_tree(self) -> None:
        self.killed = True

    def remember_descendants(self) -> None:
        self.remembered += 1

    def output_fds(self) -> tuple[int, int] | None:
        return None

    def exit(self, returncode: int) -> None:
        """The child ends now: the waiter would report this returncode."""
        assert not self.exited, "a child exits once"
        self.exited = True
        self.on_exit(returncode)


class FakeSpawner:
    def __init__(self) -> None:
        self.children: list[FakeChild] = []
        self.fail_with: SpawnError | None = None
        self.argv: list[Sequence[str]] = []
        self.logs: list[object] = []  # the log sink each child was given
        self.limits: list[ChildLimits] = []  # the system limits each child was given

    def spawn(self, argv: Sequence[str], *, env: Mapping[str, str], cwd: Path | None, log, on_exit,
              limits: ChildLimits = NO_LIMITS) -> FakeChild:
        if self.fail_with is not None:
            raise self.fail_with
        self.argv.append(tuple(argv))
        self.limits.append(limits)
        self.logs.append(log)
        child = FakeChild(100 + len(self.children), on_exit)
        self.children.append(child)
        return child

    @property
    def last(self) -> FakeChild:
        return self.children[-1]


class ScriptedProbe:
    """Answers health probes from a list; the last answer repeats."""

    def __init__(self, answers: Sequence[bool] = (True,)) -> None:
        self.answers = list(answers)
        self.calls = 0

    def __call__(self, cfg: HealthConfig, cwd: Path | None, env: Mapping[str, str]) -> ProbeResult:
        ok = self.answers[min(self.calls, len(self.answers) - 1)]
        self.calls += 1
        return ProbeResult(ok, "ok" if ok else "connection refused")


class FakeSampler:
    def __init__(self, samples: list[Sample | None] | None = None) -> None:
        self.samples = samples or []

    def sample(self, pid: int) -> Sample | None:
        return self.samples.pop(0) if self.samples else Sample(rss=50_000_000, cpu=1.0, processes=1)


SIGTERM = int(signal.SIGTERM)


class _Lines:
    """Stands in for a pipe: FakeLog.pump reads its lines at once, on the caller's thread."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()


class FakeLog:
    """Stands in for a ProgramLog: lines a test says the program printed."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []

    def said(self, stream: str, text: str) -> None:
        self.lines.append((stream, text))

    def print(self, sink: Any, stream: str, text: str) -> None:
        """The program prints `text` through the sink its spawn was given, as the real pumps do."""
        sink.pump(stream, _Lines(text))
        self.lines.append((stream, text))

    def pump(self, stream: str, pipe: "_Lines", on_line=None) -> None:
        for line in pipe.lines:
            if on_line is not None:
                on_line(line)

    def write(self, stream: str, text: str) -> None:
        self.lines.append((stream, text))

    def last_line(self, stream: str = "stderr") -> str:
        return next((t for s, t in reversed(self.lines) if s == stream), "")

    def tail(self, n: int = 20, stream: str | None = None) -> list[str]:
        return [f"2026-01-01T00:00:00.000+00:00 {s} {t}" for s, t in self.lines if stream in (None, s)][-n:]
