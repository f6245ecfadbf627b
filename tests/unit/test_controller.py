"""TrayController: one hop to the GUI thread per burst, always the latest snapshot, config order."""

from __future__ import annotations

import threading
from collections.abc import Callable

from trayapp.events import EventBus, StatusChanged
from trayapp.status import State, Status
from trayapp.tray.controller import TrayController
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


def snap(program: str = "assistant", state: State = State.RUNNING, pid: int = 1, **kw) -> Status:
    return Status(program=program, display_name=program, state=state, pid=pid, started_at=NOW - 60, **kw)


def make(order: tuple[str, ...] = ("assistant",), extras: Extras = Extras()):
    main, applied = FakeMainThread(), []
    controller = TrayController(applied.append, main, order=order, extras=lambda: extras, clock=lambda: NOW)
    return controller, main, applied


def test_a_burst_of_100_updates_is_one_flush_with_the_last_status() -> None:
    controller, main, applied = make()
    states = [State.STARTING, State.RUNNING, State.BACKOFF] * 33 + [State.GIVEN_UP]
    for i, state in enumerate(states):
        controller.on_status(StatusChanged(None, snap(state=state, pid=i, reason="gave up after 5 crashes in 2m (exit 1)")))
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
