"""Under the real zh_CN catalog, what a health check says is kept as a Message: English for the
journal, `--json`, trayapp.log and alert webhooks; Chinese for history, status and notices. Notices
and errors reach trayapp.log in English."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.fakes import FakeClock
from tests.unit.supervisor_rig import Rig, make_rig
from trayapp import journal
from trayapp.alerts.rules import Failing, Match, entry_time, evaluate
from trayapp import config as config_mod
from trayapp.config import HealthConfig, NotifyConfig
from trayapp.errors import BackupError, logged
from trayapp.events import Recorded
from trayapp.message import Duration, Message, words
from trayapp.notify import Notifier
from trayapp.notify.log_backend import LogBackend
from trayapp.status import State
from trayapp.supervisor.health import ProbeResult, failed, probe
from trayapp.supervisor.program import Program
from trayapp.supervisor.messages import Start
from trayapp.i18n import N_

HEALTH = """
[programs.assistant]
display_name = "testbot"
command = ["nanobot", "gateway"]
startsecs = "2s"
[programs.assistant.health]
url = "http://127.0.0.1:9/health"
interval = "1s"
failures = 1
start_grace = "0s"
action = "notify"
"""


Probe = Callable[[HealthConfig, Path | None, Mapping[str, str]], ProbeResult]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


# -- the probe ------------------------------------------------------------------------------

def test_a_refused_url_is_english_in_str_and_chinese_in_words(zh: None) -> None:
    url = f"http://127.0.0.1:{closed_port()}/health"
    result = probe(HealthConfig(url=url, timeout=1))
    assert not result.ok
    assert str(result.detail) == f"{url} is not answering (connection refused)"
    assert words(result.detail) == f"{url} 没有响应（连接被拒绝）"


def test_a_refused_port_is_english_in_str_and_chinese_in_words(zh: None) -> None:
    port = closed_port()
    result = probe(HealthConfig(tcp=f"127.0.0.1:{port}", timeout=1))
    assert str(result.detail) == f"127.0.0.1:{port} is not accepting connections (connection refused)"
    assert words(result.detail) == f"127.0.0.1:{port} 不接受连接（连接被拒绝）"


def test_a_probe_that_raised_is_said_the_same_way_in_both_languages(zh: None) -> None:
    said = failed(ValueError("port is not a number"))
    assert str(said) == "health check failed: port is not a number"
    assert words(said) == "健康检查失败：port is not a number"


def test_a_redacted_url_stays_a_message(zh: None) -> None:
    result = probe(HealthConfig(url=f"http://127.0.0.1:{closed_port()}/health?token=abcdef0123456789abcdef", timeout=1))
    assert isinstance(result.detail, Message)
    assert "abcdef0123456789abcdef" not in str(result.detail) and "没有响应" in words(result.detail)


# -- the supervisor, the journal and history -------------------------------------------------

def refused(cfg: HealthConfig, cwd: Path | None, env: Mapping[str, str]) -> ProbeResult:
    """A real probe of a port nobody listens on."""
    return probe(HealthConfig(url=f"http://127.0.0.1:{closed_port()}/health", timeout=1))


def broken(cfg: HealthConfig, cwd: Path | None, env: Mapping[str, str]) -> ProbeResult:
    raise RuntimeError("the probe broke")


def unhealthy(tmp_path: Path, answer: Probe) -> Rig:
    """A program whose every health probe answers `answer`, run until its check has failed."""
    rig = make_rig(tmp_path, HEALTH)
    program = rig.sup.programs["assistant"]
    assert isinstance(program, Program)
    program.ctx.probe = answer
    rig.sup.submit(Start())
    rig.step()
    for _ in range(5):
        rig.advance(1)
        rig.run_background()
        rig.step()
    assert rig.status().state in (State.STARTING, State.RUNNING)
    return rig


def failures(rig: Rig) -> list[dict[str, Any]]:
    return [e for e in rig.entries if e["event"] == "health" and e["status"] == "unhealthy"]


def test_a_failed_probe_is_journaled_in_english_and_told_in_chinese(zh: None, tmp_path: Path) -> None:
    [entry] = failures(unhealthy(tmp_path, refused))
    assert entry["detail"].endswith("/health is not answering (connection refused)")
    assert entry["detail_message"]["message"] == "{url} is not answering ({error})"
    assert journal.describe(entry).startswith("assistant：健康检查未通过：http://127.0.0.1:")
    assert journal.describe(entry).endswith("/health 没有响应（连接被拒绝）")


def test_the_supervisors_own_catch_is_a_message_too(zh: None, tmp_path: Path) -> None:
    """program.py's fallback when the probe itself raises (it was an English f-string)."""
    [entry] = failures(unhealthy(tmp_path, broken))
    assert entry["detail"] == "health check failed: the probe broke"
    assert journal.describe(entry) == "assistant：健康检查未通过：健康检查失败：the probe broke"


def test_the_status_keeps_the_message_english_for_json(zh: None, tmp_path: Path) -> None:
    status = unhealthy(tmp_path, refused).status()
    data = status.to_dict()
    assert data["health"] == "unhealthy" and data["health_detail"].endswith("is not answering (connection refused)")
    assert words(status.health_detail).endswith("没有响应（连接被拒绝）")


# -- alert rules ------------------------------------------------------------------------------

def test_the_failing_health_alert_keeps_the_probes_message(zh: None) -> None:
    detail = Message(N_("{url} is not answering ({error})"), url="http://127.0.0.1:9/health",
                     error=Message(N_("connection refused")))
    entry = journal._plain({"detail": detail}) | {"event": "health", "status": "unhealthy", "program": "web",
                                                   "ts": "2026-01-01T00:00:00+00:00"}
    match = evaluate(Failing(60.0), [entry], now=entry_time(entry) + 120, program="web")
    assert isinstance(match, Match)
    assert str(match.detail) == "health check failing for 2m: http://127.0.0.1:9/health is not answering (connection refused)"
    assert words(match.detail) == "健康检查已连续 2 分钟未通过：http://127.0.0.1:9/health 没有响应（连接被拒绝）"


# -- log lines --------------------------------------------------------------------------------

def notifier(config: NotifyConfig | None = None) -> tuple[Notifier, FakeClock, list[str]]:
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    logger = logging.getLogger("test.health_words.log_backend")
    logger.addHandler(Keep())
    logger.propagate = False
    clock = FakeClock()
    made = Notifier(config or NotifyConfig(enabled=False), clock=clock, backends=[LogBackend(logger)],
                    threaded=False)
    return made, clock, lines


def deliver(n: Notifier, clock: FakeClock) -> None:
    n.step()
    clock.advance(1)
    n.step()


def test_a_health_notice_is_chinese_on_screen_and_english_in_the_log(zh: None, caplog: pytest.LogCaptureFixture) -> None:
    n, clock, lines = notifier()
    detail = Message(N_("{url} is not answering ({error})"), url="http://127.0.0.1:9/health",
                     error=Message(N_("connection refused")))
    entry = journal._plain({"detail": detail}) | {"event": "health", "status": "unhealthy", "program": "web"}
    with caplog.at_level(logging.INFO, logger="trayapp.notify"):
        n.on_recorded(Recorded(entry))
        deliver(n, clock)
    [delivery] = n.history
    assert delivery.title == "web 没有响应" and delivery.body == "http://127.0.0.1:9/health 没有响应（连接被拒绝）"
    said = [r.getMessage() for r in caplog.records if r.name == "trayapp.notify"]
    assert said == ["notify [health_failing] web is not responding — http://127.0.0.1:9/health is not answering "
                    "(connection refused)"]
    assert lines == ["notification (shown in the log only): web is not responding — http://127.0.0.1:9/health "
                     "is not answering (connection refused)"]


def test_a_crash_notice_in_the_log_only_is_english_with_its_commands(zh: None) -> None:
    n, clock, lines = notifier()
    n.on_recorded(Recorded({"event": "exit", "program": "assistant", "code": 1, "expected": False,
                            "last_stderr": "Error: bad key"}))
    deliver(n, clock)
    assert n.history[0].title == "assistant 崩溃了（退出码 1）"
    assert lines == ["notification (shown in the log only): assistant crashed (exit 1) — Last error: Error: bad key"
                     " | To restart: trayapp restart assistant · its log: trayapp logs assistant"]


def test_a_notice_given_as_a_message_is_logged_in_english(zh: None, caplog: pytest.LogCaptureFixture) -> None:
    n, clock, lines = notifier()
    with caplog.at_level(logging.INFO, logger="trayapp.notify"):
        n.notify("webbot: web down", Message(N_("health check failing for {took}"), took=Duration(60)), kind="alert")
        deliver(n, clock)
    assert n.history[0].body == "健康检查已连续 1 分钟未通过"
    assert [r.getMessage() for r in caplog.records if r.name == "trayapp.notify"] == [
        "notify [alert] webbot: web down — health check failing for 1m"]
    assert not any(has_cjk(line) for line in lines)


def test_an_error_is_logged_in_its_english_words(zh: None) -> None:
    error = BackupError(Message(N_("there is nothing to back up: none of the configured folders exist")),
                        fix=Message(N_("nothing was changed")))
    assert has_cjk(str(error))  # what a person reads
    assert logged(error) == ("there is nothing to back up: none of the configured folders exist; "
                             "fix: nothing was changed")
    assert logged(OSError(28, "No space left on device")) == "[Errno 28] No space left on device"


def test_a_failed_prune_is_logged_in_english(zh: None, tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from trayapp.backup import service
    from trayapp.backup.jobs import BackupJobs
    from trayapp.paths import AppPaths

    def refuse(*args: object, **kwargs: object) -> None:
        raise BackupError(Message(N_("the disk is critically full, so no backup was started")))

    monkeypatch.setattr(service, "prune_backups", refuse)
    paths = AppPaths.discover({"TRAYAPP_HOME": str(tmp_path / "home")})
    cfg = config_mod.parse('[programs.assistant]\ncommand = ["x"]\n', environ={"HOME": str(tmp_path)})
    runner = BackupJobs(cfg, paths, journal.Journal(tmp_path / "journal.jsonl"))
    with caplog.at_level(logging.WARNING, logger="trayapp.backup.jobs"):
        runner._prune()  # after a scheduled backup
    assert [r.getMessage() for r in caplog.records if r.name == "trayapp.backup.jobs"] == [
        "pruning old backups failed: the disk is critically full, so no backup was started"]
