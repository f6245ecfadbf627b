"""`trayapp backup create|list|verify|restore|prune`: argument parsing and output only."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from trayapp.i18n import N_, _, ngettext
from trayapp.errors import BackupError
from trayapp.message import words
from trayapp.paths import AppPaths

if TYPE_CHECKING:
    from trayapp.backup.progress import Progress
    from trayapp.backup.restore import RestoreResult
    from trayapp.config import Config
    from trayapp.journal import Journal

    Subcommands = argparse._SubParsersAction[argparse.ArgumentParser]


def register(sub: Subcommands) -> None:
    parser = sub.add_parser(
        "backup", help=_("make, list, verify, restore and prune backups of the assistant's data"),
        description=_("Back up trayapp's config and the assistant's data (SQLite databases copied safely "
                      "while it runs) into .tar.gz archives with a manifest of sha256 sums."))
    actions = parser.add_subparsers(dest="backup_action", metavar="ACTION", required=True)
    _create_parser(actions)
    lst = actions.add_parser("list", help=_("show the backups with size, age and whether they were verified"))
    _dest_arg(lst)
    lst.add_argument("--json", action="store_true", help=_("print JSON for scripts"))
    lst.set_defaults(func=cmd_list)
    ver = actions.add_parser("verify", help=_("re-hash every file and check every database in an archive"))
    _archive_arg(ver)
    ver.add_argument("--json", action="store_true", help=_("print JSON for scripts"))
    ver.set_defaults(func=cmd_verify)
    _restore_parser(actions)
    pr = actions.add_parser("prune", help=_("delete old backups by the retention policy ([backup] keep_*)"))
    _dest_arg(pr)
    pr.add_argument("--dry-run", action="store_true", help=_("show what would be deleted, delete nothing"))
    pr.add_argument("--json", action="store_true", help=_("print JSON for scripts"))
    pr.set_defaults(func=cmd_prune)


def _create_parser(actions: Subcommands) -> None:
    p = actions.add_parser("create", help=_("make a backup now and print the archive's path"),
                           description=_("Make a backup now. Prints the archive's path on stdout; progress "
                                         "goes to stderr."))
    _dest_arg(p)
    p.add_argument("--verify", action=argparse.BooleanOptionalAction, default=None,
                   help=_("verify the archive right after writing it (default: [backup] verify)"))
    p.add_argument("--json", action="store_true", help=_("print the result as JSON"))
    p.set_defaults(func=cmd_create)


def _restore_parser(actions: Subcommands) -> None:
    p = actions.add_parser(
        "restore", help=_("verify an archive, then put its data back (the current data is moved aside)"),
        description=_("Verify ARCHIVE, stop the assistant if trayapp runs it, move the current data aside "
                      "to a dated folder (never deleted), extract, start the assistant and check it is "
                      "healthy. Any failure puts the old data back."))
    _archive_arg(p)
    p.add_argument("--to", metavar="DIR", type=Path, help=_("extract into DIR/<source> instead of the original "
                     "places (the assistant is left alone)"))
    p.add_argument("--dry-run", action="store_true", help=_("verify and show what would happen, change nothing"))
    p.add_argument("--yes", "-y", action="store_true", help=_("do not ask for confirmation"))
    p.add_argument("--json", action="store_true", help=_("print the result as JSON"))
    p.set_defaults(func=cmd_restore)


def _dest_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dest", metavar="DIR", type=Path,
                   help=_("the backup folder (default: [backup] dest, else trayapp's backups folder)"))


def _archive_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("archive", metavar="ARCHIVE",
                   help=_("path to a .tar.gz, a name from `trayapp backup list`, or 'latest'"))
    _dest_arg(p)


def _context() -> tuple[AppPaths, Config, Journal]:
    from trayapp.cli.common import load_config
    from trayapp.cli.common import paths as discover
    from trayapp.journal import Journal

    paths = discover()
    config = load_config(paths)
    paths.ensure()
    return paths, config, Journal(paths.journal_file)


def cmd_create(args: argparse.Namespace) -> int:
    from trayapp.backup.service import run_backup

    paths, config, journal = _context()
    bar = ProgressBar(sys.stderr, enabled=not args.json)
    result = run_backup(config, paths, journal, dest=args.dest, progress=bar, verify=args.verify)
    bar.close()
    journal.flush()  # the journal writes on a daemon thread; the CLI exits right after
    if args.json:
        from trayapp.cli.output import print_json

        print_json(result.journal_fields())
        return 0 if result.ok else 1
    if not result.ok:
        raise BackupError(result.error or _("the backup failed"), fix=result.fix)
    for note in result.notes:
        print(_("note: {note}").format(note=words(note)), file=sys.stderr)
    print(result.path)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from trayapp.backup import catalog
    from trayapp.backup.service import destination
    from trayapp.cli.output import print_json, print_table
    from trayapp.units import format_ago, format_size

    paths, config, _journal = _context()
    folder = destination(config, paths, args.dest)
    backups = list(reversed(catalog.list_backups(folder)))
    now = time.time()
    if args.json:
        print_json([b.to_dict(now) for b in backups])
        return 0
    if not backups:
        print(_("no backups in {folder} yet; make one with `trayapp backup create`").format(folder=folder))
        return 0
    verified = {True: _("yes"), False: _("FAILED"), None: _("no")}
    print_table((_("NAME"), _("SIZE"), _("AGE"), _("VERIFIED")),
                [(b.name, format_size(b.size), format_ago(now - b.created), verified[b.verified])
                 for b in backups])
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from trayapp.backup.service import verify

    paths, config, _journal = _context()
    archive = resolve_archive(args.archive, config, paths, args.dest)
    bar = ProgressBar(sys.stderr, enabled=not args.json)
    report = verify(archive, bar)
    bar.close()
    if args.json:
        from trayapp.cli.output import print_json

        print_json(report.to_dict())
    elif report.ok:
        print(_("{archive}: OK ({files} and {databases} checked)").format(
            archive=archive.name, files=ngettext("{n} file", "{n} files", report.files).format(n=report.files),
            databases=ngettext("{n} database", "{n} databases", report.databases).format(n=report.databases)))
    else:
        print(_("{archive}: FAILED").format(archive=archive.name), file=sys.stderr)
        for problem in report.problems[:50]:
            print(f"  - {words(problem)}", file=sys.stderr)
    return 0 if report.ok else 1


def cmd_restore(args: argparse.Namespace) -> int:
    from trayapp.backup import restore
    from trayapp.backup.instance import ControlInstance
    from trayapp.backup.service import record_restore

    paths, config, journal = _context()
    archive = resolve_archive(args.archive, config, paths, args.dest)
    bar = ProgressBar(sys.stderr, enabled=not args.json)
    plan = restore.prepare(archive, config, paths, args.to, progress=bar)
    bar.close()
    for line in plan.describe():
        print(line, file=sys.stderr if args.json else sys.stdout)
    if args.dry_run:
        print(_("dry run: nothing was changed"), file=sys.stderr)
        return 0
    _confirm(args.yes)
    started = time.monotonic()
    result = restore.execute(plan, ControlInstance(paths))
    record_restore(journal, archive, result, time.monotonic() - started, args.to)
    journal.flush()
    _report_restore(result, args.json)
    return 0 if result.ok else 1


def _confirm(yes: bool) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        raise BackupError(_("a restore replaces data and needs a confirmation"), fix=_("run it again with --yes"))
    answer = input(_("Restore now? [y/N] ")).strip().lower()
    if answer not in ("y", "yes", _("y"), _("yes")):
        raise BackupError(_("restore cancelled; nothing was changed"))


def _report_restore(result: RestoreResult, as_json: bool) -> None:
    if as_json:
        from trayapp.cli.output import print_json

        print_json(result.to_dict())
        return
    out = sys.stdout if result.ok else sys.stderr
    print(_("restore finished") if result.ok else _("restore FAILED: {error}").format(error=words(result.error or "")), file=out)
    for target, aside in result.moved_aside.items():
        print("  " + _("the previous {target} is in {aside}").format(target=target, aside=aside), file=out)
    for note in result.notes:
        print(f"  {words(note)}", file=out)


def cmd_prune(args: argparse.Namespace) -> int:
    from trayapp.backup.service import prune_backups
    from trayapp.units import format_size

    paths, config, journal = _context()
    result = prune_backups(config, paths, journal, dest=args.dest, dry_run=args.dry_run)
    journal.flush()
    if args.json:
        from trayapp.cli.output import print_json

        print_json(result.to_dict())
        return 0
    each = _("would delete {name} ({size})") if args.dry_run else _("deleted {name} ({size})")
    for backup in result.deleted:
        print(each.format(name=backup.name, size=format_size(backup.size)))
    total = (_("would delete {n}, kept {kept}, would free {size}") if args.dry_run else
             _("deleted {n}, kept {kept}, freed {size}"))
    print(total.format(n=len(result.deleted), kept=len(result.kept), size=format_size(result.freed)))
    return 0


def resolve_archive(text: str, config: Config, paths: AppPaths, dest: Path | None) -> Path:
    """A path, a name in the backup folder, or "latest" -> an existing archive path."""
    from trayapp.backup import catalog
    from trayapp.backup.service import destination

    folder = destination(config, paths, dest)
    if text == "latest":
        backups = catalog.list_backups(folder)
        if not backups:
            raise BackupError(_("there are no backups in {folder}").format(folder=folder),
                              fix=_("make one with `trayapp backup create`"))
        return backups[-1].path
    for candidate in (Path(text).expanduser(), folder / text):
        if candidate.is_file():
            return candidate.absolute()
    raise BackupError(_("no backup named {name!r} (looked in the current folder and {folder})").format(
                          name=text, folder=folder),
                      fix=_("see `trayapp backup list` for the names"))


_PHASES = {"backup": N_("backing up"), "verify": N_("verifying"), "restore": N_("restoring")}


class ProgressBar:
    """Progress on stderr: a redrawn bar on a terminal, a plain line every 10% otherwise."""

    def __init__(self, stream: TextIO, enabled: bool = True, width: int = 30) -> None:
        self.stream, self.enabled, self.width = stream, enabled, width
        self.tty = enabled and stream.isatty()
        self._last_step = -1
        self._drawn = False

    def __call__(self, progress: Progress) -> None:
        if not self.enabled:
            return
        if self.tty:
            self._draw(progress)
            return
        step = int(progress.fraction * 10)
        if step != self._last_step:
            self._last_step = step
            print(self._text(progress), file=self.stream, flush=True)

    def _draw(self, progress: Progress) -> None:
        filled = int(progress.fraction * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r[{bar}] {self._text(progress)}\x1b[K")
        self.stream.flush()
        self._drawn = True

    @staticmethod
    def _text(progress: Progress) -> str:
        from trayapp.units import format_size

        phase = _(_PHASES[progress.phase]) if progress.phase in _PHASES else progress.phase
        return _("{phase}: {percent}% ({done} of {total})").format(
            phase=phase, percent=int(progress.fraction * 100), done=format_size(progress.done),
            total=format_size(progress.total))

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
