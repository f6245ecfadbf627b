"""Linux: XDG autostart entry, application-menu entry and hicolor icons for the current user.

Rendering (`render_entry`, `exec_value`, `parse_exec`, `read_entry`) is pure and follows the Desktop
Entry spec; `XdgAutostart` and `XdgMenu` turn the current state into a `Plan` that `plan.apply` writes.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from trayapp.autostart.entry import LaunchCommand
from trayapp.autostart.plan import MakeDir, Plan, Registry, RemoveEmptyDir, RemoveFile, RunCommand, WriteFile
from trayapp.autostart.status import AutostartStatus
from trayapp.errors import AutostartError
from trayapp.i18n import ENGLISH, N_, SUPPORTED, _, in_language

APP_ID = "trayapp"  # file name trayapp.desktop; also the icon theme name
ICON_NAME = "trayapp"
NAME = "trayapp"
COMMENT = N_("Keeps your personal AI assistant running")
GENERIC_NAME = N_("AI assistant supervisor")
ENV_PROGRAM = "/usr/bin/env"

# Desktop Entry spec, "The Exec key": an argument holding any of these must be quoted.
_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")
_ESCAPED_IN_QUOTES = set('"`$\\')


# --- quoting -------------------------------------------------------------------------------------

def quote_exec_arg(arg: str, *, force: bool = False) -> str:
    """One Exec argument: double-quoted when needed (or forced), with `%` doubled."""
    if force or not arg or any(c in _RESERVED for c in arg):
        arg = '"' + "".join("\\" + c if c in _ESCAPED_IN_QUOTES else c for c in arg) + '"'
    return arg.replace("%", "%%")


def escape_string(value: str) -> str:
    """The key-file escapes for a value of type string (applied after the Exec quoting)."""
    return (value.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")
            .replace("\r", "\\r"))


def unescape_string(value: str) -> str:
    out, chars = [], iter(value)
    for c in chars:
        if c == "\\":
            nxt = next(chars, "")
            out.append({"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}.get(nxt, "\\" + nxt))
        else:
            out.append(c)
    return "".join(out)


def exec_value(argv: Iterable[str]) -> str:
    """The Exec= value for `argv`; the program is always quoted, as the autostart spec's users expect."""
    args = list(argv)
    words = [quote_exec_arg(args[0], force=True), *(quote_exec_arg(a) for a in args[1:])]
    return escape_string(" ".join(words))


def parse_exec(value: str) -> list[str]:
    """The argv an Exec= value stands for (the inverse of `exec_value`)."""
    text, args, word, quoted, started = unescape_string(value), [], [], False, False
    chars = iter(text)
    for c in chars:
        if quoted and c == "\\":
            word.append(next(chars, ""))
        elif c == '"':
            quoted, started = not quoted, True
        elif c in " \t" and not quoted:
            if started:
                args.append("".join(word).replace("%%", "%"))
            word, started = [], False
        else:
            word.append(c)
            started = True
    if quoted:
        raise ValueError(f"unterminated quote in Exec={value}")
    if started:
        args.append("".join(word).replace("%%", "%"))
    return args


# --- rendering and reading -----------------------------------------------------------------------

def full_argv(command: LaunchCommand) -> tuple[str, ...]:
    """argv with extra environment put in front through env(1); a .desktop file cannot set variables."""
    if not command.env:
        return command.argv
    return (ENV_PROGRAM, *(f"{k}={v}" for k, v in sorted(command.env.items())), *command.argv)


def _translated(key: str, message: str) -> list[str]:
    """The key in every language trayapp speaks besides English ("Comment[zh_CN]=..."): the desktop
    shows the one of the user's session, whatever language trayapp ran in when it wrote the file."""
    lines = []
    for lang in SUPPORTED:
        said = in_language(lang, message)
        if lang != ENGLISH and said != message:
            lines.append(f"{key}[{lang}]={escape_string(said)}")
    return lines


def render_entry(command: LaunchCommand, *, autostart: bool) -> str:
    """A Desktop Entry for the login item (autostart=True) or the application menu."""
    lines = [
        "[Desktop Entry]",
        "Type=Application",
        f"Name={NAME}",
        f"GenericName={GENERIC_NAME}",
        *_translated("GenericName", GENERIC_NAME),
        f"Comment={COMMENT}",
        *_translated("Comment", COMMENT),
        f"Exec={exec_value(full_argv(command))}",
        f"TryExec={escape_string(command.program)}",
        f"Icon={ICON_NAME}",
        "Terminal=false",
        "StartupNotify=false",
    ]
    if autostart:
        # No X-GNOME-Autostart-Phase: with it, systemd-xdg-autostart-generator makes no unit at all.
        lines += ["X-GNOME-Autostart-enabled=true", "X-GNOME-Autostart-Delay=5",
                  "X-LXQt-Need-Tray=true", "X-KDE-autostart-after=panel"]
    else:
        lines += ["Categories=Utility;", "Keywords=assistant;nanobot;openclaw;tray;supervisor;"]
    return "\n".join(lines) + "\n"


def render_mask() -> str:
    """A user entry that hides a system-wide trayapp.desktop of the same name (spec: Hidden=true)."""
    return f"[Desktop Entry]\nType=Application\nName={NAME}\nHidden=true\n"


def read_entry(text: str) -> dict[str, str]:
    """The keys of the [Desktop Entry] group; later duplicates win, comments and other groups ignored."""
    fields: dict[str, str] = {}
    group = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            group = line[1:-1]
        elif group == "Desktop Entry" and "=" in line:
            key, _, value = line.partition("=")
            fields[key.strip()] = value.strip()
    return fields


def entry_state(fields: Mapping[str, str]) -> tuple[bool, str]:
    """Whether a session would start this entry, and why not."""
    if fields.get("Hidden", "").lower() == "true":
        return False, _("the entry has Hidden=true")
    if fields.get("X-GNOME-Autostart-enabled", "").lower() == "false":
        return False, _("the entry has X-GNOME-Autostart-enabled=false (switched off in the desktop's settings)")
    try_exec = unescape_string(fields.get("TryExec", ""))
    if try_exec and not _runnable(try_exec):
        return False, _("its program {program} is missing or not executable, so the session skips it").format(
            program=try_exec)
    return True, _("starts at login")


def _runnable(program: str) -> bool:
    if "/" not in program:
        from shutil import which

        return which(program) is not None
    return os.path.isfile(program) and os.access(program, os.X_OK)


# --- locations -----------------------------------------------------------------------------------

def _home(environ: Mapping[str, str]) -> Path:
    return Path(environ.get("HOME") or Path.home())


def _base(environ: Mapping[str, str], var: str, default: str) -> Path:
    value = environ.get(var, "")
    return Path(value) if value.startswith("/") else _home(environ) / default  # spec: relative = invalid


def config_home(environ: Mapping[str, str]) -> Path:
    return _base(environ, "XDG_CONFIG_HOME", ".config")


def data_home(environ: Mapping[str, str]) -> Path:
    return _base(environ, "XDG_DATA_HOME", ".local/share")


def system_autostart_dirs(environ: Mapping[str, str]) -> list[Path]:
    dirs = [d for d in environ.get("XDG_CONFIG_DIRS", "").split(":") if d.startswith("/")]
    return [Path(d) / "autostart" for d in dirs or ["/etc/xdg"]]


# --- autostart -----------------------------------------------------------------------------------

class XdgAutostart:
    """~/.config/autostart/trayapp.desktop (honouring XDG_CONFIG_HOME). Thread: any; blocking file I/O."""

    platform = "linux"
    registry: Registry | None = None  # only Windows keeps its login item in a registry

    def __init__(self, command: LaunchCommand, environ: Mapping[str, str]) -> None:
        self.command = command
        self.environ = environ
        self.path = config_home(environ) / "autostart" / f"{APP_ID}.desktop"

    def plan_enable(self) -> Plan:
        return Plan(self.platform, "enable", (
            MakeDir(self.path.parent, 0o700),  # XDG base dir spec: create missing dirs 0700
            WriteFile(self.path, render_entry(self.command, autostart=True), 0o644),
        ))

    def plan_disable(self) -> Plan:
        system = self._system_entry()
        if system is not None:
            note = _("a system-wide {path} exists; a Hidden=true entry of the same name masks it").format(path=system)
            mask = (MakeDir(self.path.parent, 0o700), WriteFile(self.path, render_mask(), 0o644))
            return Plan(self.platform, "disable", mask, (note,))
        actions = (RemoveFile(self.path), RemoveEmptyDir(self.path.parent)) if self.path.exists() else ()
        return Plan(self.platform, "disable", actions)

    def status(self) -> AutostartStatus:
        path = self.path if self.path.exists() else self._system_entry()
        if path is None:
            return AutostartStatus("linux", False, str(self.path), _("no autostart entry"))
        try:
            fields = read_entry(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            return AutostartStatus("linux", False, str(path), _("cannot read the entry: {error}").format(error=exc))
        enabled, why = entry_state(fields)
        command = _entry_command(fields)
        return AutostartStatus("linux", enabled, str(path), why, command,
                               {"system_wide": path != self.path})

    def _system_entry(self) -> Path | None:
        for folder in system_autostart_dirs(self.environ):
            candidate = folder / f"{APP_ID}.desktop"
            if candidate.exists():
                return candidate
        return None


def _entry_command(fields: Mapping[str, str]) -> tuple[str, ...] | None:
    try:
        return tuple(parse_exec(fields["Exec"])) if "Exec" in fields else None
    except ValueError:
        return None


# --- application menu and icons ------------------------------------------------------------------

_PNG_NAME = re.compile(rf"{ICON_NAME}-(\d+)\.png")


def png_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a PNG header, or None when `data` is not a PNG."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def find_icons(folders: Iterable[Path]) -> dict[str, Path]:
    """Icon files named trayapp-<N>.png (square, N px) and trayapp.svg, keyed "NxN" / "scalable"."""
    found: dict[str, Path] = {}
    for folder in folders:
        for path in sorted(folder.rglob("*")) if folder.is_dir() else ():
            match = _PNG_NAME.fullmatch(path.name)
            if match and png_size(path.read_bytes()) == (int(match[1]),) * 2:
                found.setdefault(f"{match[1]}x{match[1]}", path)
            elif path.name == f"{ICON_NAME}.svg":
                found.setdefault("scalable", path)
    return found


def default_icon_folders() -> list[Path]:
    """Package data first (wheels), then the checkout's assets/ (editable and source installs)."""
    package = Path(__file__).resolve().parent.parent
    return [package / "assets", package.parent / "assets"]


def drawn_icons() -> Path:
    """The icons drawn from trayapp's own definition (pillow) into the user's cache folder."""
    import platformdirs

    from trayapp.paths import private_dir
    from trayapp.tray.icons import export

    folder = private_dir(Path(platformdirs.user_cache_dir("trayapp", appauthor=False)) / "icons")
    if not (folder / f"{ICON_NAME}.svg").exists():
        export(folder)
    return folder


class XdgMenu:
    """~/.local/share/applications/trayapp.desktop and hicolor icons (honouring XDG_DATA_HOME)."""

    platform = "linux"

    def __init__(self, command: LaunchCommand, environ: Mapping[str, str],
                 icon_folders: Iterable[Path] | None = None) -> None:
        self.command = command
        self.apps = data_home(environ) / "applications"
        self.path = self.apps / f"{APP_ID}.desktop"
        self.hicolor = data_home(environ) / "icons" / "hicolor"
        self.icon_folders = list(icon_folders) if icon_folders is not None else default_icon_folders()

    def plan_install(self) -> Plan:
        icons = find_icons(self.icon_folders)
        if "48x48" not in icons or "scalable" not in icons:
            icons = find_icons([drawn_icons()])  # a wheel has no assets/: draw them from the definition
        if "48x48" not in icons or "scalable" not in icons:
            looked = ", ".join(str(f) for f in self.icon_folders)
            raise AutostartError(_("the trayapp icons (trayapp-48.png and trayapp.svg at least) are not in {folders}").format(
                                     folders=looked),
                                 fix=_("reinstall trayapp, or pass --icons DIR naming the folder that holds them"))
        actions: list = [MakeDir(self.apps, 0o700),
                         WriteFile(self.path, render_entry(self.command, autostart=False), 0o644)]
        for size, source in sorted(icons.items()):
            target = self.hicolor / size / "apps" / (f"{ICON_NAME}.svg" if size == "scalable" else f"{ICON_NAME}.png")
            actions += [MakeDir(target.parent, 0o755), WriteFile(target, source.read_bytes(), 0o644, source)]
        return Plan(self.platform, "install-menu", (*actions, *self._refresh()))

    def plan_uninstall(self) -> Plan:
        ours = [self.path, *self.hicolor.glob(f"*/apps/{ICON_NAME}.png"), *self.hicolor.glob(f"*/apps/{ICON_NAME}.svg")]
        actions = tuple(RemoveFile(p) for p in ours if p.exists())
        return Plan(self.platform, "uninstall-menu", (*actions, *self._refresh()) if actions else ())

    def installed(self) -> bool:
        return self.path.exists()

    def _refresh(self) -> tuple[RunCommand, ...]:
        """Refresh caches only where they already exist: creating them would leave a trace of our own."""
        steps = []
        if (self.hicolor / "icon-theme.cache").exists():
            steps.append(RunCommand(("gtk-update-icon-cache", "-f", "-t", str(self.hicolor)), False,
                                    _("an icon cache exists there and would hide new icons")))
        if (self.apps / "mimeinfo.cache").exists():
            steps.append(RunCommand(("update-desktop-database", str(self.apps)), False,
                                    _("keep the desktop database current")))
        return tuple(steps)
