"""`trayapp export systemd|launchd`: hand the assistant over to the system's service manager."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trayapp.config import Config, ProgramConfig
    from trayapp.paths import AppPaths
from trayapp.i18n import _


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "export", help=_("write a systemd user unit or launchd agent for the assistant (headless servers)"),
        description=_("Render the assistant as a service of systemd --user or launchd, with trayapp's "
                      "restart, backoff, stop and memory policy. Prints to stdout unless --output is given; "
                      "afterwards point trayapp at it with [programs.NAME.attach]."))
    kinds = parser.add_subparsers(dest="export_kind", metavar="MANAGER", required=True)
    for kind, text, long in (
            ("systemd", _("a systemd --user unit (Linux)"),
             _("Write a systemd --user unit (Linux) for one program of config.toml.")),
            ("launchd", _("a LaunchAgent plist (macOS)"),
             _("Write a LaunchAgent plist (macOS) for one program of config.toml."))):
        p = kinds.add_parser(kind, help=text, description=long)
        p.add_argument("--output", "-o", type=Path, metavar="FILE",
                       help=_("write the file atomically here instead of printing it"))
        p.add_argument("--program", metavar="NAME", help=_("which [programs.NAME] (default: the assistant)"))
        p.set_defaults(func=_export)


def _export(args: argparse.Namespace) -> int:
    from trayapp import export
    from trayapp.config import load
    from trayapp.paths import AppPaths

    paths = AppPaths.discover()
    program = _pick(load(paths.config_file), args.program)
    resolved = export.resolve(program, home=export.environ_home(os.environ),
                              base_path=export.MAC_PATH if args.export_kind == "launchd" else export.BASE_PATH)
    if args.export_kind == "systemd":
        data: str | bytes = export.render_systemd(program, resolved)
        name = export.exported_unit(program.name)
    else:
        data = export.render_launchd(program, resolved, log_dir=_log_dir(paths))
        name = export.exported_label(program.name)
    notes = export.gaps(program, args.export_kind)
    if not resolved.found:
        notes.insert(0, _("{command} is not on your PATH; the file names it as written").format(
            command=repr(program.command[0])))
    return _emit(args, program.name, name, data, notes, export.file_mode(program))


def _pick(config: Config, name: str | None) -> ProgramConfig:
    from trayapp.errors import ConfigError

    programs = config.programs
    if name is None:
        return config.assistant
    if name not in programs:
        raise ConfigError(_("there is no [programs.{name}] in the config").format(name=name),
                          fix=_("use one of: {names}").format(names=", ".join(programs)))
    return programs[name]


def _log_dir(paths: AppPaths) -> Path:
    """The macOS log folder, also when previewing the plist from another platform."""
    from trayapp.autostart import PLATFORM, macos_log_dir

    return paths.log_dir if PLATFORM == "macos" else macos_log_dir(os.environ, Path.home())


def _emit(args: argparse.Namespace, program: str, name: str, data: str | bytes,
          notes: list[str], mode: int) -> int:
    if args.output is None:
        sys.stdout.write(data.decode("utf-8") if isinstance(data, bytes) else data)
        sys.stdout.flush()
    else:
        _write(args.output, data, mode)
        print(_("wrote {path} (mode {mode})").format(path=args.output, mode=f"{mode:04o}"))
        print(_next_steps(args.export_kind, program, name, args.output))
    for note in notes:
        print(_("trayapp: note: {note}").format(note=note), file=sys.stderr)
    return 0


def _write(path: Path, data: str | bytes, mode: int) -> None:
    from trayapp.atomic import atomic_write
    from trayapp.errors import TrayAppError

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, data, mode=mode)
    except OSError as exc:
        raise TrayAppError(_("cannot write {path}: {error}").format(path=path, error=exc.strerror or exc),
                           fix=_("choose a folder you can write to, or leave out --output to print it")) from exc


def _next_steps(kind: str, program: str, name: str, output: Path) -> str:
    if kind == "systemd":
        start = (f"  systemctl --user daemon-reload && systemctl --user enable --now {name}"
                 if output.parent == Path.home() / ".config" / "systemd" / "user"
                 else f"  cp {output} ~/.config/systemd/user/ && systemctl --user daemon-reload "
                      f"&& systemctl --user enable --now {name}")
        key = "systemd_user"
    else:
        start = f"  launchctl bootstrap gui/$(id -u) {output}"
        key = "launchd"
    return (_("next:") + f"\n{start}\n" +
            _("then in config.toml, so trayapp watches it instead of starting a second copy:") +
            f'\n  [programs.{program}.attach]\n  {key} = "{name}"')
