"""TrayController: one hop to the GUI thread per burst, always the latest snapshot, config order."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from trayapp.events import EventBus, StatusChanged
from trayapp.status import ExitInfo, State, Status
from trayapp.supervisor.policy import crash_loop
from trayapp.tray.controller import Part, TrayController
from trayapp.tray.view import Extras, IconKey, TrayView

NOW = 1_790_000_000.0


class FakeMainThread:
    """Stands in for GLib.idle_add / AppHelper.callAfter: queues calls until the test drains them."""

    def __init__(self) -> None:
        self.queued: list[Callable[[], None]] = []

    def __call__(self, fn: Callable[[], None]) -> None:
        self.queued.append(fn)

    def drain(self) -> int:
        ran = 0
        while self.queued:
            self.queued.pop(0)()
            ran += 1
        return ran


def snap(program: str = "assistant", state: State = State.RUNNING, pid: int = 1, **kw: Any) -> Status:
    kw.setdefault("started_at", NOW - 60)
    return Status(program=program, display_name=program, state=state, pid=pid, **kw)


class FakeTime:
    """Monotonic seconds the test moves on, and the timers due by then (threading.Timer's stand-in)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.timers: list[tuple[float, Callable[[], None]]] = []

    def call_later(self, delay: float, fn: Callable[[], None]) -> None:
        self.timers.append((self.now + delay, fn))

    def advance(self, seconds: float) -> None:
        self.now += seconds
        due = [t for t in self.timers if t[0] <= self.now]
        self.timers = [t for t in self.timers if t[0] > self.now]
        for _, fn in due:
            fn()


class Controller(TrayController):
    parts: list[frozenset[Part]]  # what each apply touched, in order


def make(order: tuple[str, ...] = ("assistant",), extras: Extras | Callable[[], Extras] = Extras(),
         fake_time: FakeTime | None = None) -> tuple[Controller, FakeMainThread, list[TrayView]]:
    main = FakeMainThread()
    applied: list[TrayView] = []
    parts: list[frozenset[Part]] = []
    clock = fake_time or FakeTime()
    if fake_time is None:  # tests about what is shown, not when: every flush is a second later
        def tick() -> float:
            clock.now += 1.0
            return clock.now
    else:
        def tick() -> float:
            return clock.now

    def apply(view: TrayView, changed: frozenset[Part]) -> None:
        applied.append(view)
        parts.append(changed)

    controller = Controller(apply, main, order=order, extras=extras if callable(extras) else lambda: extras,
                            clock=lambda: NOW, monotonic=tick, call_later=clock.call_later)
    controller.parts = parts
    return controller, main, applied


def test_a_burst_of_100_updates_is_one_flush_with_the_last_status() -> None:
    controller, main, applied = make()
    states = [State.STARTING, State.RUNNING, State.BACKOFF] * 33 + [State.GIVEN_UP]
    for i, state in enumerate(states):
        controller.on_status(StatusChanged(None, snap(state=state, pid=i, reason=crash_loop(5, 120, ExitInfo(code=1)))))
    assert len(main.queued) == 1
    assert main.drain() == 1
    assert len(applied) == 1
    assert applied[0].icon_key is IconKey.GIVEN_UP
    assert applied[0].tooltip == "assistant — gave up after 5 crashes in 2m (exit 1)"


def test_updates_after_a_flush_schedule_a_new_hop() -> None:
    controller, main, applied = make()
    controller.on_status(StatusChanged(None, snap(state=State.RUNNING)))
    main.drain()
    controller.on_status(StatusChanged(None, snap(state=State.STOPPED)))
    assert len(main.queued) == 1
    main.drain()
    assert [v.icon_key for v in applied] == [IconKey.RUNNING, IconKey.STOPPED]


def test_nothing_visible_changed_means_no_redraw() -> None:
    controller, main, applied = make()
    controller.on_status(StatusChanged(None, snap(memory=10_000_000)))
    main.drain()
    controller.on_status(StatusChanged(None, snap(memory=12_000_000)))  # a resource sample
    main.drain()
    assert len(applied) == 1


def test_programs_keep_config_order_whatever_order_updates_come_in() -> None:
    controller, main, applied = make(order=("assistant", "ollama"))
    controller.on_status(StatusChanged(None, snap("ollama", State.STOPPED)))
    controller.on_status(StatusChanged(None, snap("assistant")))
    main.drain()
    assert [p.program for p in applied[-1].programs] == ["assistant", "ollama"]
    assert applied[-1].icon_key is IconKey.STOPPED  # the worst of the two


def test_seed_does_not_overwrite_newer_snapshots() -> None:
    controller, main, applied = make()
    controller.on_status(StatusChanged(None, snap(state=State.GIVEN_UP)))
    controller.seed([snap(state=State.RUNNING)])
    main.drain()
    assert applied[-1].icon_key is IconKey.GIVEN_UP


def test_flush_applies_extras() -> None:
    controller, main, applied = make(extras=Extras(on_quit="leave"))
    controller.seed([snap()])
    main.drain()
    assert applied[-1].menu[-1].label == "Quit (leaves the assistant running)"


def test_a_backup_progress_stream_republishes_the_menu_at_most_once_a_second() -> None:
    """13 progress lines a second for 3 seconds (the issue's backup): 4 menus, the last one current."""
    fake = FakeTime()
    progress = ["Back up now"]
    controller, main, applied = make(extras=lambda: Extras(backup=True, backup_progress=progress[0]), fake_time=fake)
    controller.seed([snap()])
    main.drain()
    for i in range(39):
        progress[0] = f"Backing up: {i * 2}% of 1.2 GB"
        controller.refresh()
        main.drain()
        fake.advance(1 / 13)
        main.drain()
    fake.advance(1.0)  # the trailing update
    main.drain()
    menus = sum(Part.MENU in p for p in controller.parts)
    assert menus <= 1 + 4  # the first view, then at most one per second of the 3 s
    assert applied[-1].menu[next(i for i, e in enumerate(applied[-1].menu) if e.label.startswith("Backing"))].label \
        == "Backing up: 76% of 1.2 GB"


def test_a_change_inside_the_second_is_applied_at_its_end_not_dropped() -> None:
    fake = FakeTime()
    controller, main, applied = make(fake_time=fake)
    controller.on_status(StatusChanged(None, snap(state=State.RUNNING)))
    main.drain()
    fake.advance(0.2)
    controller.on_status(StatusChanged(None, snap(state=State.STOPPED)))
    main.drain()
    assert [v.icon_key for v in applied] == [IconKey.RUNNING]  # too soon: held back...
    assert [round(due - fake.now, 3) for due, _ in fake.timers] == [0.8]
    fake.advance(0.8)
    main.drain()
    assert [v.icon_key for v in applied] == [IconKey.RUNNING, IconKey.STOPPED]  # ...and shown at the second


def test_only_the_parts_that_changed_are_touched() -> None:
    controller, main, applied = make()
    controller.on_status(StatusChanged(None, snap(state=State.RUNNING)))
    main.drain()
    controller.on_status(StatusChanged(None, snap(state=State.RUNNING, started_at=NOW - 7200)))  # uptime only
    main.drain()
    assert controller.parts == [frozenset(Part), frozenset({Part.TOOLTIP, Part.MENU})]


def test_many_publishing_threads_still_end_in_the_latest_state() -> None:
    bus = EventBus()
    controller, main, applied = make(order=tuple(f"p{i}" for i in range(8)))
    bus.subscribe(StatusChanged, controller.on_status)

    def publish(name: str) -> None:
        for pid in range(200):
            bus.publish(StatusChanged(None, snap(name, State.RUNNING if pid < 199 else State.STOPPED, pid)))

    threads = [threading.Thread(target=publish, args=(f"p{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(main.queued) == 1  # 1,600 updates from 8 threads, one hop...
    main.drain()
    final: TrayView = applied[-1]
    assert [p.icon_key for p in final.programs] == [IconKey.STOPPED] * 8  # ...and the last state wins
    assert len(main.queued) == 0


def test_a_program_removed_by_a_reload_leaves_the_menu() -> None:
    from trayapp.events import ProgramRemoved

    controller, main, applied = make(order=("assistant", "ollama"))
    controller.on_status(StatusChanged(None, snap("assistant")))
    controller.on_status(StatusChanged(None, snap("ollama", pid=2)))
    main.drain()
    controller.on_removed(ProgramRemoved("ollama"))
    main.drain()
    assert [s.program for s in controller.statuses()] == ["assistant"]
    assert not any("ollama" in e.label for e in applied[-1].menu)
