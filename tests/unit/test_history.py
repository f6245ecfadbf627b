"""Bounded restart history: counts per quarter hour, a small status however often it restarts, and
"restarts today" rebuilt from the journal when trayapp starts again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.unit.supervisor_rig import make_rig
from trayapp.journal import Journal
from trayapp.status import Status
from trayapp.supervisor import history
from trayapp.supervisor.messages import Start
from trayapp.tray.view import local_day_start

FOREVER = """
[programs.assistant]
command = ["bot", "serve"]
startsecs = "0s"
[programs.assistant.backoff]
initial = "0s"
"""


def test_counts_merge_per_bucket_and_forget_what_is_older_than_a_day() -> None:
    t0 = history.bucket_of(1_700_000_000.0) + 100  # 100 s into a quarter hour
    counts = history.counted(history.counted((), t0), t0 + 60)
    assert counts == ((t0 - 100, 2),)
    counts = history.counted(counts, t0 + 900)
    assert counts == ((t0 - 100, 2), (t0 + 800, 1))
    later = history.counted(counts, t0 + 86400 + 900)  # the first bucket is now more than a day old
    assert later == ((t0 + 800, 1), (t0 + 86400 + 800, 1))


def test_a_wall_clock_set_back_keeps_one_pair_per_bucket() -> None:
    t0 = history.bucket_of(1_700_000_000.0) + 100
    counts = history.counted(history.counted(history.counted((), t0), t0 - 3600), t0)
    assert counts == ((t0 - 3600 - 100, 1), (t0 - 100, 2))


@pytest.mark.slow  # about ten seconds of the supervisor's own work
def test_100000_restarts_keep_the_status_small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rig = make_rig(tmp_path, FOREVER)
    # 300,000 journal lines would only measure the disk; the journal is bounded on its own.
    monkeypatch.setattr(rig.sup.ctx.journal, "record", lambda event, program=None, **fields: {})
    rig.sup.submit(Start())
    rig.step()
    walls: list[float] = []
    for _ in range(100_000):
        rig.clock.advance(1.0)
        rig.spawner.last.exit(1)
        walls.append(rig.clock.time())
        rig.step()
        # The rig's own records would grow (the program's must not): keep only the live child.
        rig.entries.clear(), rig.changes.clear(), rig.log.lines.clear()
        del rig.spawner.children[:-1]
    status = rig.status()
    assert status.restarts == 100_000
    assert len(status.restart_counts) <= 97  # a day of quarter hours, plus the one in progress
    reply = json.dumps(status.to_dict())
    assert len(reply) < 4096, f"the status reply grew to {len(reply)} bytes"
    today = local_day_start(rig.clock.time())
    assert status.restarts_since(today) == sum(1 for w in walls if w >= today)
    assert Status.from_dict(json.loads(reply)).restart_counts == status.restart_counts


def test_restarts_today_survive_a_restart_of_trayapp(tmp_path: Path) -> None:
    now = 1_700_000_000.0 + 1000  # the rig's fake wall clock once it has advanced 1000 s
    midnight = local_day_start(now)
    when = iter([midnight - 120, midnight + 1, midnight + 2, midnight + 3, midnight + 4, midnight + 5, midnight + 6])
    journal = Journal(tmp_path / "journal.jsonl", wall=lambda: next(when))
    journal.record("backoff", "assistant", delay=1, failures=1, reason="crashed (exit 1)")  # yesterday
    journal.record("backoff", "assistant", delay=1, failures=1, reason="crashed (exit 1)")
    journal.record("backoff", "assistant", delay=2, failures=2, reason="crashed (exit 1)")
    journal.record("restart", "assistant", reason="health")
    journal.record("restart", "assistant", reason="user")  # the user's own restarts are not counted
    journal.record("backoff", "models", delay=1, failures=1, reason="crashed (exit 1)")
    journal.record("start", "assistant", pid=7)
    with open(tmp_path / "journal.jsonl", "a") as torn:
        torn.write('{"ts": "not a time", "event": "backoff", "program": "assistant"}\n{"ts": \n')
    rig = make_rig(tmp_path, FOREVER)
    rig.clock.advance(1000)
    status = rig.status()
    assert status.restarts == 0, "since trayapp started"
    assert status.restarts_since(midnight) == 3
    assert status.restarts_since(midnight - 900) == 4, "yesterday's last quarter hour is kept for the 24h view"
