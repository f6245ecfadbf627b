"""The pseudo-locale test (see test_i18n_pseudo.py) for the engine's words: alert reasons and action
failures, the backup engine and `trayapp backup`, autostart, export, the disk watch and argparse's
own usage and errors. Any word outside ⟦…⟧ bypassed the translation layer."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.unit import pseudo_engine_cases as cases
from trayapp.message import Message, words
from tests.unit.test_i18n_pseudo import OPEN, _run_cli, marked, pseudo, pseudo_catalog, unmarked  # noqa: F401

# Shell commands a dry run lists, and registry keys (HKCU\Software\...): names, not sentences.
_COMMANDS = re.compile(r"^(?:mkdir -p|rm -f|rmdir)\b|\bHKCU(?=\\)")


def _bare(texts: Sequence[Message | str]) -> list[str]:
    """The texts with words outside the markers. A Message is checked as shown and each of its text
    values on its own: inside a translated sentence an English one would pass unseen."""
    return [t for t in _pieces(texts) if unmarked(_COMMANDS.sub(" ", t))]


def _pieces(texts: Sequence[Message | str]) -> list[str]:
    out: list[str] = []
    for text in texts:
        if isinstance(text, Message):
            out.append(text.words())
            out += _pieces([v for v in text.values.values() if isinstance(v, (Message, str))])
        else:
            out.append(text)
    return out


# -- alerts ------------------------------------------------------------------------------------------

def test_every_alert_rule_reason() -> None:
    details = cases.alert_details(marked)
    assert len(details) == 10 and all(OPEN in words(d) for d in details)
    assert _bare(details) == []


def test_an_alert_notification_and_its_journalled_failure() -> None:
    said = cases.alert_engine_words(marked)
    assert len(said) == 4 and _bare(said) == []


def test_every_alert_action_failure() -> None:
    errors = cases.alert_action_errors(marked)
    assert len(errors) == 7 and _bare(errors) == []


# -- the backup engine -------------------------------------------------------------------------------

@pytest.fixture
def good_archive(tmp_path: Path) -> Path:
    from trayapp.backup import service

    config, paths = cases._context(cases.backup_home(tmp_path, marked))
    result = service.run_backup(config, paths)
    assert result.ok and result.path is not None
    return result.path


def test_backup_notes_refusals_and_errors(tmp_path: Path) -> None:
    said = cases.backup_results(tmp_path, marked) + cases.nothing_to_back_up(tmp_path)
    assert len(said) >= 12 and _bare(said) == []


def test_every_verify_problem(tmp_path: Path, good_archive: Path) -> None:
    problems = cases.verify_problems(tmp_path, good_archive, marked) + cases.manifest_errors(marked)
    assert len(problems) >= 20 and _bare(problems) == []


def test_restore_plans_refusals_and_results(tmp_path: Path, good_archive: Path) -> None:
    cases.tampered_archive(good_archive, tmp_path / "t1.tar.gz")
    said = cases.restore_words(tmp_path, good_archive, marked) + cases.other_machine(tmp_path, good_archive)
    assert len(said) >= 15 and _bare(said) == []


def test_backup_jobs_lock_disk_and_schedule(tmp_path: Path) -> None:
    cases.backup_home(tmp_path, marked)
    said = (cases.job_words(tmp_path, marked) + cases.lock_and_disk(tmp_path, marked)
            + cases.schedule_words(marked))
    assert len(said) >= 20 and _bare(said) == []


def test_backup_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for name, value in cases.backup_home(tmp_path, marked).items():
        monkeypatch.setenv(name, value)
    texts = [_run_cli(argv, monkeypatch, capsys) for argv in (
        ["backup", "create"], ["backup", "list"], ["backup", "verify", "latest"],
        ["backup", "restore", "latest", "--dry-run"], ["backup", "restore", "latest"], ["backup", "prune", "--dry-run"],
        ["backup", "verify", "n1"])]
    archive = next(Path(line) for line in texts[0].splitlines() if line.endswith(".tar.gz"))
    cases.tampered_archive(archive, tmp_path / "t1.tar.gz")
    texts.append(_run_cli(["backup", "verify", str(tmp_path / "t1.tar.gz")], monkeypatch, capsys))
    lines = [line for text in texts for line in text.splitlines()]
    assert len(lines) >= 25 and _bare(lines) == []


# -- autostart, export, the disk watch ---------------------------------------------------------------

def test_autostart_status_plans_and_errors(tmp_path: Path) -> None:
    said = (cases.xdg_words(tmp_path) + cases.launchd_words(tmp_path) + cases.windows_words()
            + cases.autostart_errors(marked))
    assert len(said) >= 30 and _bare(said) == []


def test_autostart_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TRAYAPP_HOME", str(tmp_path / "h1"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "c1"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "c2"))
    texts = [_run_cli(argv, monkeypatch, capsys) for argv in (
        ["autostart", "status"], ["autostart", "enable", "--dry-run", "--platform", "windows"],
        ["autostart", "enable", "--platform", "windows"], ["autostart", "uninstall-menu"])]
    lines = [line for text in texts for line in text.splitlines() if not line.startswith("  /")]
    assert len(lines) >= 5 and _bare(lines) == []


def test_export_notes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TRAYAPP_HOME", str(tmp_path))
    (tmp_path / "config.toml").write_text(
        '[programs.assistant]\ncommand = ["n1-not-installed", "serve"]\nno_restart_exit_codes = [78]\n'
        '[programs.assistant.health]\nurl = "http://127.0.0.1:1/"\n[programs.assistant.limits]\nmemory = "1GB"\n')
    texts = [_run_cli(["export", kind, "--output", str(tmp_path / f"u1.{kind}")], monkeypatch, capsys)
             for kind in ("systemd", "launchd")]
    texts.append(_run_cli(["export", "systemd", "--output", "/proc/n1/u1"], monkeypatch, capsys))
    # the next steps are commands and config.toml text, indented under a translated heading
    lines = [line for text in texts for line in text.splitlines() if not line.startswith("  ")]
    assert len(lines) >= 8 and _bare(lines) == []
    notes = [line for line in lines if "note: " in line]
    assert len(notes) >= 6 and [n for n in notes if n.count(OPEN) < 2] == []  # each note is translated too


def test_the_doctor_fix_button_and_its_answers() -> None:
    said = cases.doctor_fix_words(marked)
    assert len(said) == 6 and _bare(said) == []


def test_the_disk_watch_refusal(tmp_path: Path) -> None:
    assert _bare([cases.disk_refusal(tmp_path)]) == []


# -- argparse ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("argv", [
    ["status", "--bogus"], ["nope"], ["logs", "-n"], ["logs", "-n", "x1"], ["add"], ["backup"],
    ["backup", "verify"], ["--lang", "xx", "status"], ["autostart", "enable", "--platform", "amiga"],
], ids=" ".join)
def test_argparse_errors(argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    text = _run_cli(argv, monkeypatch, capsys)
    usage, error = text.splitlines()[0], text.splitlines()[-1]
    assert usage.startswith(f"{OPEN}usage: ") and OPEN in error
    assert unmarked(error) == [], error
