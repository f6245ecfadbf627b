"""The journal: append-only JSONL, published on the bus, tolerant of torn lines."""

from __future__ import annotations

import stat
from pathlib import Path

from trayapp import journal
from trayapp.events import EventBus, Recorded
from trayapp.journal import Journal


def test_record_appends_and_publishes(tmp_path: Path) -> None:
    bus, seen = EventBus(), []
    bus.subscribe(Recorded, lambda e: seen.append(e.kind))
    j = Journal(tmp_path / "j.jsonl", bus, wall=lambda: 1_700_000_000.0)
    j.record("start", "assistant", pid=12)
    j.record("exit", "assistant", code=1, text="exit 1")
    assert j.flush()
    entries = journal.read(tmp_path / "j.jsonl")
    assert [e["event"] for e in entries] == ["start", "exit"] == seen
    assert entries[0]["pid"] == 12 and entries[0]["ts"].startswith("2023-11-1")
    assert stat.S_IMODE((tmp_path / "j.jsonl").stat().st_mode) == 0o600


def test_read_skips_torn_lines_and_filters(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    j = Journal(path)
    j.record("start", "a")
    j.flush()
    with open(path, "a") as f:
        f.write('{"event": "exi')  # a crash mid-write
        f.write("\n")
    j.record("start", "b")
    j.record("quit")
    j.flush()
    assert [e.get("program") for e in journal.read(path)] == ["a", "b", None]
    assert [e.get("program") for e in journal.read(path, program="b")] == ["b", None]
    assert len(journal.read(path, last=1)) == 1


def test_rotation_keeps_recent_history(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(journal, "MAX_BYTES", 200)
    path = tmp_path / "j.jsonl"
    j = Journal(path)
    for i in range(20):
        j.record("start", "a", n=i)
        j.flush()
    entries = journal.read(path)
    assert entries[-1]["n"] == 19 and (tmp_path / "j.jsonl.1").exists()
    assert path.stat().st_size < 400


def test_describe_is_plain() -> None:
    exit_entry = {"event": "exit", "program": "nanobot", "text": "exit 1", "last_stderr": "boom"}
    assert journal.describe(exit_entry) == "nanobot: exit 1 — boom"
    assert journal.describe({"event": "gave_up", "program": "x", "reason": "too many"}) == "x: too many"
    assert journal.describe({"event": "backup", "ok": True, "path": "/b/1.tar.gz"}) == "backup: ok=True, path=/b/1.tar.gz"
    assert journal.describe({"event": "start", "program": "x"}) == "x: start"


def test_in_the_background_record_never_waits_and_flush_makes_it_durable(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    j = Journal(path, background=True)
    for i in range(50):
        j.record("start", "a", n=i)
    assert j.flush()
    assert [e["n"] for e in journal.read(path)] == list(range(50))


def test_follow_subscribes_both_handlers_and_unfollow_removes_them() -> None:
    from trayapp.events import StatusChanged
    from trayapp.status import Status

    class Listener:
        def __init__(self) -> None:
            self.seen: list[str] = []

        def on_recorded(self, event: Recorded) -> None:
            self.seen.append(event.kind)

        def on_status(self, event: StatusChanged) -> None:
            self.seen.append(event.new.program)

    bus, listener = EventBus(), Listener()
    unfollow = bus.follow(listener)
    bus.publish(Recorded({"event": "start"}))
    bus.publish(StatusChanged(None, Status(program="p", display_name="p")))
    unfollow()
    bus.publish(Recorded({"event": "exit"}))
    assert listener.seen == ["start", "p"]
