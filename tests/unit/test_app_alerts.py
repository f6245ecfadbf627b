"""The running app uses the alert rules config.toml was checked with: parsed and expanded once."""

from __future__ import annotations

from pathlib import Path

from trayapp import config
from trayapp.app import App
from trayapp.paths import AppPaths

TEXT = """
[programs.assistant]
command = ["nanobot", "gateway"]

[[alerts]]
when = "gave up"
action = "webhook"
url = "https://ntfy.sh/${TOPIC}"
"""


def test_an_app_built_from_config_posts_to_the_expanded_webhook_url(tmp_path: Path) -> None:
    paths = AppPaths.discover({"TRAYAPP_HOME": str(tmp_path)})
    paths.ensure()
    cfg = config.parse(TEXT, environ={"TOPIC": "ada-alerts", "HOME": str(tmp_path)})
    app = App(paths, cfg)
    try:
        assert [rule.url for rule in app.alerts.rules] == ["https://ntfy.sh/ada-alerts"]
    finally:
        app.alerts.close()
        app.notifier.close()
        app.journal.flush()


def test_notification_buttons_reach_the_app_and_foreign_keys_are_ignored(tmp_path: Path) -> None:
    from trayapp import journal
    from trayapp.supervisor.messages import Restart

    paths = AppPaths.discover({"TRAYAPP_HOME": str(tmp_path)})
    paths.ensure()
    app = App(paths, config.parse(TEXT, environ={"TOPIC": "t", "HOME": str(tmp_path)}))
    asked: list[object] = []
    app.supervisor.submit = asked.append  # type: ignore[method-assign]  # see what is enqueued, run nothing
    try:
        app.notifier.actions.pressed("restart:somebody-else")
        app.notifier.actions.pressed("snooze")
        app.notifier.actions.pressed("restart:assistant")
        assert app.notifier.paused_until is not None
        assert [type(m) for m in asked] == [Restart] and asked[0].program == "assistant"  # type: ignore[attr-defined]
    finally:
        app.alerts.close()
        app.notifier.close()
        app.journal.flush()
    pressed = [e for e in journal.read(paths.journal_file) if e["event"] == "notice_action"]
    assert [(e.get("program"), e["action"]) for e in pressed] == [(None, "snooze"), ("assistant", "restart")]
