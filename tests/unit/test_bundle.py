"""The debug bundle: known secrets planted in the config, the assistant's config, the logs and the
journal; none of them may survive in the zip, and the zip is 0600."""

from __future__ import annotations

import json
import os
import stat
import zipfile
from pathlib import Path

import pytest

from trayapp.doctor.bundle import write_bundle
from trayapp.journal import Journal
from trayapp.paths import AppPaths

SECRETS = {
    "openai": "sk-proj-Zx81kQwErTyUiOpAsDfGhJkL0987",
    "bot_token": "7123456789:AAHkq-Secret-Telegram-Value",
    "url_password": "pa55w0rd-in-url",
    "openrouter": "sk-or-v1-0123456789abcdef0123456789abcdef",
    "channel_secret": "dingtalk-client-secret-value-42",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXZhbHVl",
    "github": "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    "password": "hunter2hunter2",
    "journal_token": "tok-journal-9f8e7d6c5b4a",
}


@pytest.fixture
def planted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppPaths:
    monkeypatch.setenv("HOME", str(tmp_path))
    paths = AppPaths.discover({"TRAYAPP_HOME": str(tmp_path / "trayapp")})
    paths.ensure()
    s = SECRETS
    paths.config_file.write_text(
        '[programs.assistant]\npreset = "nanobot"\n'
        f'env = {{ OPENAI_API_KEY = "{s["openai"]}", TELEGRAM_BOT_TOKEN = "{s["bot_token"]}" }}\n'
        f'[programs.assistant.health]\nurl = "http://ann:{s["url_password"]}@127.0.0.1:9/health"\n')
    nanobot = tmp_path / ".nanobot"
    nanobot.mkdir()
    (nanobot / "config.json").write_text(json.dumps({
        "providers": {"openrouter": {"apiKey": s["openrouter"], "apiBase": None}},
        "channels": {"dingtalk": {"enabled": True, "clientId": "ding-app", "clientSecret": s["channel_secret"]}},
        "gateway": {"host": "127.0.0.1", "port": 18790}}, indent=2))
    (paths.log_dir / "assistant.log").write_text(
        "2026-01-01T10:00:00 stdout starting gateway on 127.0.0.1:18790\n"
        f"2026-01-01T10:00:01 stderr Authorization: Bearer {s['jwt']}\n"
        f"2026-01-01T10:00:02 stdout cloning with {s['github']}\n"
        f"2026-01-01T10:00:03 stderr login failed, password: {s['password']}\n")
    (paths.log_dir / "trayapp.log").write_text(f"calling provider with key {s['openai']}\n")
    journal = Journal(paths.journal_file)
    journal.record("alert", "assistant", rule="x", ok=False, error=f"webhook said: token={s['journal_token']}")
    journal.flush()
    return paths


def read_all(zip_path: Path) -> dict[str, str]:
    with zipfile.ZipFile(zip_path) as zf:
        return {name: zf.read(name).decode("utf-8") for name in zf.namelist()}


def test_no_planted_secret_survives_and_the_zip_is_private(planted: AppPaths, tmp_path: Path) -> None:
    out = tmp_path / "out" / "bundle.zip"
    out.parent.mkdir()
    result = write_bundle(planted, out, lines=100)
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    members = read_all(out)
    for name, text in members.items():
        for label, secret in SECRETS.items():
            assert secret not in text, f"{label} leaked into {name}"
    assert {"doctor.json", "trayapp-config.toml", "assistant-config/config.json", "logs/assistant.log",
            "logs/trayapp.log", "journal.jsonl", "versions.json", "processes.json"} <= set(members)
    assert set(result.members) == set(members)
    # Redacted, not dropped: the useful parts are still there.
    assert "[REDACTED]" in members["trayapp-config.toml"] and "preset = \"nanobot\"" in members["trayapp-config.toml"]
    assistant_config = json.loads(members["assistant-config/config.json"])
    assert assistant_config["providers"]["openrouter"]["apiKey"] == "[REDACTED]"
    assert assistant_config["channels"]["dingtalk"]["clientId"] == "ding-app"
    assert "starting gateway on 127.0.0.1:18790" in members["logs/assistant.log"]
    assert json.loads(members["doctor.json"])["checks"]
    assert json.loads(members["versions.json"])["psutil"]


def test_bundle_tails_long_logs(planted: AppPaths, tmp_path: Path) -> None:
    (planted.log_dir / "assistant.log").write_text("".join(f"line {i}\n" for i in range(5000)))
    members = read_all(write_bundle(planted, tmp_path / "b.zip", lines=10).path)
    lines = members["logs/assistant.log"].strip().splitlines()
    assert lines == [f"line {i}" for i in range(4990, 5000)]


def test_failed_bundle_leaves_nothing_behind(planted: AppPaths, tmp_path: Path) -> None:
    def broken() -> dict:
        raise RuntimeError("doctor exploded")

    target = tmp_path / "never.zip"
    with pytest.raises(RuntimeError):
        write_bundle(planted, target, report=broken)
    assert not target.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".never.zip")]
