"""Adding and removing a [programs.NAME] table in config.toml text, keeping the user's layout.

Every other byte of the file stays as the user wrote it: a new program is appended at the end (TOML
allows [programs.NAME] anywhere), and a removed one loses only its own tables and the comment lines
right above them. Each edit is then checked by parsing both texts: the new document must equal
the old one plus (or minus) that program, or the edit is redone with tomlkit, which keeps comments
inside tables but may move the ones between them. Pure: text in, text out.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from typing import Any

import tomlkit

from trayapp.config.presets import DEFAULT_PRESET
from trayapp.errors import ConfigError
from trayapp.i18n import _

# A table header line: [a.b] or [[a.b]], with an optional comment after it.
_HEADER = re.compile(r"^\s*\[\[?(?P<key>[^\[\]]+)\]\]?\s*(#.*)?$")
_FILLER = re.compile(r"^\s*(#.*)?$")  # a blank or comment-only line


def add_program(text: str, name: str, table: Mapping[str, Any]) -> str:
    """`text` with [programs.NAME] = `table` appended. When the file names no program, the
    assistant it runs now (the default preset) is written too, so adding one does not drop it."""
    old = _load(text)
    if name in old.get("programs", {}):
        raise ConfigError(_("a program named {name!r} is already in config.toml").format(name=name),
                          fix=_("pick another name, or run `trayapp remove {name}` first").format(name=name))
    programs: dict[str, Any] = {}
    if "programs" not in old and name != "assistant":
        programs["assistant"] = {"preset": DEFAULT_PRESET}
    programs[name] = {key: _inline(value) for key, value in table.items()}
    addition = tomlkit.dumps({"programs": programs}).lstrip("\n")
    new = text + ("" if text.endswith("\n") or not text else "\n") + ("\n" if text.strip() else "") + addition
    expected = {**old, "programs": {**old.get("programs", {}), **programs}}
    if _load(new) != expected:
        raise ConfigError(_("could not add the program without changing anything else in config.toml"),
                          fix=_("add a [programs.{name}] table by hand, then run `trayapp config check`").format(
                              name=name))
    return new


def _inline(value: Any) -> Any:
    """A small table of strings (env) reads best on one line: env = { K = "v" }."""
    if isinstance(value, Mapping) and all(isinstance(v, str) for v in value.values()) and len(value) <= 4:
        inline = tomlkit.inline_table()
        inline.update(value)
        return inline
    return value


def remove_program(text: str, name: str) -> str:
    """`text` without [programs.NAME] and its sub-tables; ConfigError when it has none."""
    old = _load(text)
    if name not in old.get("programs", {}):
        known = ", ".join(old.get("programs", {})) or _("none")
        raise ConfigError(_("no program named {name!r} in config.toml (programs: {programs})").format(
            name=name, programs=known), fix=_("`trayapp status` lists the programs by name"))
    if len(old["programs"]) == 1:
        raise ConfigError(_("{name} is the only program in config.toml, and trayapp needs one to look after").format(
            name=name), fix=_("add the other one first (`trayapp add`), or stop this one: `trayapp stop {name}`").format(
                name=name))
    expected = {**old, "programs": {k: v for k, v in old["programs"].items() if k != name}}
    new = _cut_tables(text, ("programs", name))
    if _load(new) == expected:
        return new
    return _cut_with_tomlkit(text, name, expected)


def _load(text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_("config.toml is not valid TOML: {cause}").format(cause=exc),
                          fix=_("correct the line named above (`trayapp config check`), then try again")) from exc


def _cut_tables(text: str, prefix: tuple[str, ...]) -> str:
    """Drop every table whose header starts with `prefix`, with the comment lines just above it.
    Comment lines at the end of a removed table are kept when another table follows them: they
    introduce that one."""
    lines = text.splitlines(keepends=True)
    keep: list[str] = []
    pending: list[str] = []  # blank and comment lines met while cutting
    cutting = False
    for line in lines:
        key = _header_key(line)
        if key is not None and key[:len(prefix)] == prefix:
            _drop_trailing_comments(keep)
            cutting, pending = True, []
        elif key is not None and cutting:
            keep += pending
            cutting = False
        if not cutting:
            keep.append(line)
        elif key is None:
            pending = pending + [line] if _FILLER.match(line) else []
    return _tidy(keep, lines)


def _drop_trailing_comments(keep: list[str]) -> None:
    """The comment lines directly above a removed header describe it: they go with it; unless
    they open the file, where they speak of the whole file."""
    start = len(keep)
    while start and keep[start - 1].strip().startswith("#"):
        start -= 1
    if start:
        del keep[start:]


def _tidy(keep: list[str], original: list[str]) -> str:
    """No run of blank lines longer than the file had before."""
    text = "".join(keep)
    if original and original[0].strip():
        text = text.lstrip("\n")
    longest = max((len(m) for m in re.findall(r"\n+", "".join(original))), default=1)
    return re.sub(r"\n{%d,}" % (longest + 1), "\n" * longest, text)


def _header_key(line: str) -> tuple[str, ...] | None:
    match = _HEADER.match(line)
    if match is None:
        return None
    try:
        parsed: Any = tomllib.loads(f"[{match.group('key')}]")
    except tomllib.TOMLDecodeError:
        return None  # e.g. a line of a multi-line array; not a header
    key: list[str] = []
    while isinstance(parsed, dict) and len(parsed) == 1:
        name = next(iter(parsed))
        key.append(name)
        parsed = parsed[name]
    return tuple(key)


def _cut_with_tomlkit(text: str, name: str, expected: dict[str, Any]) -> str:
    doc = tomlkit.parse(text)
    programs = doc["programs"]
    assert isinstance(programs, dict)
    del programs[name]
    new = tomlkit.dumps(doc)
    if _load(new) != expected:
        raise ConfigError(_("could not remove {name!r} without changing anything else in config.toml").format(
            name=name), fix=_("delete its [programs.{name}] tables by hand, then run `trayapp config check`").format(
                name=name))
    return new
