"""A real `trayapp run --headless`: config.toml edited while it runs, and programs that depend on
a slow model server (a fake ollama that answers only after 3 s)."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.integration.running import Trayapp, child_command, free_port, wait_for

pytestmark = pytest.mark.slow

SLOW_OLLAMA = str(Path(__file__).with_name("slow_ollama.py"))


def program(name: str, extra: str = "") -> str:
    return f'[programs.{name}]\ncommand = {child_command("sleep")}\nstartsecs = "0.5s"\nstop_timeout = "3s"\n{extra}\n'


def save(t: Trayapp, text: str) -> None:
    """As editors save: a whole new file in one step."""
    new = t.home / "config.toml.new"
    new.write_text(text)
    os.replace(new, t.home / "config.toml")


def pids(t: Trayapp) -> dict[str, Any]:
    return {p["program"]: p["pid"] for p in t.request("status")["programs"]}


def reloads(t: Trayapp, kind: str = "reload") -> list[dict[str, Any]]:
    return [e for e in t.journal() if e["event"] == kind]


def test_an_edit_restarts_exactly_the_changed_programs(tmp_path: Path, trayapps: list[Trayapp]) -> None:
    t = Trayapp(tmp_path / "h", program("keep") + program("change") + program("gone"))
    trayapps.append(t.start())
    for name in ("keep", "change", "gone"):
        t.wait_state("running", name)
    before = pids(t)
    save(t, program("keep") + program("change", 'env = { MODE = "new" }') + program("added"))
    entry = wait_for(lambda: reloads(t), 30, "the journal's reload entry")[0]
    assert entry["restarted"] == ["change"] and entry["added"] == ["added"] and entry["removed"] == ["gone"]
    t.wait_state("running", "added")
    changed = wait_for(lambda: (p := t.program("change"))["state"] == "running" and p["pid"] != before["change"]
                       and p, 30, "the changed program to run again")
    assert pids(t)["keep"] == before["keep"], "an unchanged program keeps its process"
    wait_for(lambda: "gone" not in pids(t), 30, "the removed program to leave the status")
    assert changed["pid"] not in (before["keep"], before["gone"])
    with pytest.raises(ProcessLookupError):
        os.kill(before["gone"], 0)
    assert "the configuration was reloaded: added added; removed gone; restarted change" in \
        t.paths.trayapp_log.read_text()


def test_a_broken_edit_keeps_the_old_config_running_and_is_reported(tmp_path: Path,
                                                                     trayapps: list[Trayapp]) -> None:
    t = Trayapp(tmp_path / "h", program("keep"))
    trayapps.append(t.start())
    pid = t.wait_state("running", "keep")["pid"]
    save(t, program("keep", 'restart = "sometimes"\nmax_restarts = -1'))
    failed = wait_for(lambda: reloads(t, "reload_failed"), 30, "the journal's reload_failed entry")[0]
    assert "programs.keep.restart" in failed["problems"][0]
    done = t.cli("reload")
    assert done.returncode == 2, done
    assert "programs.keep.restart: must be one of always, on-failure, never" in done.stderr
    assert "programs.keep.max_restarts" in done.stderr, "every problem is printed"
    assert t.program("keep")["pid"] == pid and t.program("keep")["state"] == "running"
    save(t, program("keep"))
    done = t.cli("reload", "--json")
    assert done.returncode == 0, done
    assert t.program("keep")["pid"] == pid


def ollama_first(port: int, assistant_extra: str = "") -> str:
    ollama = (f'[programs.ollama]\ncommand = ["{sys.executable}", "{SLOW_OLLAMA}", "{port}", "3"]\n'
              f'startsecs = "20s"\nstop_timeout = "3s"\nbackoff = {{ initial = "0.2s", jitter = 0 }}\n'
              f'health = {{ url = "http://127.0.0.1:{port}/api/version", interval = "0.5s", start_grace = "30s" }}\n')
    return ollama + program("assistant", 'depends_on = { ollama = "healthy" }\n' + assistant_extra)


def started_at(t: Trayapp, name: str) -> list[str]:
    return [e["ts"] for e in t.journal() if e["event"] == "start" and e.get("program") == name]


def test_the_assistant_starts_only_once_the_slow_ollama_answers(tmp_path: Path, trayapps: list[Trayapp]) -> None:
    t = Trayapp(tmp_path / "h", ollama_first(free_port(), "restart_with_dependencies = true"))
    trayapps.append(t.start())
    waiting = wait_for(lambda: (p := t.program())["reason"].startswith("waiting for ollama") and p, 30,
                       "the assistant to wait for ollama")
    assert waiting["state"] == "stopped"
    t.wait_state("running", timeout=40)
    healthy = [e["ts"] for e in t.journal() if e["event"] == "health" and e.get("status") == "healthy"]
    assert healthy and started_at(t, "assistant")[0] >= healthy[0], "started only after ollama answered"
    first = t.program()["pid"]
    os.kill(t.program("ollama")["pid"], signal.SIGKILL)  # ollama crashes: the assistant follows it
    wait_for(lambda: any(e["event"] == "depends" for e in t.journal()), 30, "the assistant to be stopped for it")
    again = wait_for(lambda: (p := t.program())["state"] == "running" and p["pid"] != first and p, 40,
                     "the assistant to start again after ollama")
    assert again["restarts"] == 0 and not [e for e in t.journal() if e["event"] == "crash"
                                           and e.get("program") == "assistant"], "it never crashed for ollama"
    assert len(started_at(t, "assistant")) == 2 and len(started_at(t, "ollama")) == 2
