"""GET /api/events: the journal in sentences, newest first, filtered, read from the file's end."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import pytest

from trayapp.config import Config, parse
from trayapp.dashboard import events_api, journal_tail
from trayapp.dashboard.host import DashboardHost
from trayapp.dashboard.http import Request, Router
from trayapp.journal import Journal

NOW = datetime(2026, 11, 30, 15, 0, 0).timestamp()
CONFIG = """
[programs.assistant]
preset = "nanobot"
display_name = "Nanobot"
"""


@dataclass
class Host:
    config: Config
    journal: Journal


def host_with(tmp_path: Path, entries: list[tuple[float, str, dict[str, Any]]]) -> DashboardHost:
    clock = [0.0]
    journal = Journal(tmp_path / "journal.jsonl", wall=lambda: clock[0])
    for ts, kind, fields in entries:
        clock[0] = ts
        journal.record(kind, **fields)
    return cast(DashboardHost, Host(parse(CONFIG, environ={"HOME": str(tmp_path)}), journal))


def get(host: DashboardHost, **query: str) -> dict[str, Any]:
    return events_api.events_page(host, Request("GET", "/api/events", query), NOW)


def test_events_are_newest_first_in_sentences_with_severity_and_time_words(tmp_path: Path) -> None:
    host = host_with(tmp_path, [
        (NOW - 86400, "start", {"program": "assistant", "pid": 7}),
        (NOW - 60, "crash", {"program": "assistant", "cause": "it ran out of memory"}),
        (NOW - 30, "backup", {"ok": True, "size": 1000, "path": "/b"}),
    ])
    page = get(host)
    assert [e["kind"] for e in page["events"]] == ["backup", "crash", "start"]
    crash = page["events"][1]
    assert crash["severity"] == "error" and crash["display_name"] == "Nanobot (assistant)"
    assert crash["time_words"] == "14:59:00" and crash["sentence"].startswith("Nanobot")
    assert page["events"][2]["time_words"] == "Nov 29 15:00"
    assert page["events"][2]["severity"] == "info"
    assert page["kinds"] == ["backup", "crash", "start"]
    assert page["programs"] == [{"program": "assistant", "display_name": "Nanobot (assistant)"}]


def test_filters_by_program_kind_limit_and_before(tmp_path: Path) -> None:
    host = host_with(tmp_path, [(NOW - 100 + i, "start" if i % 2 else "stop", {"program": "assistant"})
                                for i in range(50)] + [(NOW, "quit", {})])
    assert [e["kind"] for e in get(host, program="assistant", limit="3")["events"]] == ["start", "stop", "start"]
    starts = get(host, kind="start", before=str(NOW - 90))["events"]
    assert [e["ts"] for e in starts] == [NOW - 91, NOW - 93, NOW - 95, NOW - 97, NOW - 99]
    assert get(host, kind="quit")["events"][0]["program"] is None


def test_a_bad_before_is_a_plain_400(tmp_path: Path) -> None:
    router = Router()
    events_api.register(router, host_with(tmp_path, []))
    reply = router.dispatch(Request("GET", "/api/events", {"before": "yesterday"}))
    assert reply.status == 400 and b"before must be a time" in reply.body


def test_the_journal_is_read_backwards_across_blocks_and_its_rotated_file(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(journal_tail, "BLOCK", 100)  # many blocks, lines split across them
    path = tmp_path / "journal.jsonl"
    rotated = tmp_path / "journal.jsonl.1"
    rotated.write_text("".join(f'{{"ts": "2026-11-29T10:00:0{i}+00:00", "event": "old{i}"}}\n' for i in range(3)))
    path.write_text("".join(f'{{"ts": "2026-11-30T10:00:{i:02d}+00:00", "event": "e{i}", "pad": "{"x" * i}"}}\n'
                            for i in range(40)) + 'torn line{"ts": "2026-11-30T10:01:00+00:00", "event": "glued"}\n'
                    + '{"ts": "2026-11-30T10:0')
    for p in (path, rotated):
        p.chmod(0o600)
    kinds = [e["event"] for e in journal_tail.newest_first(path)]
    assert kinds == ["glued", *(f"e{i}" for i in reversed(range(40))), "old2", "old1", "old0"]


@pytest.mark.parametrize("entry, expected", [
    ({"event": "crash"}, "error"),
    ({"event": "exit", "expected": False}, "error"),
    ({"event": "exit", "expected": True}, "info"),
    ({"event": "health", "status": "degraded"}, "warning"),
    ({"event": "disk", "level": "critical"}, "error"),
    ({"event": "backup", "ok": False}, "error"),
    ({"event": "limit"}, "warning"),
    ({"event": "running"}, "info"),
])
def test_severity(entry: dict[str, Any], expected: str) -> None:
    assert events_api.severity(entry) == expected


def test_event_json_of_a_damaged_entry_still_has_every_field() -> None:
    shaped = events_api.event_json({"event": "exit", "ts": "not a time", "program": 5}, {}, NOW)
    assert shaped["ts"] is None and shaped["program"] is None and shaped["time_words"] == "at an unknown time"
    assert shaped["sentence"]
