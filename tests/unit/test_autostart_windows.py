"""Windows login item: the HKCU Run value and Task Manager's StartupApproved flag, with a fake registry."""

from __future__ import annotations

import pytest

from trayapp.autostart import plan as plan_mod
from trayapp.autostart.entry import LaunchCommand, resolve
from trayapp.procs import NoRunner
from trayapp.autostart.windows import (APPROVED_KEY, RUN_KEY, WindowsAutostart, approved, quote_arg,
                                       render_run_value)

GUI = r"C:\Users\Ann Lee\AppData\Local\Programs\trayapp\Scripts\trayapp-gui.exe"


class FakeRegistry:
    def __init__(self) -> None:
        self.values: dict[tuple[str, str], object] = {}

    def get(self, key: str, name: str) -> object | None:
        return self.values.get((key, name))

    def set_string(self, key: str, name: str, value: str) -> None:
        self.values[(key, name)] = value

    def delete(self, key: str, name: str) -> None:
        self.values.pop((key, name), None)


def _backend(registry: FakeRegistry) -> WindowsAutostart:
    return WindowsAutostart(LaunchCommand((GUI, "run", "--autostart")), registry)


def test_run_value_quotes_the_gui_program() -> None:
    assert render_run_value(LaunchCommand((GUI, "run", "--autostart"))) == f'"{GUI}" run --autostart'


@pytest.mark.parametrize(("arg", "quoted"), [
    ("run", "run"), ("a b", '"a b"'), ('say "hi"', '"say \\"hi\\""'),
    ("C:\\dir with space\\", '"C:\\dir with space\\\\"'), ("", '""'),
])
def test_argument_quoting_follows_the_windows_parser(arg: str, quoted: str) -> None:
    assert quote_arg(arg) == quoted


def test_enable_sets_the_run_value_and_status_reads_it() -> None:
    registry = FakeRegistry()
    backend = _backend(registry)
    plan_mod.apply(backend.plan_enable(), NoRunner(), registry)
    assert registry.values == {(RUN_KEY, "trayapp"): f'"{GUI}" run --autostart'}
    state = backend.status()
    assert state.enabled and state.path == rf"HKCU\{RUN_KEY}\trayapp"


def test_enable_twice_is_the_same_as_once() -> None:
    registry = FakeRegistry()
    for _ in range(2):
        plan_mod.apply(_backend(registry).plan_enable(), NoRunner(), registry)
    assert len(registry.values) == 1


def test_disable_leaves_no_value_and_repeating_it_does_nothing() -> None:
    registry = FakeRegistry()
    backend = _backend(registry)
    plan_mod.apply(backend.plan_enable(), NoRunner(), registry)
    plan_mod.apply(backend.plan_disable(), NoRunner(), registry)
    assert registry.values == {} and not backend.status().enabled
    assert backend.plan_disable().actions == ()


def test_disabled_in_task_manager_stays_disabled() -> None:
    registry = FakeRegistry()
    registry.values[(APPROVED_KEY, "trayapp")] = bytes([0x03]) + bytes(11)
    backend = _backend(registry)
    plan = backend.plan_enable()
    plan_mod.apply(plan, NoRunner(), registry)
    assert "Task Manager" in plan.notes[0]
    assert registry.values[(APPROVED_KEY, "trayapp")][0] == 0x03  # untouched
    state = backend.status()
    assert not state.enabled and state.extra["approved"] is False


@pytest.mark.parametrize(("data", "expected"), [
    (None, None), (b"", None), (bytes([0x02]) + bytes(11), True), (bytes([0x06]) + bytes(11), True),
    (bytes([0x03]) + bytes(11), False), (bytes([0x07]) + bytes(11), False),
])
def test_startup_approved_first_byte(data: bytes | None, expected: bool | None) -> None:
    assert approved(data) is expected


def test_entry_point_prefers_the_gui_script_never_a_console_python() -> None:
    exe = r"C:\venv\Scripts\python.exe"
    gui = resolve("windows", executable=exe, frozen=False, exists=lambda p: p.endswith("trayapp-gui.exe"),
                  environ={})
    assert gui.argv == (r"C:\venv\Scripts\trayapp-gui.exe", "run", "--autostart")
    fallback = resolve("windows", executable=exe, frozen=False, exists=lambda p: False, environ={})
    assert fallback.argv == (r"C:\venv\Scripts\pythonw.exe", "-m", "trayapp", "run", "--autostart")
    assert not any(a.lower().endswith("python.exe") for a in gui.argv + fallback.argv)
