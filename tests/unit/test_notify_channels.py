"""Which notices go to the e-mail/chat channels, and how channel URLs are shown. No network here:
tests/integration/test_channels.py sends to real local receivers."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fakes import FakeClock
from trayapp import journal
from trayapp.config import ConfigError, NotifyConfig, parse
from trayapp.config.alerts import parse_rules
from trayapp.message import Duration
from trayapp.notify.channels import Channels, Delivery, hide_secrets
from trayapp.notify.facade import Notifier, buttons_for, commands_for, parse_action
from trayapp.notify.messages import Message
from trayapp.notify.policy import Outgoing
from trayapp.redact import redact, redact_url

SLACK = "slack://T1ADA/B2ADA/adaSlackSecret"
MAIL = "mailto://ada:app-password@gmail.com"


class Recorder:
    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []

    def record(self, event: str, program: str | None = None, **fields: Any) -> dict[str, Any]:
        self.entries.append({"event": event, **fields})
        return self.entries[-1]


def channels(*urls: str, kinds: tuple[str, ...] = NotifyConfig().channel_kinds,
             fail: str | None = None) -> tuple[Channels, list[Delivery], Recorder]:
    sent: list[Delivery] = []
    recorder = Recorder()

    def send(delivery: Delivery, timeout: float) -> str | None:
        sent.append(delivery)
        return fail

    return Channels(urls, kinds, journal=recorder, send=send, threaded=False), sent, recorder


def out(kind: str, *, slot: str = "assistant/trouble", fresh: bool = False, **kw: Any) -> Outgoing:
    return Outgoing(slot, kind, Message(f"{kind} title", "ValueError: boom"), fresh=fresh, **kw)


@pytest.mark.parametrize("kind, goes", [
    ("crash", True), ("gave_up", True), ("degraded", True), ("disk", True), ("backup_failed", True),
    ("alert", True), ("recovered", False), ("health_ok", False), ("disk_ok", False), ("backup", False),
    ("limit", False),
])
def test_the_default_kinds_are_the_bad_news_not_the_chatter(kind: str, goes: bool) -> None:
    chan, sent, _ = channels(SLACK)
    chan.offer(out(kind, fresh=True))
    assert [d.url for d in sent] == ([SLACK] if goes else [])


def test_a_crash_loop_is_one_message_then_gave_up_is_another() -> None:
    chan, sent, _ = channels(SLACK, MAIL)
    chan.offer(out("crash", fresh=True))
    chan.offer(out("crash"))  # the bubble's update for the 2nd crash
    chan.offer(out("crash"))
    chan.offer(out("gave_up"))
    assert [(d.kind, d.url) for d in sent] == [("crash", SLACK), ("crash", MAIL), ("gave_up", SLACK),
                                              ("gave_up", MAIL)]


def test_an_alert_rules_own_channels_replace_the_configured_ones_and_repeat() -> None:
    chan, sent, _ = channels(SLACK)
    own = ("ntfy://ntfy.sh/ada",)
    chan.offer(out("alert", slot="alert:r:a", channels=own))
    chan.offer(out("alert", slot="alert:r:a", channels=own))
    chan.offer(out("alert", slot="alert:s:a"))
    assert [d.url for d in sent] == [*own, *own, SLACK]


def test_channel_kinds_choose_what_goes() -> None:
    chan, sent, _ = channels(SLACK, kinds=("recovered",))
    chan.offer(out("crash", fresh=True))
    chan.offer(out("recovered"))
    assert [d.kind for d in sent] == ["recovered"]


def test_a_failure_is_journalled_with_the_url_and_its_secrets_hidden() -> None:
    chan, _, recorder = channels(MAIL, fail="535 authentication failed for ada:app-password")
    chan.offer(out("crash", fresh=True))
    (entry,) = recorder.entries
    assert entry == {"event": "channel_failed", "channel": "mailto://ada:[REDACTED]@gmail.com", "kind": "crash",
                     "error": "535 authentication failed for ada:[REDACTED]"}
    line = journal.describe(entry)
    assert line == ("the “crash” notice could not be sent to mailto://ada:[REDACTED]@gmail.com: "
                    "535 authentication failed for ada:[REDACTED]")


def test_every_notice_kind_a_channel_carries_has_a_name_in_history() -> None:
    from trayapp.config.alerts import CHANNEL_KINDS

    lines = [journal.describe({"event": "channel_failed", "channel": "ntfy://x", "kind": kind, "error": "e"})
             for kind in CHANNEL_KINDS]
    assert [line for line in lines if not line.startswith("the “")] == []
    assert journal.describe({"event": "channel_failed", "channel": "ntfy://x", "kind": "new_kind", "error": "e"}) == (
        "a notice could not be sent to ntfy://[REDACTED]: e")


def test_our_own_reasons_are_kept_as_messages_for_the_users_language() -> None:
    from trayapp.message import Message as Said

    def dead(delivery: Delivery, timeout: float) -> Said | str | None:
        return Said("no answer within {wait}", wait=Duration(timeout))

    recorder = Recorder()
    chan = Channels([SLACK], kinds=("crash",), journal=recorder, send=dead, threaded=False, timeout=10.0)
    chan.offer(out("crash", fresh=True))
    (entry,) = recorder.entries
    assert entry["error"] == Said("no answer within {wait}", wait=Duration(10.0))


def test_a_sender_that_raises_is_a_journalled_failure_not_a_crash() -> None:
    recorder = Recorder()

    def boom(delivery: Delivery, timeout: float) -> str | None:
        raise OSError("network is unreachable")

    Channels([SLACK], ["crash"], journal=recorder, send=boom, threaded=False).offer(out("crash", fresh=True))
    assert recorder.entries[0]["error"] == "OSError: network is unreachable"


def test_the_notifier_offers_every_delivered_notice_to_the_channels() -> None:
    chan, sent, _ = channels(SLACK)
    clock = FakeClock()
    notifier = Notifier(NotifyConfig(enabled=False), backends=[], threaded=False, channels=chan, clock=clock)
    notifier.notify("nanobot: crash loop", "3 restarts in 1h", kind="alert", slot="alert:x:a")
    notifier.step()
    assert sent == []  # still settling
    clock.advance(1)
    notifier.step()
    assert [(d.kind, d.title) for d in sent] == [("alert", "nanobot: crash loop")]
    assert sent[0].body == "3 restarts in 1h"


# -- showing URLs ----------------------------------------------------------------------------

@pytest.mark.parametrize("url, shown", [
    ("slack://T1ADA/B2ADA/adaSlackSecret/#general", "slack://[REDACTED]"),
    ("feishu://adafeishutoken", "feishu://[REDACTED]"),
    ("dingtalk://signsecret@adatoken", "dingtalk://[REDACTED]@[REDACTED]"),
    ("wecombot://adakey", "wecombot://[REDACTED]"),
    ("mailto://ada:app-password@gmail.com", "mailto://ada:[REDACTED]@gmail.com"),
    ("mailto://ada@gmail.com?pass=app-password&to=bob@example.org",
     "mailto://ada@gmail.com?pass=[REDACTED]&to=[REDACTED]"),
    ("ntfy://ntfy.sh/ada-private-topic", "ntfy://ntfy.sh/[REDACTED]"),
    ("json://127.0.0.1:8080/hook", "json://127.0.0.1:8080/[REDACTED]"),
    ("not a url", "[REDACTED]"),
])
def test_channel_urls_are_shown_without_their_secrets(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_channel_urls_in_any_text_are_redacted_and_web_links_stay() -> None:
    text = f'channels = ["{SLACK}", "{MAIL}"]  # docs: https://github.com/caronc/apprise/wiki'
    assert redact(text) == ('channels = ["slack://[REDACTED]", "mailto://ada:[REDACTED]@gmail.com"]  '
                            "# docs: https://github.com/caronc/apprise/wiki")


def test_the_debug_bundle_shows_the_config_without_channel_secrets() -> None:
    from trayapp.doctor.bundle import redact_text

    toml = f'[notifications]\nchannels = ["{SLACK}",\n  "{MAIL}", "ntfy://ntfy.sh/ada-topic"]\n'
    shown = redact_text(toml)
    for secret in ("adaSlackSecret", "app-password", "ada-topic"):
        assert secret not in shown
    assert 'mailto://ada:[REDACTED]@gmail.com' in shown and redact_text(shown) == shown


def test_secrets_of_a_url_are_hidden_in_apprise_messages() -> None:
    said = "Sending to https://open.feishu.cn/open-apis/bot/v2/hook/adafeishutoken/"
    assert "adafeishutoken" not in hide_secrets(said, ["feishu://adafeishutoken"])


# -- config ----------------------------------------------------------------------------------

def test_notifications_channels_are_read_with_their_kinds() -> None:
    cfg = parse(f'[notifications]\nchannels = ["{SLACK}"]\nchannel_kinds = ["crash", "recovered"]\n'
                'channel_timeout = "20s"\n')
    assert cfg.notifications.channels == (SLACK,)
    assert cfg.notifications.channel_kinds == ("crash", "recovered")
    assert cfg.notifications.channel_timeout == 20.0
    assert parse("").notifications.channel_kinds == ("crash", "gave_up", "degraded", "disk", "backup_failed", "alert")


def test_bad_channels_are_named_without_repeating_the_secret() -> None:
    with pytest.raises(ConfigError) as caught:
        parse('[notifications]\nchannels = ["slack:/T1/B2/adaSlackSecret"]\nchannel_kinds = ["crashes"]\n')
    text = str(caught.value) + " ".join(caught.value.problems)
    assert "notifications.channels: item 1" in text and "adaSlackSecret" not in text
    assert "notifications.channel_kinds: unknown kind 'crashes'; did you mean 'crash'?" in text


def test_an_alert_rule_may_name_its_own_channels_for_a_notify_action() -> None:
    (rule,) = parse_rules([{"when": "gave up", "channels": [MAIL]}])
    assert rule.channels == (MAIL,)
    with pytest.raises(ConfigError) as caught:
        parse_rules([{"when": "gave up", "action": "command", "command": ["x"], "channels": [MAIL]}])
    assert 'channels are where a notify action goes; this rule has action = "command"' in str(caught.value.problems)


# -- buttons ---------------------------------------------------------------------------------

def crash_notes(*backends: Any, connected: bool = True) -> list[Any]:
    from tests.unit.test_notify_facade import crash

    clock = FakeClock()
    notifier = Notifier(NotifyConfig(), backends=list(backends), threaded=False, clock=clock)
    if connected:
        notifier.actions.connect(lambda key: None)
    notifier.on_recorded(crash())
    notifier.step()
    clock.advance(1)
    notifier.step()
    return [note for backend in backends for note in backend.notes]


def test_a_crash_notice_has_buttons_where_the_backend_shows_them() -> None:
    from tests.unit.test_notify_facade import Recording

    (note,) = crash_notes(Recording(buttons=True))
    assert note.actions == (("restart:assistant", "Restart"), ("logs:assistant", "Show logs"),
                            ("snooze", "Snooze 1 h"))
    assert "trayapp restart" not in note.body
    assert parse_action(note.actions[0][0]) == ("restart", "assistant") and parse_action("snooze") == ("snooze", None)


def test_without_buttons_the_body_says_which_command_to_run() -> None:
    from tests.unit.test_notify_facade import Recording

    (note,) = crash_notes(Recording("plyer", buttons=False))
    assert note.actions == ()
    assert note.body.endswith("To restart: trayapp restart assistant · its log: trayapp logs assistant")


def test_no_buttons_are_offered_while_nobody_listens_for_them() -> None:
    from tests.unit.test_notify_facade import Recording

    (note,) = crash_notes(Recording(buttons=True), connected=False)
    assert note.actions == () and note.instead


def test_the_commands_survive_a_short_windows_body() -> None:
    from trayapp.notify.note import Limits, Note
    from trayapp.notify.facade import _shaped
    from tests.unit.test_notify_facade import Recording

    backend = Recording("tray", limits=Limits(title=63, body=255, utf16=True), buttons=False)
    note = Note("assistant crashed", "x" * 400, instead=commands_for("assistant"))
    shaped = _shaped(note, backend)
    assert shaped.body.endswith(commands_for("assistant")) and len(shaped.body) <= 255


def test_freedesktop_sends_the_buttons_as_flat_key_label_pairs() -> None:
    from trayapp.notify.freedesktop import notify_args
    from trayapp.notify.note import Note

    args = notify_args(Note("t", "b", actions=buttons_for("assistant")))
    assert args[5] == ["restart:assistant", "Restart", "logs:assistant", "Show logs", "snooze", "Snooze 1 h"]


def test_a_failing_button_handler_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    from trayapp.notify.note import ActionRelay

    relay = ActionRelay()
    relay.pressed("restart:assistant")  # nobody connected yet: nothing happens

    def broken(key: str) -> None:
        raise RuntimeError("supervisor gone")

    relay.connect(broken)
    relay.pressed("restart:assistant")
    assert "the notification button 'restart:assistant' failed" in caplog.text


def test_gave_up_has_the_buttons_too_and_running_again_has_none() -> None:
    from tests.unit.test_notify_facade import Recording, crash
    from trayapp.events import Recorded

    clock, backend = FakeClock(), Recording(buttons=True)
    notifier = Notifier(NotifyConfig(), backends=[backend], threaded=False, clock=clock)
    notifier.actions.connect(lambda key: None)
    for event in (crash(), Recorded({"event": "gave_up", "program": "assistant", "reason": "5 crashes in 2m"}),
                  Recorded({"event": "running", "program": "assistant"})):
        notifier.on_recorded(event)
        notifier.step()
        clock.advance(10)
        notifier.step()
    assert [(n.title.split(" ")[1], bool(n.actions)) for n in backend.notes] == [
        ("crashed", True), ("is", True), ("is", False)]
