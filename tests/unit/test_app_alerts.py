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
