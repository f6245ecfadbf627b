"""Notification channels against real receivers on this machine: a real SMTP server (aiosmtpd) and a
real HTTP server on 127.0.0.1, reached by real apprise. Only loopback addresses, ever.

Slack, Feishu, DingTalk and WeCom bots post to one fixed host each (hooks.slack.com, open.feishu.cn,
oapi.dingtalk.com, qyapi.weixin.qq.com); apprise has no custom-host form for them. The tests point
that one endpoint attribute of the real plugin class at the local receiver, so the JSON that arrives
is the plugin's own. ntfy and e-mail take a host in their URL and need no such help.
"""

from __future__ import annotations

import http.server
import json
import logging
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest

from tests.integration.running import Trayapp, free_port, wait_for
from trayapp.config import NotifyConfig
from trayapp.events import EventBus
from trayapp.journal import Journal
from trayapp.journal import read as read_journal
from trayapp.notify import Notifier

pytestmark = pytest.mark.slow
apprise = pytest.importorskip("apprise", reason="the channels extra (apprise) is not installed")
aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")


# -- receivers -----------------------------------------------------------------------------

@dataclass
class Inbox:
    port: int
    mails: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.mails.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[Inbox]:
    inbox = Inbox(free_port())
    controller = aiosmtpd_controller.Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    yield inbox
    controller.stop()


@dataclass(frozen=True)
class Post:
    path: str
    body: dict[str, Any]
    client: str


class Receiver(http.server.BaseHTTPRequestHandler):
    posts: list[Post] = []
    hang = threading.Event()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if Receiver.hang.is_set():
            time.sleep(5)  # longer than the channel's timeout: trayapp must give up first
        Receiver.posts.append(Post(self.path, json.loads(body or b"{}"), self.client_address[0]))
        # Slack's webhook answers "ok"; the Chinese bots answer JSON with a zero error code.
        answer = b"ok" if self.path.startswith("/services/") else b'{"code": 0, "errcode": 0, "StatusCode": 0}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the tests read `posts`."""


@pytest.fixture
def hooks(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A local receiver; the fixed-host plugins are pointed at it. Yields its base URL."""
    from apprise.plugins.dingtalk import NotifyDingTalk
    from apprise.plugins.feishu import NotifyFeishu
    from apprise.plugins.slack import NotifySlack
    from apprise.plugins.wecombot import NotifyWeComBot

    Receiver.posts = []
    Receiver.hang.clear()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    monkeypatch.setattr(NotifySlack, "webhook_url", f"{base}/services")
    monkeypatch.setattr(NotifyFeishu, "notify_url", base + "/open-apis/bot/v2/hook/{token}/")
    monkeypatch.setattr(NotifyDingTalk, "notify_url", base + "/robot/send?access_token={token}")
    monkeypatch.setattr(NotifyWeComBot, "notify_url", base + "/cgi-bin/webhook/send?key={key}")
    yield base
    Receiver.hang.set()  # a hanging handler ends at its own pace; shutdown does not wait for it
    server.shutdown()
    server.server_close()


CRASHER = ("import sys; print('nanobot gateway starting'); "
           "raise ValueError('the model provider refused the request')")


# -- a real trayapp, a real crash ----------------------------------------------------------

def test_a_crash_reaches_the_mail_server_and_ntfy_with_its_exception_line(
        tmp_path: Path, trayapps: list[Trayapp], smtp: Inbox, hooks: str) -> None:
    port = hooks.rsplit(":", 1)[1]
    config = (f'[programs.assistant]\ncommand = ["{sys.executable}", "-c", "{CRASHER}"]\nrestart = "never"\n'
              '[notifications]\nchannels = ["mailto://127.0.0.1:${SMTP_PORT}?from=trayapp@example.org&to=ada@example.org",'
              ' "ntfy://127.0.0.1:${HOOK_PORT}/ada-secret-topic"]\n')
    t = Trayapp(tmp_path / "h", config, env={"SMTP_PORT": str(smtp.port), "HOOK_PORT": port})
    check = t.cli("config", "check")
    assert check.returncode == 0, check.stderr
    assert "ntfy://127.0.0.1:" in check.stdout and "ada-secret-topic" not in check.stdout, check.stdout
    assert "warning" not in check.stdout, check.stdout
    trayapps.append(t.start())
    (mail,) = wait_for(lambda: smtp.mails, 30, "the crash e-mail")
    assert "crashed" in mail["Subject"] and mail["To"] == "ada@example.org", mail["Subject"]
    text = next(part.get_payload(decode=True).decode() for part in mail.walk()
                if part.get_content_type() == "text/plain")
    assert "ValueError: the model provider refused the request" in text, text
    (post,) = wait_for(lambda: Receiver.posts, 30, "the ntfy message")
    assert post.body["topic"] == "ada-secret-topic" and "crashed" in post.body["title"], post
    assert "ValueError: the model provider refused the request" in post.body["message"]
    assert post.client == "127.0.0.1"


# -- the chat bots' formats -----------------------------------------------------------------

def crash_notice(tmp_path: Path, channels: list[str], **config: Any) -> tuple[Notifier, Journal]:
    """A real Notifier and Journal; the crash is journalled the way the supervisor does it."""
    bus = EventBus()
    journal = Journal(tmp_path / "journal.jsonl", bus)
    notifier = Notifier(NotifyConfig(enabled=False, channels=tuple(channels), **config), backends=[],
                        journal=journal)
    notifier.attach(bus)
    journal.record("exit", "assistant", pid=4242, code=1, signal=None, text="exit 1", expected=False,
                   last_stderr="ValueError: the model provider refused the request")
    journal.record("crash", "assistant", exit="exit 1", headline="ValueError: the model provider refused the request",
                   cause="", fix="", known=False, kind="python", excerpt=[], code=1, signal=None, when=0.0)
    return notifier, journal


def test_slack_feishu_dingtalk_and_wecom_get_their_own_json(tmp_path: Path, hooks: str,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    urls = ["slack://T1ADAADA/B2ADAADA/adaSlackSecretToken24ch", "feishu://adafeishutoken42",
            "dingtalk://adadingtalktoken42", "wecombot://adawecomkey42"]
    notifier, _ = crash_notice(tmp_path, urls)
    wait_for(lambda: len(Receiver.posts) >= 4, 30, "four webhook posts")
    notifier.close()
    by_path = {p.path.split("/")[1]: p for p in Receiver.posts}
    slack = by_path["services"]
    assert slack.path == "/services/T1ADAADA/B2ADAADA/adaSlackSecretToken24ch"
    (attachment,) = slack.body["attachments"]
    assert attachment["title"] == "assistant crashed (exit 1)"
    assert "ValueError: the model provider refused the request" in attachment["text"]
    feishu = by_path["open-apis"]
    assert feishu.path == "/open-apis/bot/v2/hook/adafeishutoken42/" and feishu.body["msg_type"] == "text"
    assert "ValueError: the model provider refused the request" in feishu.body["content"]["text"]
    ding = by_path["robot"]
    assert ding.path == "/robot/send?access_token=adadingtalktoken42" and ding.body["msgtype"] == "text"
    assert "assistant crashed (exit 1)" in ding.body["text"]["content"]
    wecom = by_path["cgi-bin"]
    assert wecom.path == "/cgi-bin/webhook/send?key=adawecomkey42" and wecom.body["msgtype"] == "text"
    assert "ValueError" in wecom.body["text"]["content"]
    assert {p.client for p in Receiver.posts} == {"127.0.0.1"}
    # apprise logs each service's real endpoint, token included; trayapp's log never shows it
    assert "/services/[REDACTED]/[REDACTED]/[REDACTED]" in caplog.text and "access_token=[REDACTED]" in caplog.text
    for secret in ("adaSlackSecretToken24ch", "adafeishutoken42", "adadingtalktoken42", "adawecomkey42"):
        assert secret not in caplog.text


# -- failures are journalled, with the secrets hidden ----------------------------------------

def test_config_check_warns_about_a_channel_apprise_cannot_read(tmp_path: Path) -> None:
    config = ('[programs.assistant]\ncommand = ["sleep", "1"]\n'
              '[notifications]\nchannels = ["dingtalk://not-a-token!", "nosuchservice://ada-secret"]\n')
    check = Trayapp(tmp_path / "h", config).cli("config", "check")
    assert check.returncode == 0, check.stderr
    assert "(warning: dingtalk://[REDACTED]: apprise does not understand this URL" in check.stdout, check.stdout
    assert "(warning: nosuchservice://[REDACTED]: apprise does not understand" in check.stdout
    assert "ada-secret" not in check.stdout and "not-a-token" not in check.stdout + check.stderr


def test_an_unreachable_channel_is_journalled_without_its_secret(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    dead = free_port()  # nothing listens there
    notifier, journal = crash_notice(tmp_path, [f"json://ada:hunter2secret@127.0.0.1:{dead}/hook-token-42"],
                                     channel_timeout=5.0)
    failed = wait_for(lambda: [e for e in read_journal(journal.path) if e["event"] == "channel_failed"], 30,
                      "the failure in the journal")
    notifier.close()
    assert failed[0]["channel"] == f"json://ada:[REDACTED]@127.0.0.1:{dead}/[REDACTED]"
    assert failed[0]["kind"] == "crash" and failed[0]["error"], failed
    text = (tmp_path / "journal.jsonl").read_text() + caplog.text
    assert "hunter2secret" not in text and "hook-token-42" not in text


def test_a_channel_that_never_answers_gives_up_at_its_timeout(tmp_path: Path, hooks: str) -> None:
    Receiver.hang.set()  # it holds each request for 5 s and then answers "ok": only a timeout fails it
    notifier, journal = crash_notice(tmp_path, ["feishu://adafeishutoken42"], channel_timeout=1.0)
    failed = wait_for(lambda: [e for e in read_journal(journal.path) if e["event"] == "channel_failed"], 30,
                      "the timeout in the journal")
    assert failed[0]["error"] == "no answer within 1s"
    notifier.close()
