"""Where a symlink in a restored folder really leads.

Reading a link's target lexically is not enough: `m/n/o -> ..` followed by `m/n/o/o2 -> ../../x`
each look inside their folder, yet o2 leads one level above it. So links are followed the way the
operating system follows them, one path component at a time, and a path that ever steps above
its folder (or names an absolute target, or loops) is refused. The same walk serves verify (links
known from the archive's members) and extraction (links read from the staging folder).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

from trayapp.i18n import N_
from trayapp.message import Message

# Linux gives up after 40 links in one lookup (ELOOP); a deeper chain is refused, never followed.
MAX_HOPS = 40

ReadLink = Callable[[str], "str | None"]  # "a/b" (relative to the folder) -> its target, None if not a link


def escape_reason(rel: str, readlink: ReadLink) -> Message | None:
    """Why following `rel` (a path inside one folder) leaves that folder; None when it stays inside."""
    done: list[str] = []
    todo = list(reversed(rel.split("/")))
    hops = 0
    while todo:
        part = todo.pop()
        if part in ("", "."):
            continue
        if part == "..":
            if not done:
                return Message(N_("it leads above its folder"))
            done.pop()
            continue
        target = readlink("/".join([*done, part]))
        if target is None:
            done.append(part)
            continue
        hops += 1
        if hops > MAX_HOPS:
            return Message(N_("it goes round a loop of symlinks"))
        if target.startswith("/") or os.path.isabs(target):
            return Message(N_("it leads to the absolute path {target}"), target=repr(target))
        todo.extend(reversed(target.split("/")))
    return None


def link_above(name: str, symlinks: Mapping[str, str]) -> str | None:
    """The symlink among `symlinks` (member names) that is a parent folder of `name`, if any."""
    parts = name.split("/")
    return next((p for i in range(1, len(parts)) if (p := "/".join(parts[:i])) in symlinks), None)


def on_disk(root: Path) -> ReadLink:
    """A ReadLink for a real folder: lstat only, so nothing is followed while looking."""
    def readlink(rel: str) -> str | None:
        path = root / rel
        return os.readlink(path) if path.is_symlink() else None
    return readlink


def in_members(links: Mapping[str, str], label: str) -> ReadLink:
    """A ReadLink over an archive's symlink members (`label/a/b` -> target), for one label."""
    return lambda rel: links.get(f"{label}/{rel}")
