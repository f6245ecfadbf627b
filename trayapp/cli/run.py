"""`trayapp run`: start supervising, with the tray where there is a display."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from trayapp.i18n import N_, _
from trayapp.message import Message
from trayapp.cli.common import load_config, paths
from trayapp.errors import ConfigError
from trayapp.paths import AppPaths, FolderError

if TYPE_CHECKING:
    from trayapp.config import Config


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help=_("start trayapp and the assistant (the default command)"),
                       description=_("Start trayapp: supervise the configured programs and show the tray "
                                     "icon. Without a display it runs headless and says why."))
    p.add_argument("--headless", action="store_true",
                   help=_("no tray: print one line per state change; SIGTERM or Ctrl-C stops everything"))
    p.add_argument("--autostart", action="store_true", help=_("started by the login item (used by autostart)"))
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from trayapp import app
    from trayapp.memory import tune_allocator

    tune_allocator()  # before any thread starts: a long run stays flat (issue 15)
    where = paths()
    refused_logs = where.ensure()
    config, broken = _config_or_problems(where)
    # Logging starts only once this process holds the instance lock: a second `trayapp run` must
    # not touch the running instance's trayapp.log (its start-up tidies leftover files).
    return app.run(where, config, headless=args.headless, broken=broken,
                   on_lock=lambda: _setup_logging(where, config, refused_logs))


def _config_or_problems(where: AppPaths) -> tuple[Config, ConfigError | None]:
    """A broken config.toml does not stop trayapp (at login nobody would see why it is missing):
    it runs with no programs in the "config error" state, says so, and reloads the fixed file."""
    from trayapp.config import Config

    try:
        return load_config(where), None
    except ConfigError as exc:
        return Config(programs={}, source=where.config_file), exc


def _setup_logging(where: AppPaths, config: Config, refused_logs: FolderError | None) -> None:
    if refused_logs is not None:
        _report_refused_logs(where, refused_logs)
    try:
        from trayapp.logs.capture import setup_trayapp_logging
    except ImportError:
        return
    c = config.logs
    setup_trayapp_logging(where.trayapp_log, max_size=c.max_size, keep=c.keep, redact=c.redact)


def _report_refused_logs(where: AppPaths, problem: FolderError) -> None:
    """The programs still run, their output kept in memory; say so where a user will see it:
    on stderr now, and in `trayapp history` (trayapp.log lives in that very folder)."""
    import sys

    from trayapp.journal import Journal

    print(_("trayapp: logs are kept in memory only: {problem}").format(problem=problem), file=sys.stderr, flush=True)
    said = Message(N_("logs are kept in memory only: {problem}; fix: {fix}"), problem=problem.said,
                   fix=problem.fix_said or "")
    Journal(where.journal_file).record("logs_refused", message=str(said), message_message=said.to_json())
