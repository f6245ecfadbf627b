"""limits.open_files, limits.processes and limits.disk: reading them, the disk budget's episodes,
measuring folders without following links, and the supervisor telling a crossing once."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.unit.supervisor_rig import make_rig
from trayapp import config
from trayapp.errors import ConfigError
from trayapp.supervisor.disklimit import DiskBudget, folder_size
from trayapp.supervisor.messages import Start
from trayapp.supervisor.rlimits import ChildLimits, main as rlimits_main, wrap

PROGRAM = '[programs.assistant]\ncommand = ["bot"]\n'


def limits(text: str) -> config.LimitsConfig:
    text = PROGRAM + 'data_dirs = ["/srv/bot"]\n[programs.assistant.limits]\n' + text
    return config.parse(text, environ={}).assistant.limits


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        config.parse(PROGRAM + text, environ={})
    return caught.value.problems


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX limits")
def test_open_files_processes_and_disk_are_read() -> None:
    got = limits('open_files = 256\nprocesses = 100\ndisk = "2GB"\ndisk_interval = "30m"\n')
    assert (got.open_files, got.processes, got.disk, got.disk_interval) == (256, 100, 2_000_000_000, 1800.0)
    assert limits("").disk_interval == 600.0 and limits("").open_files is None


@pytest.mark.parametrize(("text", "says"), [
    ("[programs.assistant.limits]\nopen_files = 3\n", "open_files: must be at least 16"),
    ('[programs.assistant.limits]\nprocesses = "many"\n', "processes: expected a whole number"),
    ('[programs.assistant.limits]\ndisk_interval = "1s"\n', "disk_interval: must be at least 10s"),
    ('[programs.assistant.limits]\ndisk = "1GB"\n', "limits.disk: there are no data_dirs to measure"),
])
def test_bad_limits_are_named(text: str, says: str) -> None:
    assert any(says in p for p in problems(text)), problems(text)


def test_windows_says_open_files_is_not_available(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    found = problems("[programs.assistant.limits]\nopen_files = 64\n")
    assert found == ["programs.assistant.limits.open_files: not available on Windows (it has no RLIMIT_NOFILE); "
                     "remove it"]


@pytest.mark.parametrize(("sizes", "told"), [
    ([10, 20, 30], [False, False, False]),            # never over
    ([200, 300, 400], [True, False, False]),          # one episode, told once
    ([200, 50, 200], [True, False, True]),            # back under, then over again: a new episode
    ([100, 101], [False, True]),                      # the limit itself is not over it
])
def test_the_disk_budget_tells_each_episode_once(sizes: list[int], told: list[bool]) -> None:
    budget, said = DiskBudget(100), []
    for size in sizes:
        budget, crossed = budget.observe(size)
        said.append(crossed)
    assert said == told


def test_folder_size_counts_files_below_and_never_follows_links(tmp_path: Path) -> None:
    (tmp_path / "data" / "deep").mkdir(parents=True)
    (tmp_path / "data" / "a").write_bytes(b"x" * 1000)
    (tmp_path / "data" / "deep" / "b").write_bytes(b"x" * 500)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "big").write_bytes(b"x" * 100_000)
    os.symlink(tmp_path / "outside", tmp_path / "data" / "link")
    assert folder_size([tmp_path / "data", tmp_path / "missing"]) == 1500


DISK = (PROGRAM + 'data_dirs = ["{data}"]\nstartsecs = "1s"\n'
        '[programs.assistant.limits]\ndisk = "1MB"\ndisk_interval = "10m"\n')


def test_a_folder_over_its_budget_is_journalled_once_per_episode(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    rig = make_rig(tmp_path, DISK.format(data=data))
    rig.sup.submit(Start())
    rig.step()
    (data / "big").write_bytes(b"x" * 1_200_000)
    for _ in range(3):  # three measurements, ten minutes apart, all over
        rig.advance(600)
        assert len(rig.background) == 1, "one measurement at a time, off the supervisor thread"
        rig.run_background()
        rig.step()
    told = [e for e in rig.entries if e["event"] == "limit"]
    assert len(told) == 1 and told[0]["kind"] == "disk" and told[0]["value"] == 1_200_000
    assert (data / "big").exists()


def test_no_data_dirs_measured_without_a_disk_limit(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, PROGRAM + 'startsecs = "1s"\n')
    rig.sup.submit(Start())
    rig.step()
    rig.advance(700)
    assert rig.background == []


def test_the_child_limits_become_arguments_of_the_limits_step() -> None:
    argv = wrap(["/usr/bin/bot", "serve"], ChildLimits(open_files=64, processes=None))
    assert argv[:2] == [sys.executable, "-I"] and argv[-5:] == ["--nofile", "64", "--", "/usr/bin/bot", "serve"]
    assert not ChildLimits() and ChildLimits(processes=5).args() == ["--nproc", "5"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX limits")
def test_a_limit_above_the_hard_limit_is_a_configuration_error(capsys: pytest.CaptureFixture[str]) -> None:
    import resource

    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        pytest.skip("no hard limit on open files here")
    assert rlimits_main(["--nofile", str(hard + 1), "--", "/bin/true"]) == 78
    assert f"lower limits.open_files to {hard} or less" in capsys.readouterr().err


def test_the_disk_crossing_is_said_in_words() -> None:
    from trayapp import journal
    from trayapp.notify import messages

    entry = {"event": "limit", "program": "assistant", "kind": "disk", "value": 1_200_000, "limit": 1_000_000,
             "action": "notify"}
    told = messages.limit("nanobot", entry)
    assert told.title == "nanobot's data folders are too big"
    assert "They hold 1.2MB (limit 1MB). Nothing was deleted" in told.body
    assert "data folders hold 1.2MB, over their limit of 1MB; nothing was deleted" in journal.describe(entry, {})


def test_an_alert_rule_fires_once_for_each_disk_episode() -> None:
    from tests.unit.test_alerts import Clock, engine, feed
    from trayapp.config.alerts import DiskOver, parse_condition

    assert parse_condition("disk over its limit") == DiskOver() == parse_condition("Disk over limit")
    clock = Clock(0)
    eng, journal, notes = engine("disk over limit", clock)
    crossing = {"program": "assistant", "event": "limit", "kind": "disk", "value": 1_200_000, "limit": 1_000_000,
                "action": "notify"}
    feed(eng, clock, [{"t": 100.0, "ts": "a", **crossing}, {"t": 200.0, "event": "start", "program": "assistant"}])
    assert [x["detail"] for x in journal.entries] == ["its data folders hold 1.2MB, over their limit of 1MB"]
    feed(eng, clock, [{"t": 9000.0, "ts": "b", **crossing}])  # a new episode, past the rule's repeat
    assert len(journal.entries) == 2 and len(notes.calls) == 2
