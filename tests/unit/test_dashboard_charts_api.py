"""GET /api/metrics: points from the store (at most 720), marks from the journal, words for people."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from trayapp.config import Config, parse
from trayapp.dashboard import charts_api
from trayapp.dashboard.host import DashboardHost
from trayapp.dashboard.http import Request, Router
from trayapp.journal import Journal
from trayapp.metrics import SampleStore
from trayapp.status import State, Status

NOW = 1_800_000_000.0
CONFIG = """
[programs.assistant]
preset = "nanobot"

[programs.assistant.limits]
memory = "500MB"

[programs.other]
command = ["sleep", "1000"]
"""


@dataclass
class Host:
    config: Config
    journal: Journal
    samples: SampleStore
    running: list[Status] = field(default_factory=list)

    def statuses(self) -> list[Status]:
        return self.running


def make_host(tmp_path: Path) -> DashboardHost:
    clock = [NOW]
    journal = Journal(tmp_path / "journal.jsonl", wall=lambda: clock[0])
    for ago, kind in ((7200, "crash"), (1800, "crash"), (1790, "restart"), (1780, "start"), (600, "health")):
        clock[0] = NOW - ago
        journal.record(kind, "assistant", pid=1)
    clock[0] = NOW - 100
    journal.record("stop", "other", pid=2)
    store = SampleStore(tmp_path / "samples", clock=lambda: NOW)
    for i in range(0, 86400, 5):
        store.add("assistant", NOW - 86400 + i, 100_000_000 + (i % 600) * 10_000, float(i % 50))
    config = parse(CONFIG, environ={"HOME": str(tmp_path)})
    return cast(DashboardHost, Host(config, journal, store))


def get(host: DashboardHost, **query: str) -> dict[str, Any]:
    return charts_api.metrics(host, Request("GET", "/api/metrics", query), NOW)


def test_the_last_hour_of_one_program_with_its_marks_limit_and_words(tmp_path: Path) -> None:
    reply = get(make_host(tmp_path), program="assistant", span="3600")
    assert reply["program"] == "assistant" and reply["span"] == 3600
    assert len(reply["points"]) <= 720 and reply["points"][-1][0] <= NOW
    assert all(NOW - 3600 <= ts <= NOW for ts, _, _ in reply["points"])
    assert [m["kind"] for m in reply["marks"]] == ["crash", "restart", "start"]
    assert reply["marks"][0]["ts"] == NOW - 1800 and reply["marks"][0]["sentence"].startswith("nanobot (assistant)")
    assert reply["memory_limit"] == 500_000_000
    assert reply["summary"] == {"memory_words": "105MB now, 100MB–105MB", "cpu_words": "45 % now, peak 45 %"}


def test_the_day_is_downsampled_to_at_most_720_points(tmp_path: Path) -> None:
    reply = get(make_host(tmp_path), program="assistant", span="86400")
    assert 700 <= len(reply["points"]) <= 720
    assert [m["kind"] for m in reply["marks"]] == ["crash", "crash", "restart", "start"]


def test_without_a_program_every_program_is_in_one_reply(tmp_path: Path) -> None:
    reply = get(make_host(tmp_path))
    assert [p["program"] for p in reply["programs"]] == ["assistant", "other"]
    other = reply["programs"][1]
    assert other["points"] == [] and other["summary"] == {"memory_words": "", "cpu_words": ""}
    assert [m["kind"] for m in other["marks"]] == ["stop"] and other["memory_limit"] is None


def test_an_unknown_program_is_404_and_an_odd_span_is_400(tmp_path: Path) -> None:
    router = Router()
    charts_api.register(router, make_host(tmp_path))
    missing = router.dispatch(Request("GET", "/api/metrics", {"program": "nope"}))
    assert missing.status == 404 and b"no program named" in missing.body
    odd = router.dispatch(Request("GET", "/api/metrics", {"span": "77"}))
    assert odd.status == 400 and b"an hour" in odd.body


def test_a_running_program_whose_numbers_stayed_the_same_is_drawn_up_to_now(tmp_path: Path) -> None:
    host = make_host(tmp_path)
    cast(Host, host).running = [Status("other", "other", State.RUNNING, memory=2_000_000, cpu=0.0)]
    host.samples.add("other", NOW - 600, 2_000_000, 0.0)  # the one snapshot: nothing changed since
    reply = get(host, program="other")
    assert reply["points"] == [[NOW - 600, 2_000_000, 0.0], [NOW, 2_000_000, 0.0]]
    assert reply["summary"]["memory_words"] == "2MB now, steady"
    cast(Host, host).running = [Status("other", "other", State.STOPPED)]
    assert get(host, program="other")["points"] == [[NOW - 600, 2_000_000, 0.0]]
