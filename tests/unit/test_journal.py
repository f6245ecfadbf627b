"""The journal: append-only JSONL, published on the bus, tolerant of torn lines."""

from __future__ import annotations

import ast
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

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


def test_rotation_keeps_recent_history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
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
    exit_entry = {"event": "exit", "program": "nanobot", "code": 1, "signal": None, "text": "exit 1", "uptime": 7.642,
                  "last_stderr": "Error: boom", "expected": False}
    assert journal.describe(exit_entry) == "nanobot: crashed (exit 1) after 8s — last error: Error: boom"
    assert journal.describe({"event": "gave_up", "program": "x", "reason": "too many"}) == "x: gave up restarting it: too many"
    assert journal.describe({"event": "start", "program": "x"}) == "x: started"


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


# -- one human sentence per kind ---------------------------------------------------------------------

TRAYAPP = Path(journal.__file__).resolve().parent

# Realistic values for the fields trayapp records, including the ones that leaked as raw text before.
SAMPLES: dict[str, object] = {
    "pid": 4242, "code": 1, "signal": None, "text": "exit 1", "uptime": 7.642, "expected": False,
    "last_stderr": "2026-11-30 10:00:00 | INFO | websocket | WebSocket server listening on ws://127.0.0.1:8765/",
    "delay": 7.642, "failures": 3, "reason": "exit 1", "by": "user", "via": "systemctl --user restart nanobot.service",
    "restarts": 5, "window": 60.0, "last_exit": "exit 1", "retry_in": 600.0, "error": "nanobot was not found on PATH",
    "action": "restart", "ok": True, "status": "unhealthy", "detail": "GET /health answered 503",
    "kind": "memory", "value": 1_234_567_890, "limit": 1_000_000_000, "samples": 3,
    "owner": "systemd --user nanobot.service", "after_crash": True, "keeper": 5151, "level": "warn",
    "path": "/home/ann/.local/share/trayapp/backups/trayapp-2026-11-30.tar.gz", "free": 1_234_567_890,
    "total": 500_107_862_016, "started_at": 1796046439.8853025, "size": 52_428_800, "duration": 0.301,
    "files": 12, "databases": 1, "verified": True, "fix": "Free some space on the disk.", "deleted": ["old.tar.gz"],
    "kept": 5, "freed": 123_456_789, "dest": "/home/ann/backups", "archive": "/b/trayapp-1.tar.gz", "to": None,
    "moved_aside": {"/home/ann/.nanobot": "/home/ann/.nanobot.before-restore"}, "restored": ["nanobot"],
    "notes": ["nanobot was stopped for the restore"], "healthy": True, "rule": "crash-loop", "stop_programs": True,
}
UNKNOWN_FIELD = 3.14159265  # a field without a sample: a raw float that must not reach the sentence

RAW_FLOAT = re.compile(r"\d\.\d{3,}")
KEY_VALUE = re.compile(r"\b[a-z_]+=\S")


def _kinds_in(tree: ast.AST) -> Iterator[tuple[str, set[str], bool]]:
    """(kind, keyword fields, has **fields) for every `<journal>.record(kind, …)` call in one module."""
    for func in ast.walk(tree):
        if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        assigned = {t.id: node.value for node in ast.walk(func) if isinstance(node, ast.Assign)
                    for t in node.targets if isinstance(t, ast.Name)}
        for call in ast.walk(func):
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                    and call.func.attr == "record" and "journal" in ast.unparse(call.func.value) and call.args):
                continue
            first = call.args[0]
            source = assigned.get(first.id, first) if isinstance(first, ast.Name) else first
            names = [c.value for c in ast.walk(source) if isinstance(c, ast.Constant) and isinstance(c.value, str)]
            assert names, f"cannot tell the kind of {ast.unparse(call)}: record kinds as string literals"
            fields = {k.arg for k in call.keywords if k.arg}
            for name in names:
                yield name, fields, any(k.arg is None for k in call.keywords)


def recorded_kinds() -> dict[str, list[dict[str, object]]]:
    """Every journal entry kind trayapp records, with sample entries shaped like the real calls."""
    found: dict[str, list[dict[str, object]]] = {}
    for path in sorted(TRAYAPP.rglob("*.py")):
        for kind, fields, spread in _kinds_in(ast.parse(path.read_text(encoding="utf-8"))):
            entry: dict[str, object] = {"ts": "2026-11-30T10:00:00.000+00:00", "event": kind, "program": "assistant"}
            for field in (set(SAMPLES) if spread else set()) | fields:
                entry[field] = SAMPLES.get(field, UNKNOWN_FIELD)
            found.setdefault(kind, []).append(entry)
    return found


def variants(entry: dict[str, object]) -> Iterator[dict[str, object]]:
    """The entry, the entry with every yes/no flipped, and the entry with no program."""
    yield entry
    yield {k: (not v if isinstance(v, bool) else v) for k, v in entry.items()}
    yield {k: v for k, v in entry.items() if k != "program"}


def test_the_scan_finds_the_kinds_trayapp_records() -> None:
    kinds = recorded_kinds()
    assert {"start", "exit", "backoff", "backup", "quit", "spawn_failed", "owner_command"} <= set(kinds)


def test_every_recorded_kind_has_a_sentence() -> None:
    missing = sorted(set(recorded_kinds()) - journal.kinds())
    assert not missing, f"journal.describe has no sentence for: {missing}"


def test_no_sentence_shows_raw_floats_dicts_or_key_value_internals() -> None:
    for kind, entries in recorded_kinds().items():
        for entry in entries:
            for variant in variants(entry):
                line = journal.describe(variant, {"assistant": "nanobot"})
                assert not RAW_FLOAT.search(line), (kind, line)
                assert not KEY_VALUE.search(line), (kind, line)
                assert "{" not in line and "}" not in line, (kind, line)
                assert line.startswith("nanobot (assistant): ") == ("program" in variant), (kind, line)


def test_a_damaged_entry_still_gets_a_sentence() -> None:
    for kind in journal.kinds():
        for junk in ({}, {"delay": "soon", "pid": "x", "size": None, "deleted": 3}, {"uptime": {"a": 1}}):
            line = journal.describe({"event": kind, **junk})
            assert line and "{" not in line, (kind, line)


@pytest.mark.parametrize("entry, sentence", [
    ({"event": "backup", "started_at": 1796046439.8853025, "ok": True, "path": "/b/1.tar.gz", "size": 52_428_800,
      "duration": 0.301, "files": 12, "databases": 1, "verified": True},
     "backup saved to /b/1.tar.gz (52MB, 12 files, 1 database, verified) in under a second"),
    ({"event": "backup", "ok": False, "error": "the disk is full", "fix": "Free some space."},
     "backup failed: the disk is full — fix: free some space."),
    ({"event": "quit", "stop_programs": True}, "trayapp quit and stopped the programs"),
    ({"event": "quit", "stop_programs": False}, "trayapp quit and left the programs running"),
    ({"event": "backoff", "program": "assistant", "delay": 7.642, "failures": 1, "reason": "crashed (exit 1)"},
     "assistant: crashed (exit 1); restarting in 8s"),
    ({"event": "exit", "program": "assistant", "code": 0, "signal": None, "uptime": 3723.4, "expected": True,
      "last_stderr": "Error: ignored when asked to stop"}, "assistant: stopped (exit 0) after 1h 2m"),
    ({"event": "exit", "program": "assistant", "code": None, "signal": 9, "uptime": 0.2, "expected": False,
      "last_stderr": "\x1b[32mINFO\x1b[0m Stopped websocket channel"},
     "assistant: crashed (killed by SIGKILL) within a second"),
    ({"event": "limit", "kind": "memory", "value": 1_234_567_890, "limit": 1_000_000_000, "action": "restart"},
     "used 1.2GB of memory, over its limit of 1GB; restarting it"),
    ({"event": "health", "status": "degraded", "detail": "no usable model provider"},
     "running but cannot answer: no usable model provider"),
    ({"event": "crash", "program": "assistant", "exit": "exit 1", "headline": "ValueError: bad token",
      "known": True, "fix": "Put a valid key in the configuration."},
     "assistant: crash report (exit 1): ValueError: bad token — fix: put a valid key in the configuration."),
    ({"event": "prune", "ok": True, "deleted": ["a", "b"], "kept": 5, "freed": 123_456_789},
     "removed 2 old backups, freeing 123MB (5 kept)"),
    ({"event": "something_new", "detail": "from a newer trayapp"}, "something new: from a newer trayapp"),
])
def test_sentences_read_the_way_people_say_them(entry: dict[str, object], sentence: str) -> None:
    assert journal.describe(entry) == sentence


@pytest.mark.parametrize("key, display, label", [
    ("assistant", "nanobot", "nanobot (assistant)"), ("assistant", "the assistant", "the assistant"),
    ("nanobot", "nanobot", "nanobot"), ("nanobot", "", "nanobot"), ("ollama", "Ollama server", "Ollama server"),
])
def test_one_name_per_program(key: str, display: str, label: str) -> None:
    assert journal.program_label(key, display) == label
    assert journal.describe({"event": "start", "program": key, "pid": 7}, {key: display}) == f"{label}: started (pid 7)"


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
