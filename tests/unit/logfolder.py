"""A program's log folder as trayapp's rotation leaves it: older chunks gzipped, the newest live."""

from __future__ import annotations

import gzip
import os
from collections.abc import Sequence
from pathlib import Path


def write_rotated(folder: Path, chunks: Sequence[Sequence[str | bytes]], *, compresslevel: int = 9) -> Path:
    """chunks oldest first: every chunk but the last becomes nanobot.log.<n>.gz (1 is the newest), the
    last the live nanobot.log, whose path is returned. Lines get their newline here; files are 0600."""
    folder.mkdir(mode=0o700, exist_ok=True)
    live = folder / "nanobot.log"
    for number, chunk in enumerate(reversed(chunks[:-1]), start=1):
        with gzip.open(folder / f"nanobot.log.{number}.gz", "wb", compresslevel=compresslevel) as f:
            f.write(_joined(chunk))
    live.write_bytes(_joined(chunks[-1]))
    for path in folder.iterdir():
        os.chmod(path, 0o600)
    return live


def _joined(lines: Sequence[str | bytes]) -> bytes:
    return b"".join((line if isinstance(line, bytes) else line.encode("utf-8")) + b"\n" for line in lines)
