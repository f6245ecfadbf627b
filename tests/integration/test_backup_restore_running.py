"""Restore against a real running trayapp that manages a real child with a real health endpoint."""

from __future__ import annotations

from pathlib import Path

from tests.integration.running import Trayapp, child_command, free_port, wait_for


def test_restore_stops_restarts_and_health_checks_the_managed_assistant(tmp_path: Path, trayapps: list) -> None:
    data = tmp_path / "assistant-data"
    (data / "memory").mkdir(parents=True)
    (data / "memory" / "notes.md").write_text("remember the milk\n")
    port = free_port()
    config = (f"[programs.assistant]\ncommand = {child_command('serve', port)}\nstartsecs = \"0.5s\"\n"
              f"stop_timeout = \"2s\"\ndata_dirs = [\"{data}\"]\n"
              f"[programs.assistant.health]\nurl = \"http://127.0.0.1:{port}/health\"\ninterval = \"1s\"\n"
              f"start_grace = \"10s\"\n")
    t = Trayapp(tmp_path / "th", config, env={"HOME": str(tmp_path / "home")})
    trayapps.append(t.start())
    wait_for(lambda: t.program()["health"] == "healthy", 20, "the assistant to be healthy")
    first_pid = t.program()["pid"]

    made = t.cli("backup", "create")
    assert made.returncode == 0, made.stderr
    (data / "memory" / "notes.md").write_text("forgot everything\n")

    restored = t.cli("backup", "restore", "latest", "--yes", timeout=120)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert (data / "memory" / "notes.md").read_text() == "remember the milk\n"
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("assistant-data.before-restore-")]
    assert len(aside) == 1 and (aside[0] / "memory" / "notes.md").read_text() == "forgot everything\n"

    status = t.program()
    assert status["state"] == "running" and status["health"] == "healthy" and status["pid"] != first_pid
    events = [(e["event"], e.get("program")) for e in t.journal()]
    restore_at = events.index(("restore", None))
    assert ("stop", "assistant") in events[:restore_at] and ("start", "assistant") in events[:restore_at]
    entry = [e for e in t.journal() if e["event"] == "restore"][-1]
    assert entry["ok"] is True and entry["healthy"] is True
