"""`trayapp add NAME -- COMMAND...` and `trayapp remove NAME`: edit config.toml, check it, apply it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from trayapp.i18n import N_, _
from trayapp.cli.common import paths
from trayapp.cli.output import print_json
from trayapp.config.presets import PRESETS
from trayapp.paths import AppPaths


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("add", help=_("add a program to config.toml"),
                       description=_("Add [programs.NAME] to config.toml (your comments and layout are kept), "
                                     "check the whole file, then ask a running trayapp to reload it. "
                                     "Example: trayapp add ollama --health-url http://127.0.0.1:11434/ -- "
                                     "ollama serve"))
    p.add_argument("name", help=_("the program's name in config.toml (letters, digits, '-', '_', '.')"))
    p.add_argument("--cwd", help=_("folder to run it in"))
    p.add_argument("--env", action="append", default=[], metavar="K=V", help=_("an environment variable for it; "
                     "repeat for several"))
    p.add_argument("--health-url", metavar="URL", help=_("an http(s) URL that answers while it is healthy"))
    p.add_argument("--restart", choices=("always", "on-failure", "never"), help=_("when to restart it "
                     "(default on-failure)"))
    p.add_argument("--preset", choices=tuple(PRESETS), help=_("a known assistant's defaults (command, health, "
                     "data folders)"))
    p.add_argument("--json", action="store_true", help=_("machine-readable result"))
    p.set_defaults(func=add, takes_command=True)
    p.usage = "trayapp add NAME [" + _("options") + "] -- COMMAND [ARGS...]"
    p = sub.add_parser("remove", help=_("remove a program from config.toml"),
                       description=_("Remove [programs.NAME] (and its sub-tables) from config.toml, keeping "
                                     "everything else as it is, then ask a running trayapp to reload it."))
    p.add_argument("name", help=_("the program's name in config.toml"))
    p.add_argument("--json", action="store_true", help=_("machine-readable result"))
    p.set_defaults(func=remove)


def add(args: argparse.Namespace) -> int:
    from trayapp.config.edit import add_program

    table = program_table(args)
    where = paths()
    new = add_program(_read(where.config_file), args.name, table)
    return _save_and_apply(where, new, args, _("added {name} to {path}").format(name=args.name, path=where.config_file))


def remove(args: argparse.Namespace) -> int:
    from trayapp.config.edit import remove_program

    where = paths()
    new = remove_program(_read(where.config_file), args.name)
    return _save_and_apply(where, new, args, _("removed {name} from {path}").format(
        name=args.name, path=where.config_file))


def program_table(args: argparse.Namespace) -> dict[str, Any]:
    """The [programs.NAME] keys the options name, in the order a person would write them."""
    from trayapp.errors import ConfigError

    if not args.command_argv and not args.preset:
        raise ConfigError(_("no command to run"), fix=_("put it after --, e.g. `{example}`; or name a --preset").format(
            example=f"trayapp add {args.name} -- ollama serve"))
    table: dict[str, Any] = {"preset": args.preset} if args.preset else {}
    if args.command_argv:
        table["command"] = list(args.command_argv)
    if args.cwd:
        table["cwd"] = args.cwd if args.cwd.startswith(("~", "$")) else str(Path(args.cwd).resolve())
    if args.env:
        table["env"] = _env_pairs(args.env)
    if args.restart:
        table["restart"] = args.restart
    if args.health_url:
        table["health"] = {"url": args.health_url}
    return table


def _env_pairs(given: list[str]) -> dict[str, str]:
    from trayapp.errors import ConfigError

    pairs = {}
    for item in given:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(_("--env {item!r} is not NAME=VALUE").format(item=item),
                              fix=_("write it as --env OLLAMA_HOST=127.0.0.1"))
        pairs[key.strip()] = value
    return pairs


def _read(path: Path) -> str:
    from trayapp.errors import ConfigError

    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(_("cannot read {path}: {error}").format(path=path, error=exc),
                          fix=_("check the file's permissions and encoding (UTF-8)")) from exc


def _save_and_apply(where: AppPaths, text: str, args: argparse.Namespace, done: str) -> int:
    """Check the new text as trayapp would read it (nothing is written when it has a problem),
    write it atomically, then apply it."""
    from trayapp import config
    from trayapp.atomic import atomic_write
    from trayapp.paths import private_dir

    config.parse(text, source=where.config_file)
    _refuse_link(where.config_file)
    private_dir(where.config_file.parent)
    atomic_write(where.config_file, text)
    applied = apply(where)
    if args.json:
        print_json({"program": args.name, "config": str(where.config_file), "applied": applied})
    else:
        print(_("{done}; {applied}").format(done=done, applied=_(_APPLIED[applied])))
    return 0


def _refuse_link(path: Path) -> None:
    """Replacing a linked config.toml (dotfiles kept elsewhere) would cut the link: leave it to the user."""
    from trayapp.errors import ConfigError

    if path.is_symlink():
        raise ConfigError(_("{path} is a link to {target}; trayapp does not rewrite files through links").format(
                              path=path, target=path.resolve()),
                          fix=_("make the change in that file by hand, then run `trayapp config check`"))


_APPLIED = {
    "reloaded": N_("the running trayapp reloaded it"),
    "restart": N_("restart trayapp to apply it (this trayapp cannot reload its config)"),
    "next_start": N_("trayapp is not running: the change applies when it next starts"),
}


def apply(where: AppPaths) -> str:
    """Ask a running instance to reload: "reloaded", "restart" (it cannot) or "next_start" (none runs)."""
    from trayapp import control
    from trayapp.errors import ControlError, NotRunningError

    try:
        control.request(where, "reload", timeout=30)
    except NotRunningError:
        return "next_start"
    except ControlError as exc:
        if "unknown command" in str(exc):
            return "restart"
        raise ControlError(_("config.toml is saved, but the running trayapp could not reload it: {error}").format(
                               error=exc.message), fix=_("restart trayapp to apply it")) from exc
    return "reloaded"
