"""The assistant's SQLite databases: found by name and header, checked read-only."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from trayapp.i18n import N_, _
from trayapp.backup.sources import SQLITE_EXTENSIONS, SQLITE_HEADER
from trayapp.config import ProgramConfig
from trayapp.doctor.inputs import Inputs
from trayapp.doctor.report import Check, fail, info, ok, warn

GROUP = N_("databases")
MAX_DEPTH = 4  # nanobot and OpenClaw keep their databases a level or two down
MAX_FILES = 20_000  # a data folder holding a whole home directory must not stall the doctor
_SKIP = {"node_modules", ".git", "cache", ".cache", "__pycache__"}


def checks(inp: Inputs) -> list[Check]:
    found = find_databases(assistant_dirs(inp, inp.config.assistant))
    if not found:
        return [info(GROUP, N_("databases"), _("no SQLite database found in the assistant's data folders"))]
    return [integrity(path) for path in found]


def assistant_dirs(inp: Inputs, program: ProgramConfig) -> list[Path]:
    return [d for d in program.data_dirs if d.is_dir()]


def find_databases(folders: Iterable[Path]) -> list[Path]:
    """SQLite files under `folders`, by extension or by their 16-byte header."""
    found: list[Path] = []
    seen = 0
    for folder in folders:
        for root, dirs, files in os.walk(folder):
            depth = Path(root).relative_to(folder).parts
            dirs[:] = [] if len(depth) >= MAX_DEPTH else [d for d in dirs if d not in _SKIP]
            for name in files:
                seen += 1
                path = Path(root, name)
                if seen <= MAX_FILES and _is_sqlite(path):
                    found.append(path)
    return sorted(set(found))


def _is_sqlite(path: Path) -> bool:
    if path.name.endswith(("-wal", "-shm", "-journal")) or path.is_symlink():
        return False
    if path.suffix not in SQLITE_EXTENSIONS and path.stat().st_size < 512:
        return False
    try:
        with open(path, "rb") as f:
            return f.read(16) == SQLITE_HEADER
    except OSError:
        return False


def integrity(path: Path) -> Check:
    """PRAGMA integrity_check through a read-only URI: the database is never written."""
    name = path.name
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=2.0)
        try:
            rows = conn.execute("PRAGMA integrity_check").fetchall()
        finally:
            conn.close()
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            return warn(GROUP, name, _("{path} is busy ({exc}); not checked").format(
                path=path, exc=exc), _("run `trayapp doctor` again later"))
        return fail(GROUP, name, _("{path} cannot be read as a database: {exc}").format(path=path, exc=exc),
                    _("restore it from a backup (`trayapp backup restore`)"))
    except sqlite3.DatabaseError as exc:
        return fail(GROUP, name, _("{path} is damaged: {exc}").format(
            path=path, exc=exc), _("restore it from a backup (`trayapp backup restore`)"))
    result = [str(r[0]) for r in rows]
    if result == ["ok"]:
        return ok(GROUP, name, _("{path}: integrity ok").format(path=path))
    return fail(GROUP, name, _("{path}: {value}").format(path=path, value='; '.join(result[:3])[:200]),
                _("stop the assistant and restore the database from a backup (`trayapp backup restore`)"))
