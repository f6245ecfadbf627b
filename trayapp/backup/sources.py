"""What a backup holds: the source folders, the files in them, excludes, and SQLite detection.

Sources: trayapp's own config file, the assistant's data dirs (from its preset or config), its
config file when that lives elsewhere, `[backup] paths`, and trayapp's logs when
`include_logs = true`. Each source gets a short label that becomes its folder in the archive.

Excludes are globs. One without "/" matches a file or folder name anywhere ("node_modules");
one with "/" matches the path below the source ("groups/*/logs"); `include` globs win over
excludes. SQLite databases are found by extension *and* by their 16-byte header; their -wal,
-shm and -journal files are never copied raw (the online backup copy already holds their data).
"""

from __future__ import annotations

import fnmatch
import os
import re
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from trayapp.backup import links
from trayapp.config import Config, ProgramConfig
from trayapp.paths import AppPaths
from trayapp.i18n import N_
from trayapp.message import Message

SQLITE_HEADER = b"SQLite format 3\x00"
SQLITE_EXTENSIONS = (".db", ".sqlite", ".sqlite3", ".db3")
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")

DEFAULT_EXCLUDES: tuple[str, ...] = (
    # caches
    "cache", ".cache", "caches", "Cache", "Caches", "__pycache__", "*.pyc", ".pytest_cache",
    # temporary files
    "tmp", ".tmp", "temp", "*.tmp", "*.temp", "*.swp", "*~",
    # runtime lock and pid files
    "*.lock", "*.lck", "LOCK", "lock", ".~lock.*", "*.pid", "*.sock",
    # installed dependencies: reinstallable, and often huge
    "node_modules",
    # trayapp's own work files
    ".trayapp-*",
)
# Rotated logs are left out unless [backup] include_logs = true.
ROTATED_LOGS: tuple[str, ...] = ("*.log.[0-9]*", "*.log.gz", "*.[0-9].log", "*.log.old")
# "*.lock" means runtime locks; these dependency lock files are project data and stay in.
DEFAULT_INCLUDES: tuple[str, ...] = (
    "Cargo.lock", "poetry.lock", "yarn.lock", "Gemfile.lock", "Pipfile.lock", "composer.lock",
    "flake.lock", "uv.lock", "pdm.lock", "bun.lock", "mix.lock", "Podfile.lock",
)


@dataclass(frozen=True)
class Source:
    """A folder or file the user wants back, stored under `label` in the archive."""

    label: str
    path: Path
    kind: str  # "dir" | "file"
    role: str  # "config" | "assistant" | "extra" | "logs"

    def to_dict(self) -> dict[str, str]:
        return {"label": self.label, "path": str(self.path), "kind": self.kind, "role": self.role}


@dataclass(frozen=True, slots=True)  # slots: a plan may hold hundreds of thousands of these
class Item:
    """One thing to put in the archive."""

    source: Source
    path: Path  # where it is on disk
    arcname: str  # "label/relative/path"
    kind: str  # "dir" | "file" | "symlink" | "sqlite"
    size: int = 0
    mode: int = 0o600
    mtime: float = 0.0
    target: str | None = None  # symlinks only


@dataclass
class Plan:
    """Everything a backup will read, decided before any byte is written."""

    sources: list[Source]
    items: list[Item] = field(default_factory=list)
    skipped: list[Message | str] = field(default_factory=list)  # notes for the user (English in the manifest)

    @property
    def total_bytes(self) -> int:
        return sum(i.size for i in self.items)

    @property
    def databases(self) -> list[Item]:
        return [i for i in self.items if i.kind == "sqlite"]


@dataclass(frozen=True)
class Filters:
    exclude: tuple[str, ...]
    include: tuple[str, ...]

    @classmethod
    def build(cls, exclude: Iterable[str] = (), include: Iterable[str] = (),
              include_logs: bool = False) -> "Filters":
        defaults = DEFAULT_EXCLUDES + (() if include_logs else ROTATED_LOGS)
        return cls(tuple(defaults) + tuple(exclude), DEFAULT_INCLUDES + tuple(include))

    def excluded(self, rel: str, absolute: str) -> bool:
        name = rel.rsplit("/", 1)[-1]
        if any(_matches(p, name, rel, absolute) for p in self.include):
            return False
        return any(_matches(p, name, rel, absolute) for p in self.exclude)


def _matches(pattern: str, name: str, rel: str, absolute: str) -> bool:
    if pattern.startswith(("/", "~")):
        return fnmatch.fnmatchcase(absolute, os.path.expanduser(pattern))
    if "/" in pattern:
        return fnmatch.fnmatchcase(rel, pattern.strip("/"))
    return fnmatch.fnmatchcase(name, pattern)


def sources_for(config: Config, paths: AppPaths) -> tuple[list[Source], list[Message | str]]:
    """The sources this machine's config names, and notes about the ones that do not exist."""
    wanted: list[tuple[Path, str]] = [(paths.config_file, "config")]
    assistant = config.assistant
    wanted += [(d, "assistant") for d in assistant.data_dirs]
    extra_config = preset_config_file(assistant)
    if extra_config is not None:
        wanted.append((extra_config, "assistant"))
    wanted += [(p, "extra") for p in config.backup.paths]
    if config.backup.include_logs:
        wanted.append((paths.log_dir, "logs"))
    return _dedupe(wanted)


def preset_config_file(program: ProgramConfig) -> Path | None:
    """The preset's config file when it lives outside the preset's data dirs (else it is in them)."""
    info = program.info
    if not info.config_file or any(info.config_file.startswith(d.rstrip("/") + "/") for d in info.data_dirs):
        return None
    return Path(os.path.expanduser(info.config_file))


def _dedupe(wanted: Sequence[tuple[Path, str]]) -> tuple[list[Source], list[Message | str]]:
    notes: list[Message | str] = []
    chosen: list[tuple[Path, str]] = []
    for path, role in wanted:
        path = Path(os.path.abspath(os.path.expanduser(path)))
        if not path.exists():
            if role != "config":  # no config file simply means the defaults are in use
                notes.append(Message(N_("{path} does not exist; nothing to back up there"), path=str(path)))
            continue
        if any(path == p or p in path.parents for p, _ in chosen):
            continue
        chosen = [(p, r) for p, r in chosen if path not in p.parents]
        chosen.append((path, role))
    labels: set[str] = set()
    kinds = ["dir" if p.is_dir() else "file" for p, _ in chosen]
    return [Source(label_for(p, k, labels), p, k, r) for (p, r), k in zip(chosen, kinds)], notes


def label_for(path: Path, kind: str, taken: set[str]) -> str:
    """The folder name a source gets in the archive: ".nanobot" -> "nanobot", a file -> "<folder>-file"."""
    folder = path.parent if kind == "file" else path
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", folder.name.lstrip(".")) or "root"
    base += "-file" if kind == "file" else ""
    label, n = base, 2
    while label in taken or label == "manifest.json":
        label, n = f"{base}-{n}", n + 1
    taken.add(label)
    return label


def build_plan(sources: Sequence[Source], filters: Filters, *, skip: Sequence[Path] = (),
               sqlite_names: Sequence[str] = ()) -> Plan:
    """Walk every source (never following symlinks) and decide what goes in the archive.

    `skip` holds folders never to enter (the backup destination itself, when it sits inside a
    source). `sqlite_names` are preset database paths relative to a source ("state/openclaw.sqlite").
    """
    plan = Plan(list(sources))
    skip_set = {os.path.abspath(p) for p in skip}
    for source in sources:
        walker = _Walker(source, filters, skip_set, tuple(sqlite_names), plan)
        if source.kind == "file":
            walker.add_files(source.path.parent, [source.path.name], rel_dir="", single=True)
        else:
            plan.items.append(_dir_item(source, source.path, source.label))
            walker.walk(source.path, "")
    return plan


class _Walker:
    """Walks one source depth-first in name order; appends items and notes to the plan."""

    def __init__(self, source: Source, filters: Filters, skip: set[str], sqlite_names: tuple[str, ...],
                 plan: Plan) -> None:
        self.source, self.filters, self.skip, self.sqlite_names, self.plan = source, filters, skip, sqlite_names, plan

    def walk(self, folder: Path, rel_dir: str) -> None:
        try:
            names = sorted(os.listdir(folder))
        except OSError as exc:
            self.plan.skipped.append(Message(N_("cannot read folder {folder}: {error}"), folder=str(folder),
                                             error=str(exc.strerror or exc)))
            return
        self.add_files(folder, names, rel_dir)

    def add_files(self, folder: Path, names: list[str], rel_dir: str, single: bool = False) -> None:
        entries = [(n, _lstat(folder / n)) for n in names]
        databases = {n for n, st in entries if st and stat.S_ISREG(st.st_mode) and self._is_db(folder / n, rel_dir, n)}
        for name, st in entries:
            rel = f"{rel_dir}/{name}" if rel_dir else name
            path = folder / name
            if st is None or self._skip(path, rel, name, databases, single):
                continue
            self._add(path, rel, st, name in databases)

    def _skip(self, path: Path, rel: str, name: str, databases: set[str], single: bool) -> bool:
        if os.path.abspath(path) in self.skip:
            return True
        if any(name == db + side for db in databases for side in SQLITE_SIDE_FILES):
            return True  # part of a live database: its data is in the online backup copy
        return not single and self.filters.excluded(rel, str(path))

    def _add(self, path: Path, rel: str, st: os.stat_result, is_db: bool) -> None:
        arcname = f"{self.source.label}/{rel}"
        mode = stat.S_IMODE(st.st_mode)
        if stat.S_ISDIR(st.st_mode):
            self.plan.items.append(_dir_item(self.source, path, arcname, st))
            self.walk(path, rel)
        elif stat.S_ISREG(st.st_mode):
            size = st.st_size + (_size(Path(f"{path}-wal")) if is_db else 0)
            self.plan.items.append(Item(self.source, path, arcname, "sqlite" if is_db else "file",
                                        size, mode, st.st_mtime))
        elif stat.S_ISLNK(st.st_mode):
            self._add_link(path, rel, arcname, st)
        else:
            self.plan.skipped.append(Message(N_("skipped {path}: not a regular file (socket, pipe or device)"),
                                             path=str(path)))

    def _add_link(self, path: Path, rel: str, arcname: str, st: os.stat_result) -> None:
        target = os.readlink(path)
        inside = os.path.normpath(os.path.join(os.path.dirname(rel), target))
        # The lexical test, then the real one: through other links (up -> .., l -> up/../..) a
        # target can leave the folder, and restore refuses an archive holding such a link.
        if os.path.isabs(target) or inside == ".." or inside.startswith("../") or \
                links.escape_reason(rel, links.on_disk(self._root())):
            self.plan.skipped.append(Message(N_("skipped symlink {path} -> {target}: it points outside {folder}"),
                                             path=str(path), target=target, folder=str(self.source.path)))
            return
        self.plan.items.append(Item(self.source, path, arcname, "symlink", 0, 0o777, st.st_mtime, target))

    def _root(self) -> Path:
        return self.source.path if self.source.kind == "dir" else self.source.path.parent

    def _is_db(self, path: Path, rel_dir: str, name: str) -> bool:
        rel = f"{rel_dir}/{name}" if rel_dir else name
        named = name.lower().endswith(SQLITE_EXTENSIONS) or any(
            rel == s or s.endswith("/" + rel) for s in self.sqlite_names)  # preset names hang off the checkout
        return named and has_sqlite_header(path)


def _dir_item(source: Source, path: Path, arcname: str, st: os.stat_result | None = None) -> Item:
    st = st or path.stat()
    return Item(source, path, arcname, "dir", 0, stat.S_IMODE(st.st_mode), st.st_mtime)


def has_sqlite_header(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(16) == SQLITE_HEADER
    except OSError:
        return False


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except OSError:
        return None


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
