"""The optional systemd scope: names, the wrapped command, finding and killing its cgroup."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from trayapp.supervisor import scope


def test_unit_names_are_what_systemd_accepts() -> None:
    assert scope.unit_name("assistant", "ab12") == "trayapp-assistant-ab12.scope"
    assert scope.unit_name("my bot/2", "ab12") == "trayapp-my_bot_2-ab12.scope"


def test_the_command_runs_inside_systemd_run_unchanged() -> None:
    wrapped = scope.wrap(["/usr/bin/nanobot", "gateway", "--flag"], "trayapp-a-1.scope")
    assert wrapped[:3] == ["systemd-run", "--user", "--scope"]
    assert "--unit=trayapp-a-1.scope" in wrapped
    assert wrapped[wrapped.index("--") + 1:] == ["/usr/bin/nanobot", "gateway", "--flag"]


@pytest.mark.parametrize("text, found", [
    ("0::/user.slice/user-1000.slice/user@1000.service/app.slice/trayapp-a-1.scope\n",
     "user.slice/user-1000.slice/user@1000.service/app.slice/trayapp-a-1.scope"),
    ("12:pids:/\n0::/user.slice/user-1000.slice/session-2.scope\n", None),  # not (yet) in our scope
    ("9:name=systemd:/trayapp-a-1.scope\n", None),  # cgroup v1 only: no scope to kill by folder
    ("", None),
])
def test_the_cgroup_is_taken_only_once_the_process_is_in_our_scope(text: str, found: str | None) -> None:
    expected = scope.CGROUP_ROOT / found if found else None
    assert scope.cgroup_in(text, "trayapp-a-1.scope") == expected


def test_kill_writes_cgroup_kill(tmp_path: Path) -> None:
    (tmp_path / "cgroup.kill").write_text("0")
    assert scope.kill_cgroup(tmp_path)
    assert (tmp_path / "cgroup.kill").read_text() == "1"


def test_an_empty_old_style_cgroup_kills_nothing_and_a_missing_one_says_so(tmp_path: Path) -> None:
    (tmp_path / "cgroup.kill").mkdir()  # cannot be written, as on kernels before 5.14
    (tmp_path / "cgroup.procs").write_text("")
    assert scope.kill_cgroup(tmp_path)
    assert not scope.kill_cgroup(tmp_path / "gone")


def test_available_only_with_a_user_manager_and_systemd_run(tmp_path: Path) -> None:
    runtime, bin_dir = tmp_path / "run", tmp_path / "bin"
    (runtime / "systemd").mkdir(parents=True)
    bin_dir.mkdir()
    tool = bin_dir / "systemd-run"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    env = {"XDG_RUNTIME_DIR": str(runtime), "PATH": str(bin_dir)}
    assert not scope.available(env), "no user manager socket"
    (runtime / "systemd" / "private").touch()
    assert scope.available(env) is (scope.sys.platform == "linux")
    assert not scope.available({**env, "PATH": str(tmp_path)}), "no systemd-run"
    assert not scope.available({"PATH": str(bin_dir)}), "no runtime folder"
