"""macOS login item: the LaunchAgent plist key by key, and the exact launchctl argv, with a fake runner."""

from __future__ import annotations

import plistlib
from collections.abc import Sequence
from pathlib import Path

import pytest

from trayapp.autostart import plan as plan_mod
from trayapp.autostart.entry import LaunchCommand
from trayapp.autostart.launchd import LaunchdAutostart, parse_disabled, parse_pid, render_agent
from trayapp.procs import CommandResult

UID, LABEL = 501, "io.github.trayapp"
PROGRAM = "/Users/me/.local/pipx/venvs/trayapp/bin/trayapp"
PRINT_RUNNING = f"gui/{UID}/{LABEL} = {{\n\tactive count = 1\n\tstate = running\n\tpid = 4242\n}}\n"
PRINT_IDLE = f"gui/{UID}/{LABEL} = {{\n\tstate = not running\n}}\n"


class FakeLaunchctl:
    """Answers `print` / `print-disabled` from its fields and records every argv."""

    def __init__(self, loaded: str | None = None, disabled: str = "", fail: tuple[str, ...] = ()) -> None:
        self.loaded, self.disabled, self.fail = loaded, disabled, fail
        self.calls: list[tuple[str, ...]] = []

    def run(self, argv: Sequence[str]) -> CommandResult:
        self.calls.append(tuple(argv))
        verb = argv[1]
        if verb in self.fail:
            return CommandResult(5, "", "Bootstrap failed: 5: Input/output error")
        if verb == "print":
            return CommandResult(0, self.loaded) if self.loaded is not None else CommandResult(113, "", "not found")
        if verb == "print-disabled":
            return CommandResult(0, self.disabled)
        return CommandResult(0)


def _backend(tmp_path: Path, runner: FakeLaunchctl, own_pid: int = 1) -> LaunchdAutostart:
    command = LaunchCommand((PROGRAM, "run", "--autostart"))
    return LaunchdAutostart(command, home=tmp_path / "Users" / "me", log_dir=tmp_path / "logs", uid=UID,
                            runner=runner, own_pid=own_pid)


def test_plist_has_every_required_key_with_the_right_value(tmp_path: Path) -> None:
    home = Path("/Users/me")
    agent = plistlib.loads(render_agent(LaunchCommand((PROGRAM, "run", "--autostart")), home=home,
                                        log_dir=home / "Library" / "Logs" / "trayapp"))
    assert agent["Label"] == LABEL
    assert agent["ProgramArguments"] == [PROGRAM, "run", "--autostart"]
    assert agent["RunAtLoad"] is True
    assert agent["KeepAlive"] == {"SuccessfulExit": False}
    assert agent["ProcessType"] == "Interactive"
    assert agent["LimitLoadToSessionType"] == "Aqua"
    assert agent["StandardOutPath"] == "/Users/me/Library/Logs/trayapp/launchd.out.log"
    assert agent["StandardErrorPath"] == "/Users/me/Library/Logs/trayapp/launchd.err.log"
    path = agent["EnvironmentVariables"]["PATH"].split(":")
    assert path[:2] == ["/Users/me/.local/pipx/venvs/trayapp/bin", "/Users/me/.local/bin"]
    assert {"/opt/homebrew/bin", "/usr/local/bin", "/usr/bin", "/bin"} <= set(path)
    assert set(agent) == {"Label", "ProgramArguments", "RunAtLoad", "KeepAlive", "ProcessType",
                          "LimitLoadToSessionType", "StandardOutPath", "StandardErrorPath", "EnvironmentVariables"}


def test_trayapp_home_is_passed_through_the_environment() -> None:
    command = LaunchCommand((PROGRAM, "run"), {"TRAYAPP_HOME": "/Users/me/tray & co"})
    agent = plistlib.loads(render_agent(command, home=Path("/Users/me"), log_dir=Path("/l")))
    assert agent["EnvironmentVariables"]["TRAYAPP_HOME"] == "/Users/me/tray & co"


def test_enable_when_not_loaded_writes_0644_then_enables_and_bootstraps(tmp_path: Path) -> None:
    runner = FakeLaunchctl(loaded=None)
    backend = _backend(tmp_path, runner)
    plan = backend.plan_enable()
    assert runner.calls == [("/bin/launchctl", "print", f"gui/{UID}/{LABEL}")]
    runner.calls.clear()
    assert plan_mod.apply(plan, runner) == []
    plist = tmp_path / "Users" / "me" / "Library" / "LaunchAgents" / f"{LABEL}.plist"
    assert plist.stat().st_mode & 0o777 == 0o644
    assert plistlib.loads(plist.read_bytes())["Label"] == LABEL
    assert (tmp_path / "logs").is_dir()
    assert runner.calls == [("/bin/launchctl", "enable", f"gui/{UID}/{LABEL}"),
                            ("/bin/launchctl", "bootstrap", f"gui/{UID}", str(plist))]


def test_enable_when_already_loaded_does_not_bootstrap_again(tmp_path: Path) -> None:
    runner = FakeLaunchctl(loaded=PRINT_RUNNING)
    plan = _backend(tmp_path, runner).plan_enable()
    runs = [a.argv for a in plan.actions if isinstance(a, plan_mod.RunCommand)]
    assert runs == [("/bin/launchctl", "enable", f"gui/{UID}/{LABEL}")]
    assert plan.notes


def test_a_failing_bootstrap_is_a_warning_the_file_is_still_written(tmp_path: Path) -> None:
    runner = FakeLaunchctl(fail=("bootstrap",))
    backend = _backend(tmp_path, runner)
    warnings = plan_mod.apply(backend.plan_enable(), runner)
    assert len(warnings) == 1 and "Input/output error" in warnings[0]
    assert backend.path.exists()


def test_disable_boots_out_by_label_then_removes_the_file(tmp_path: Path) -> None:
    runner = FakeLaunchctl(loaded=None)
    backend = _backend(tmp_path, runner)
    plan_mod.apply(backend.plan_enable(), runner)
    runner.loaded, runner.calls = PRINT_IDLE, []
    plan_mod.apply(backend.plan_disable(), runner)
    assert runner.calls == [("/bin/launchctl", "print", f"gui/{UID}/{LABEL}"),
                            ("/bin/launchctl", "bootout", f"gui/{UID}/{LABEL}")]
    assert not backend.path.exists()
    assert not any("load" == c[1] or "unload" == c[1] for c in runner.calls)


def test_disable_from_the_tray_that_launchd_started_does_not_kill_itself(tmp_path: Path) -> None:
    runner = FakeLaunchctl(loaded=PRINT_RUNNING)
    backend = _backend(tmp_path, runner, own_pid=4242)
    backend.path.parent.mkdir(parents=True)
    backend.path.write_bytes(b"x")
    plan = backend.plan_disable()
    assert [type(a).__name__ for a in plan.actions] == ["RemoveFile"]
    assert plan.notes


def test_disable_when_nothing_is_there_does_nothing(tmp_path: Path) -> None:
    assert _backend(tmp_path, FakeLaunchctl()).plan_disable().actions == ()


def test_status_reports_file_loaded_and_a_disabled_override(tmp_path: Path) -> None:
    runner = FakeLaunchctl(loaded=None)
    backend = _backend(tmp_path, runner)
    assert backend.status().to_dict()["enabled"] is False
    plan_mod.apply(backend.plan_enable(), runner)
    runner.loaded = PRINT_IDLE
    state = backend.status()
    assert state.enabled and state.extra["loaded"] and state.command == (PROGRAM, "run", "--autostart")
    runner.disabled = f'disabled services = {{\n\t"{LABEL}" => disabled\n}}\n'
    assert not backend.status().enabled


@pytest.mark.parametrize(("text", "pid"), [(PRINT_RUNNING, 4242), (PRINT_IDLE, None), ("", None)])
def test_parse_pid(text: str, pid: int | None) -> None:
    assert parse_pid(text) == pid


@pytest.mark.parametrize(("line", "disabled"), [
    (f'\t"{LABEL}" => disabled', True), (f'\t"{LABEL}" => true', True),
    (f'\t"{LABEL}" => enabled', False), (f'\t"{LABEL}.other" => disabled', False),
])
def test_parse_disabled(line: str, disabled: bool) -> None:
    assert parse_disabled("disabled services = {\n" + line + "\n}\n") is disabled
