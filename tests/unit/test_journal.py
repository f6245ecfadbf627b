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


def test_after_a_torn_tail_the_next_entry_starts_on_its_own_line(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    j = Journal(path)
    j.record("start", "a")
    with open(path, "a") as f:
        f.write('{"event": "exi')  # trayapp died mid-write: no newline after it
    j.record("start", "b")
    with open(path, "ab") as f:
        f.write(b"\x00\xff garbage")
    j.record("quit")
    assert [e.get("program", "-") for e in journal.read(path)] == ["a", "b", "-"]
    assert path.read_bytes().endswith(b"\n") and path.read_text(errors="replace").count("\n") == 5


def test_an_entry_glued_to_a_torn_line_by_an_older_trayapp_is_still_read(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    path.write_text('{"ts": "2026-01-01T00:00:00.000+00:00", "event": "exi'
                    '{"ts": "2026-01-01T00:00:01.000+00:00", "event": "start", "program": "b"}\n')
    assert [e["program"] for e in journal.read(path)] == ["b"]


def test_an_existing_journal_open_to_others_is_made_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    path.write_text("")
    path.chmod(0o644)
    Journal(path).record("start", "a")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_journal_that_is_a_link_is_neither_written_nor_read_through(tmp_path: Path, caplog) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text('{"ts": "x", "event": "planted"}\n')
    outside.chmod(0o644)
    path = tmp_path / "j.jsonl"
    path.symlink_to(outside)
    bus, seen = EventBus(), []
    bus.subscribe(Recorded, lambda e: seen.append(e.kind))
    j = Journal(path, bus, background=True)
    j.record("start", "a")
    assert j.flush()
    assert outside.read_text() == '{"ts": "x", "event": "planted"}\n'
    assert stat.S_IMODE(outside.stat().st_mode) == 0o644
    assert seen == ["start"]  # the event still reached the bus
    assert journal.read(path) == []
    assert [r.getMessage() for r in caplog.records] == [
        f"cannot write the journal {path}: it is a symbolic link, which trayapp does not follow: remove it; "
        "history is not being saved"]
