"""The last resort: trayapp's log. It cannot fail, so a notice is never lost without a trace."""

from __future__ import annotations

import logging

from trayapp.notify.note import Limits, Note

log = logging.getLogger("trayapp.notify")


class LogBackend:
    name = "log"
    buttons = False
    limits = Limits(title=200, body=1000)

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self.logger = logger or log

    def send(self, note: Note) -> None:
        # The facade hands this backend the notice in English: its line is trayapp's log, and log
        # files stay English whatever language the user reads (issue 14).
        body = note.body.replace("\n", " | ")
        self.logger.warning("notification (shown in the log only): %s — %s", note.title, body)
        return None
