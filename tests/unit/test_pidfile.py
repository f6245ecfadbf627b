"""The record of our children: damaged or tampered entries are ignored, never acted on."""

from __future__ import annotations

import json
from pathlib import Path

from trayapp.supervisor.pidfile import ChildRecord, PidFile


def test_round_trip_and_remove_only_the_matching_pid(tmp_path: Path) -> None:
    pf = PidFile(tmp_path / "children.json")
    pf.put(ChildRecord("assistant", 123, 1700000000.5, ("nanobot", "gateway")))
    assert pf.load() == {"assistant": ChildRecord("assistant", 123, 1700000000.5, ("nanobot", "gateway"))}
    pf.remove("assistant", pid=999)
    assert "assistant" in pf.load()
    pf.remove("assistant", pid=123)
    assert pf.load() == {}


def test_entries_with_wrong_types_are_dropped(tmp_path: Path) -> None:
    path = tmp_path / "children.json"
    path.write_text(json.dumps({
        "good": {"program": "good", "pid": 42, "create_time": 1.5, "argv": ["x"], "left_running": True},
        "pid_as_text": {"program": "pid_as_text", "pid": "42", "create_time": 1.5, "argv": ["x"]},
        "no_time": {"program": "no_time", "pid": 43, "argv": ["x"]},
        "bool_pid": {"program": "bool_pid", "pid": True, "create_time": 1.0, "argv": ["x"]},
        "argv_text": {"program": "argv_text", "pid": 44, "create_time": 1.0, "argv": "x"},
    }))
    assert list(PidFile(path).load()) == ["good"]


def test_garbage_means_nothing_recorded(tmp_path: Path) -> None:
    for text in ("", "{", "[1, 2]", '"text"', "null"):
        (tmp_path / "c.json").write_text(text)
        assert PidFile(tmp_path / "c.json").load() == {}


def test_one_bad_record_never_costs_the_good_ones(tmp_path: Path) -> None:
    path = tmp_path / "children.json"
    good = {"program": "good", "pid": 42, "create_time": 1.5, "argv": ["x"], "run": "r1"}
    for bad in ("junk", None, [1, 2], 7, {"program": "big", "pid": 2**70, "create_time": 1.0, "argv": []}):
        path.write_text(json.dumps({"bad": bad, "good": good, "also": {**good, "program": "also", "pid": 43}}))
        loaded = PidFile(path).load()
        assert sorted(loaded) == ["also", "good"], bad
        assert loaded["good"] == ChildRecord("good", 42, 1.5, ("x",), run="r1")
