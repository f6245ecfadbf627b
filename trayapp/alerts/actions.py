"""What an alert rule does when it fires: run a command (argv, no shell) or POST JSON to a webhook.

Both have a timeout and report an Outcome instead of raising; the engine journals it. They run
on the alert engine's worker thread, never on the supervisor's.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from trayapp import __version__
from trayapp.procs import run_in_session
from trayapp.notify.messages import one_line
from trayapp.i18n import N_
from trayapp.message import Duration, Message


@dataclass(frozen=True)
class Outcome:
    """`error`: a Message (English in the journal's JSON, translated when shown), or the system's own text."""
    ok: bool
    error: Message | str = ""


def run_command(argv: tuple[str, ...], timeout: float, env: Mapping[str, str] | None = None) -> Outcome:
    """Run `argv` in its own session; kill its whole group if it outlives `timeout`."""
    done = run_in_session(argv, timeout, env={**os.environ, **(env or {})})
    if done.problem:
        return Outcome(False, done.problem)
    if done.timed_out:
        return Outcome(False, Message(N_("{command} did not finish within {timeout}; it was stopped"),
                                      command=argv[0], timeout=Duration(timeout)))
    if done.returncode != 0:
        last = one_line(done.last_error, 160)
        if last:
            return Outcome(False, Message(N_("{command} failed (exit {code}): {error}"), command=argv[0],
                                          code=str(done.returncode), error=last))
        return Outcome(False, Message(N_("{command} failed (exit {code})"), command=argv[0],
                                      code=str(done.returncode)))
    return Outcome(True)


def post_webhook(url: str, payload: Mapping[str, Any], timeout: float, opener: Any = None) -> Outcome:
    """POST `payload` as JSON. Errors never repeat the URL: it may hold a secret token."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, data=json.dumps(payload, default=str).encode("utf-8"), method="POST",
                                     headers={"Content-Type": "application/json",
                                              "User-Agent": f"trayapp/{__version__}"})
    try:
        with (opener or urllib.request.urlopen)(request, timeout=timeout) as response:
            status = getattr(response, "status", 200)
    except urllib.error.HTTPError as exc:
        return Outcome(False, Message(N_("the webhook answered HTTP {code} {reason}"), code=exc.code,
                                      reason=str(exc.reason)))
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, (TimeoutError, socket.timeout)):
            return _no_answer(timeout)
        return Outcome(False, Message(N_("cannot reach the webhook: {error}"), error=str(exc.reason)))
    except (TimeoutError, socket.timeout):
        return _no_answer(timeout)
    except (OSError, ValueError) as exc:
        return Outcome(False, Message(N_("webhook failed: {error}"), error=f"{type(exc).__name__}: {exc}"))
    if not 200 <= status < 300:
        return Outcome(False, Message(N_("the webhook answered HTTP {code}"), code=status))
    return Outcome(True)


def _no_answer(timeout: float) -> Outcome:
    return Outcome(False, Message(N_("the webhook did not answer within {timeout}"), timeout=Duration(timeout)))
