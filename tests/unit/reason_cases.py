"""The reasons the supervisor really gives, collected from its code paths on fakes (supervisor_rig):
a crash loop, a no-restart exit, a stop that ends in SIGKILL, a stop while waiting to restart, a
program that never gets healthy, one over its memory limit, a command that cannot be started (the
real spawner's error), a dependency that holds a program back, trayapp's own fault, nanobot running
but unable to answer (its output says so; its settings name no usable provider; a provider refuses
the key), and a program attached to its systemd unit whose owner does not answer, is not installed,
fails a command, or cannot be asked to stop.

The language tests render what comes out (statuses and journal entries) in zh_CN and under the
pseudo-locale, so a reason made without the translation layer shows up there as English.
`outside` stands for words from outside trayapp (a health probe's error, an OS error text): the
pseudo-locale test marks them, the zh_CN test gives them in Chinese, as the OS would."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

from tests.unit.supervisor_rig import Rig, make_rig
from tests.unit.test_attach import SYSTEMD, FakeSystemd, make as make_attached
from trayapp.procs import CommandResult
from trayapp.errors import SpawnError
from trayapp.message import Message
from trayapp.status import Health, State, Status
from trayapp.supervisor import deps, policy
from trayapp.supervisor.attach import AttachedProgram
from trayapp.supervisor.health import ProbeResult
from trayapp.supervisor.messages import Restart, Start, Stop
from trayapp.supervisor.resources import Sample
from trayapp.supervisor.program import Program
from trayapp.supervisor.spawn import PopenSpawner
from trayapp.supervisor.supervised import Supervised

Outside = Callable[[str], str]

BASIC = """
[programs.assistant]
command = ["nanobot", "gateway"]
startsecs = "2s"
stop_timeout = "10s"
max_restarts = 3
window = "1m"
retry_after_give_up = "10m"
[programs.assistant.backoff]
initial = "1s"
multiplier = 2
max = "60s"
jitter = 0
"""
HEALTH = BASIC + '[programs.assistant.health]\nurl = "http://127.0.0.1:9/health"\ninterval = "1s"\n' \
                 'failures = 1\nstart_grace = "0s"\n'
LIMITS = BASIC + '[programs.assistant.limits]\nmemory = "100MB"\nsamples = 1\ninterval = "1s"\n'
DEPENDS = """
[programs.models]
command = ["ollama", "serve"]
startsecs = "2s"
[programs.assistant]
command = ["nanobot", "gateway"]
depends_on = { models = "healthy" }
depends_timeout = "30s"
"""


@dataclass
class Collected:
    statuses: list[Status] = field(default_factory=list)
    entries: list[dict[str, Any]] = field(default_factory=list)

    def take(self, rig: Rig) -> None:
        self.statuses += [s for s in rig.changes if s.reason or s.health_detail]
        self.entries += rig.entries

    def reasons(self) -> list[Message | str]:
        return [s.reason for s in self.statuses if s.reason]


def collect(tmp_path: Path, outside: Outside) -> Collected:
    found = Collected()
    for n, scenario in enumerate((_crash_loop, _no_restart_exit, _stop_ends_in_sigkill, _stop_while_waiting,
                                  _never_healthy, _over_memory, _cannot_start, _held_by_a_dependency,
                                  _internal_error, _setup_incomplete, _no_provider_key, _key_rejected)):
        folder = tmp_path / f"case{n}"
        folder.mkdir()
        found.take(scenario(folder, outside))
    (tmp_path / "attached").mkdir()
    _attached(tmp_path / "attached", outside, found)
    return found


def _probe_says(program: Supervised, result: ProbeResult) -> None:
    """Every health probe of `program` answers `result` (words from outside: the probe's error)."""
    assert isinstance(program, (Program, AttachedProgram))
    program.ctx.probe = lambda cfg, cwd, env: result


def _started(tmp_path: Path, toml: str, **kwargs: Any) -> Rig:
    rig = make_rig(tmp_path, toml, **kwargs)
    rig.sup.submit(Start())
    rig.step()
    return rig


def _crash_loop(tmp_path: Path, outside: Outside) -> Rig:
    rig = _started(tmp_path, BASIC)
    while rig.status().state is not State.GIVEN_UP:
        rig.clock.advance(0.5)
        rig.spawner.last.exit(1)
        rig.step()
        retry_at = rig.status().retry_at
        if rig.status().state is State.BACKOFF and retry_at is not None:
            rig.advance(retry_at - rig.clock.time())
    return rig


def _no_restart_exit(tmp_path: Path, outside: Outside) -> Rig:
    rig = _started(tmp_path, BASIC)
    rig.spawner.last.exit(78)
    rig.step()
    return rig


def _stop_ends_in_sigkill(tmp_path: Path, outside: Outside) -> Rig:
    rig = _started(tmp_path, BASIC)
    rig.advance(3)
    rig.sup.submit(Stop())
    rig.step()
    rig.advance(10)  # past stop_timeout: the whole tree is killed
    rig.spawner.last.exit(-9)
    rig.step()
    return rig


def _stop_while_waiting(tmp_path: Path, outside: Outside) -> Rig:
    rig = _started(tmp_path, BASIC)
    rig.spawner.last.exit(1)
    rig.step()
    rig.sup.submit(Stop())
    rig.step()
    return rig


def _never_healthy(tmp_path: Path, outside: Outside) -> Rig:
    rig = make_rig(tmp_path, HEALTH)
    _probe_says(rig.sup.programs["assistant"], ProbeResult(False, outside("connection refused")))
    rig.sup.submit(Start())
    rig.step()
    for _ in range(40):
        rig.advance(1)
        rig.run_background()
        rig.step()
        if rig.status().state is State.STOPPING:
            rig.spawner.last.exit(0)
            rig.step()
        if rig.status().state is State.GIVEN_UP:
            break
    return rig


def _over_memory(tmp_path: Path, outside: Outside) -> Rig:
    rig = _started(tmp_path, LIMITS, samples=[Sample(rss=200_000_000, cpu=1, processes=1)] * 40)
    for _ in range(40):
        rig.advance(1)
        if rig.status().state is State.STOPPING:
            rig.spawner.last.exit(0)
            rig.step()
        if rig.status().state is State.GIVEN_UP:
            break
    return rig


def spawn_error(argv: list[str], cwd: Path | None = None) -> SpawnError:
    """The error the real spawner raises for `argv` (nothing is started: the command is missing)."""
    try:
        child = PopenSpawner().spawn(argv, env={"PATH": "/nonexistent"}, cwd=cwd, log=None, on_exit=lambda rc: None)
    except SpawnError as exc:
        return exc
    child.kill_tree()
    raise AssertionError(f"{argv} started")


def _cannot_start(tmp_path: Path, outside: Outside) -> Rig:
    rig = make_rig(tmp_path, BASIC)
    rig.spawner.fail_with = spawn_error(["nanobot-0"])
    rig.sup.submit(Start())
    rig.step()
    rig.spawner.fail_with = spawn_error(["nanobot"], cwd=tmp_path / "missing")
    rig.sup.submit(Start())
    rig.step()
    return rig


def _held_by_a_dependency(tmp_path: Path, outside: Outside) -> Rig:
    rig = make_rig(tmp_path, DEPENDS)
    for name in deps.order({n: p.cfg.depends_on for n, p in rig.sup.programs.items()}):
        rig.sup.submit(Start(name, by_user=False))
    rig.step()
    rig.advance(1)
    rig.sup.programs["models"].stop(rig.clock.monotonic())  # it never becomes ready: the wait times out
    rig.advance(31)
    return rig


def _attached(tmp_path: Path, outside: Outside, found: Collected) -> None:
    owner = FakeSystemd()
    rig = make_attached(tmp_path / "unit", SYSTEMD, owner=owner)
    _probe_says(rig.sup.programs["assistant"], ProbeResult(True, outside("ok")))
    owner.fail["show"] = CommandResult(1, "", outside("Failed to connect to bus"))
    rig.settle()
    found.statuses.append(rig.status)
    owner.fail["show"] = CommandResult(0, "LoadState=not-found\n")
    rig.advance(60)
    found.statuses.append(rig.status)
    del owner.fail["show"]
    rig.advance(60)
    owner.fail["restart"] = CommandResult(1, "", outside("Access denied"))
    rig.sup.submit(Restart())
    rig.settle()
    found.statuses.append(rig.status)
    found.entries += rig.entries
    url = make_attached(tmp_path / "url", '{ url = "http://127.0.0.1:9/health" }')
    _probe_says(url.sup.programs["assistant"], ProbeResult(True, outside("ok")))
    url.settle()
    url.sup.submit(Stop())
    url.settle()
    found.statuses.append(url.status)
    found.entries += url.entries


NANOBOT = '[programs.assistant]\npreset = "nanobot"\n'


def _answering_after(rig: Rig, line: str) -> Rig:
    """`line` printed by the running program, then its health check passes: DEGRADED, with why."""
    rig.log.print(rig.spawner.logs[-1], "stdout", line)
    rig.advance(1)
    rig.run_background()
    rig.step()
    assert rig.status().health is Health.DEGRADED, rig.status()
    return rig


def _setup_incomplete(tmp_path: Path, outside: Outside) -> Rig:
    return _answering_after(_started(tmp_path, NANOBOT), "Provider/model setup is incomplete: No provider")


def _key_rejected(tmp_path: Path, outside: Outside) -> Rig:
    return _answering_after(_started(tmp_path, NANOBOT), "openai.AuthenticationError: Error code: 401 - invalid api key")


def _no_provider_key(tmp_path: Path, outside: Outside) -> Rig:
    (tmp_path / ".nanobot").mkdir()
    (tmp_path / ".nanobot" / "config.json").write_text(json.dumps(
        {"agents": {"defaults": {"model": "anthropic/claude-opus-4-5"}}, "providers": {"anthropic": {"apiKey": ""}}}))
    rig = _started(tmp_path, NANOBOT, environ={"HOME": str(tmp_path), "PATH": "/usr/bin"})
    return _answering_after(rig, "gateway listening")


def _internal_error(tmp_path: Path, outside: Outside) -> Rig:
    rig = _started(tmp_path, BASIC)
    rig.advance(3)
    with mock.patch.object(policy, "decide", side_effect=OverflowError(outside("math range error"))):
        rig.spawner.last.exit(1)
        rig.step()
    return rig
