"""A supervisor wired to fakes: tests step it and move the clock by hand."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.fakes import FakeClock, FakeLog, FakeSampler, FakeSpawner, ScriptedProbe
from trayapp import config as config_mod
from trayapp.events import EventBus, Recorded, StatusChanged
from trayapp.journal import Journal
from trayapp.supervisor.program import Context, Program
from trayapp.status import Status
from trayapp.supervisor.supervisor import Supervisor


@dataclass
class Rig:
    sup: Supervisor
    clock: FakeClock
    spawner: FakeSpawner
    probe: ScriptedProbe
    sampler: FakeSampler
    entries: list[dict] = field(default_factory=list)
    changes: list[Status] = field(default_factory=list)
    background: list = field(default_factory=list)
    ports: dict = field(default_factory=dict)
    log: FakeLog = field(default_factory=FakeLog)

    def status(self, name: str = "assistant") -> Status:
        return self.sup.programs[name].status

    def step(self) -> float | None:
        deadline = self.sup.step()
        # The invariant that keeps the thread from spinning: whatever was due has been done.
        assert deadline is None or deadline > self.clock.monotonic(), (
            f"step() returned a deadline {self.clock.monotonic() - deadline:.3f}s in the past "
            f"({self.status().state})")
        return deadline

    def advance(self, seconds: float) -> float | None:
        self.clock.advance(seconds)
        return self.step()

    def run_background(self) -> None:
        """Run queued health probes (a worker thread's job in production)."""
        jobs, self.background[:] = list(self.background), []
        for job in jobs:
            job()

    def kinds(self) -> list[str]:
        return [e["event"] for e in self.entries]


def make_rig(tmp_path: Path, toml: str, *, probe: Sequence[bool] = (True,), samples=None, jitter_rand: float = 0.5,
             environ: dict[str, str] | None = None) -> Rig:
    cfg = config_mod.parse(toml, environ={"HOME": str(tmp_path)})
    clock, spawner = FakeClock(), FakeSpawner()
    bus = EventBus()
    journal = Journal(tmp_path / "journal.jsonl", bus, wall=clock.time)
    rig_probe, sampler = ScriptedProbe(probe), FakeSampler(samples)
    holder: dict = {}
    background: list = []
    ports: dict = {}
    fake_log = FakeLog()

    def publish(old, new):
        holder["sup"].remember(new)
        bus.publish(StatusChanged(old, new))

    ctx = Context(clock=clock, spawner=spawner, journal=journal, publish=publish,
                  post=lambda m: holder["sup"].submit(m), run_in_background=background.append,
                  probe=rig_probe, sampler=lambda: sampler,
                  listener_pid=lambda h, p: ports.get(p), port_open=lambda h, p: p in ports,
                  logs=lambda name: fake_log, environ=environ or {"PATH": "/usr/bin"}, rand=lambda: jitter_rand)
    sup = Supervisor([Program(p, ctx) for p in cfg.programs.values()], ctx)
    holder["sup"] = sup
    rig = Rig(sup, clock, spawner, rig_probe, sampler, background=background, ports=ports, log=fake_log)
    bus.subscribe(Recorded, lambda e: rig.entries.append(dict(e.entry)))
    bus.subscribe(StatusChanged, lambda e: rig.changes.append(e.new))
    return rig
