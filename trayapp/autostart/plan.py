"""What enabling or disabling the login item does, as data: shown by --dry-run, applied otherwise.

Every backend first builds a `Plan` (pure, from the current state) and `apply()` carries it out, so a
preview is exactly what would happen: the same file contents, the same commands, the same values.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from trayapp.atomic import atomic_write
from trayapp.procs import CommandRunner
from trayapp.errors import AutostartError
from trayapp.i18n import _, ngettext


@dataclass(frozen=True)
class MakeDir:
    path: Path
    mode: int = 0o755

    def describe(self) -> str:
        return f"mkdir -p -m {self.mode:04o} {self.path}"


@dataclass(frozen=True)
class WriteFile:
    path: Path
    content: str | bytes
    mode: int = 0o644
    source: Path | None = None  # where binary content (an icon) comes from, for the preview

    def describe(self) -> str:
        mode = f"{self.mode:04o}"
        if isinstance(self.content, bytes) and self.source is not None:
            digest = hashlib.sha256(self.content).hexdigest()[:16]
            return _("write {path} (mode {mode}): copy of {source}, {size} bytes, sha256 {digest}...").format(
                path=self.path, mode=mode, source=self.source, size=len(self.content), digest=digest)
        text = self.content.decode("utf-8") if isinstance(self.content, bytes) else self.content
        return _("write {path} (mode {mode}):").format(path=self.path, mode=mode) + f"\n{text.rstrip()}\n" + _(
            "--- end of {name}").format(name=self.path.name)


@dataclass(frozen=True)
class RemoveFile:
    path: Path

    def describe(self) -> str:
        return f"rm -f {self.path}"


@dataclass(frozen=True)
class RemoveEmptyDir:
    """Undo a MakeDir of a shared folder only when nothing else lives there."""

    path: Path

    def describe(self) -> str:
        return f"rmdir {self.path}    # " + _("only if empty")


@dataclass(frozen=True)
class RunCommand:
    argv: tuple[str, ...]
    required: bool = True  # a failure of an optional command is a warning, not an error
    why: str = ""

    def describe(self) -> str:
        tail = f"    # {self.why}" if self.why else ""
        return _("run: {command}").format(command=" ".join(_shell_word(a) for a in self.argv)) + tail


@dataclass(frozen=True)
class SetRegistryValue:
    key: str  # under HKEY_CURRENT_USER
    name: str
    value: str  # REG_SZ

    def describe(self) -> str:
        return _("set {value} (REG_SZ) = {data}").format(value=f"HKCU\\{self.key}\\{self.name}", data=self.value)


@dataclass(frozen=True)
class DeleteRegistryValue:
    key: str
    name: str

    def describe(self) -> str:
        return _("delete {value}").format(value=f"HKCU\\{self.key}\\{self.name}")


Action = MakeDir | WriteFile | RemoveFile | RemoveEmptyDir | RunCommand | SetRegistryValue | DeleteRegistryValue


@dataclass(frozen=True)
class Plan:
    platform: str
    what: str  # "enable", "disable", "install-menu", ...
    actions: tuple[Action, ...]
    notes: tuple[str, ...] = field(default=())

    def describe(self) -> str:
        """The --dry-run text: every action in order, file contents in full."""
        steps = len(self.actions)
        lines = ["# " + ngettext("trayapp autostart {what} on {platform}: {n} step",
                                 "trayapp autostart {what} on {platform}: {n} steps", steps).format(
            what=self.what, platform=self.platform, n=steps)]
        lines += ["# " + _("note: {note}").format(note=n) for n in self.notes]
        lines += [a.describe() for a in self.actions] or ["# " + _("nothing to do: already in that state")]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {"platform": self.platform, "what": self.what, "notes": list(self.notes),
                "actions": [_action_dict(a) for a in self.actions]}


def _action_dict(action: Action) -> dict[str, Any]:
    data: dict[str, Any] = {"do": type(action).__name__}
    for name, value in vars(action).items():
        if isinstance(value, bytes):
            value = {"bytes": len(value), "sha256": hashlib.sha256(value).hexdigest()}
        elif isinstance(value, Path):
            value = str(value)
        elif isinstance(value, tuple):
            value = list(value)
        elif name == "mode":
            value = f"{value:04o}"
        data[name] = value
    return data


def _shell_word(word: str) -> str:
    safe = all(c.isalnum() or c in "@%+=:,./-_" for c in word)
    return word if word and safe else "'" + word.replace("'", "'\\''") + "'"


class Registry(Protocol):
    """HKEY_CURRENT_USER values; the real one wraps winreg, tests pass a dict-backed fake."""

    def get(self, key: str, name: str) -> object | None: ...

    def set_string(self, key: str, name: str, value: str) -> None: ...

    def delete(self, key: str, name: str) -> None: ...


def apply(plan: Plan, runner: CommandRunner, registry: Registry | None = None) -> list[str]:
    """Carry out `plan` in order. Returns warnings; raises AutostartError on the first hard failure."""
    warnings: list[str] = []
    for action in plan.actions:
        try:
            warning = _apply_one(action, runner, registry)
        except OSError as exc:
            raise AutostartError(_("could not carry out “{step}”: {error}").format(
                                     step=action.describe().splitlines()[0].rstrip(":："), error=exc.strerror or exc),
                                 fix=_("check that the folder exists and belongs to you")) from exc
        if warning:
            warnings.append(warning)
    return warnings


def _apply_one(action: Action, runner: CommandRunner, registry: Registry | None) -> str | None:
    if isinstance(action, MakeDir):
        action.path.mkdir(mode=action.mode, parents=True, exist_ok=True)
    elif isinstance(action, WriteFile):
        atomic_write(action.path, action.content, mode=action.mode)
    elif isinstance(action, RemoveFile):
        action.path.unlink(missing_ok=True)
    elif isinstance(action, RemoveEmptyDir):
        _rmdir_if_empty(action.path)
    elif isinstance(action, RunCommand):
        return _run(action, runner)
    elif registry is None:
        raise AutostartError(_("the Windows registry is not available here"), fix=_("run this on Windows"))
    elif isinstance(action, SetRegistryValue):
        registry.set_string(action.key, action.name, action.value)
    else:
        registry.delete(action.key, action.name)
    return None


def _rmdir_if_empty(path: Path) -> None:
    try:
        path.rmdir()
    except OSError:  # not empty, or already gone: either way nothing of ours is left
        pass


def _run(action: RunCommand, runner: CommandRunner) -> str | None:
    result = runner.run(action.argv)
    if result.ok:
        return None
    said = (result.stderr or result.stdout).strip() or _("exit status {code}").format(code=result.returncode)
    message = _("`{command}` failed: {error}").format(command=" ".join(action.argv), error=said)
    if action.required:
        raise AutostartError(message, fix=_("see the message above; `trayapp autostart status` shows the state"))
    return message

