"""The alert rules' and the backup engine's words, recorded by the real code into the journal (English
JSON with its Messages beside it) and told by `trayapp history` and the notifications in Chinese."""

from __future__ import annotations

from pathlib import Path


from tests.unit.test_backup_jobs import Setup, setup  # noqa: F401 (a fixture)
from tests.unit.test_reasons_zh import english_left
from trayapp import journal as journal_mod
from trayapp.alerts.rules import evaluate
from trayapp.backup.jobs import BackupJobs
from trayapp.config.alerts import parse_condition
from trayapp.journal import Journal
from trayapp.notify import messages

NOW = 10_000.0


def _chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_an_alert_is_journaled_in_english_and_told_in_chinese(zh: None, tmp_path: Path) -> None:
    crashes = [entry for t in (9500, 9700) for entry in (
        {"t": t, "event": "exit", "program": "assistant", "code": 1, "uptime": 1.0, "expected": False},
        {"t": t, "event": "backoff", "program": "assistant", "delay": 1.0, "failures": 1},
        {"t": t + 1, "event": "start", "program": "assistant", "pid": 1})]
    match = evaluate(parse_condition("crashes >= 2 in 10m"), crashes, NOW, "assistant")
    assert match is not None
    journal = Journal(tmp_path / "journal.jsonl")
    journal.record("alert", program="assistant", rule="crash loop", action="notify", ok=True, detail=match.detail)
    journal.flush()
    [entry] = journal_mod.read(tmp_path / "journal.jsonl")
    assert not _chinese(entry["detail"]) and entry["detail_message"]["message"]
    told = journal_mod.describe(entry)
    assert _chinese(told.split("：", 1)[1]) and english_left(told.replace("crash loop", "")) == [], told


def test_a_failed_verify_is_told_in_chinese(zh: None, setup: Setup, tmp_path: Path) -> None:  # noqa: F811
    cfg, paths, journal = setup
    junk = tmp_path / "trayapp-backup-20261130T000000Z.tar.gz"
    junk.write_bytes(b"not an archive at all")
    BackupJobs(cfg, paths, journal)._verify(junk)
    journal.flush()
    [entry] = [e for e in journal_mod.read(paths.journal_file) if e["event"] == "verify"]
    assert entry["ok"] is False and not any(_chinese(p) for p in entry["problems"])
    told = journal_mod.describe(entry)
    assert "归档已损坏或不完整" in told and english_left(told.replace("not a gzip file", "")) == [], told  # gzip's own words stay


def test_a_failed_backup_notification_says_its_error_in_chinese(zh: None, setup: Setup, tmp_path: Path) -> None:  # noqa: F811
    cfg, paths, journal = setup
    (tmp_path / "backups").write_text("a file where the backup folder should be")
    jobs = BackupJobs(cfg, paths, journal)
    jobs._backup(scheduled=False)
    journal.flush()
    [entry] = [e for e in journal_mod.read(paths.journal_file) if e["event"] == "backup"]
    assert entry["ok"] is False and entry["error"] and not _chinese(entry["error"])
    note = messages.backup(entry)
    assert english_left(note.body) == [] and _chinese(note.body), note
    told = journal_mod.describe(entry)
    assert english_left(told) == [], told
