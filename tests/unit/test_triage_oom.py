"""The kernel's record of OOM kills, read from cgroup v1 and v2 layouts built in a temp folder."""

from __future__ import annotations

from pathlib import Path

from trayapp.status import ExitInfo
from trayapp.triage.oom import oom_kills
from trayapp.triage.report import build


def test_cgroup_v2_memory_events(tmp_path: Path) -> None:
    (tmp_path / "proc").write_text("0::/user.slice/app-42.scope\n")
    events = tmp_path / "cg" / "user.slice" / "app-42.scope"
    events.mkdir(parents=True)
    (events / "memory.events").write_text("low 0\nhigh 0\nmax 3\noom 2\noom_kill 2\n")
    assert oom_kills(tmp_path / "proc", tmp_path / "cg") == 2


def test_cgroup_v1_memory_oom_control(tmp_path: Path) -> None:
    (tmp_path / "proc").write_text("9:name=systemd:/\n4:memory:/process_api/abc\n0::/\n")
    control = tmp_path / "cg" / "memory" / "process_api" / "abc"
    control.mkdir(parents=True)
    (control / "memory.oom_control").write_text("oom_kill_disable 0\nunder_oom 0\noom_kill 7\n")
    assert oom_kills(tmp_path / "proc", tmp_path / "cg") == 7


def test_no_record_is_none(tmp_path: Path) -> None:
    assert oom_kills(tmp_path / "missing", tmp_path) is None
    (tmp_path / "proc").write_text("0::/\n")
    assert oom_kills(tmp_path / "proc", tmp_path / "cg") is None


def test_this_machine_has_a_record_or_says_none() -> None:
    found = oom_kills()
    assert found is None or found >= 0


def test_a_sigkill_with_the_kernels_record_is_out_of_memory_even_without_a_limit() -> None:
    report = build(["working"], ExitInfo(signal=9), program="nanobot", when=1.0, oom_recorded=True)
    assert report.known and "out-of-memory killer" in str(report.cause)
    quiet = build(["working"], ExitInfo(signal=9), program="nanobot", when=1.0)
    assert not quiet.known
