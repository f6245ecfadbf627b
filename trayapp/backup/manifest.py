"""manifest.json: what an archive holds, written as its last member.

It is written last because every sha256 is computed while the file streams into the archive
(each file is read once). Readers that need it first (restore's plan) read the archive once
to find it; `verify` streams the whole archive anyway and compares at the end.
"""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

from trayapp import __version__

from trayapp.i18n import N_
from trayapp.message import Message

NAME = "manifest.json"
FORMAT = 1
# What sources.label_for makes: letters, digits, ".", "_" and "-".
_PLAIN_NAME = re.compile(r"[A-Za-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class FileRecord:
    path: str  # the member name: "label/relative/path"
    type: str  # "dir" | "file" | "symlink"
    size: int = 0
    mode: int = 0o600
    sha256: str | None = None
    sqlite: bool = False  # an online-backup copy of a database
    target: str | None = None  # symlinks only


@dataclass(frozen=True)
class Manifest:
    sources: tuple[Mapping[str, str], ...]  # {"label", "path", "kind", "role"}
    files: tuple[FileRecord, ...]
    preset: str = "custom"
    program: str = ""
    created: float = field(default_factory=time.time)
    hostname: str = field(default_factory=socket.gethostname)
    trayapp_version: str = __version__
    skipped: tuple[str, ...] = ()
    compression: Mapping[str, Any] = field(default_factory=lambda: {"format": "tar.gz"})

    def to_json(self) -> bytes:
        data = {"format": FORMAT, "created": _iso(self.created), "created_ts": self.created,
                "hostname": self.hostname, "trayapp_version": self.trayapp_version, "preset": self.preset,
                "program": self.program, "sources": [dict(s) for s in self.sources],
                "compression": dict(self.compression), "skipped": list(self.skipped),
                "files": [_record_dict(f) for f in self.files]}
        return (json.dumps(data, indent=1, ensure_ascii=False) + "\n").encode("utf-8")

    def by_path(self) -> dict[str, FileRecord]:
        return {f.path: f for f in self.files}

    def source(self, label: str) -> Mapping[str, str] | None:
        return next((s for s in self.sources if s.get("label") == label), None)


def _record_dict(record: FileRecord) -> dict[str, Any]:
    return {k: v for k, v in asdict(record).items() if v is not None and not (k == "sqlite" and not v)}


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="seconds")


class ManifestError(ValueError):
    """manifest.json is not one trayapp wrote; `said` is the reason as a Message."""

    def __init__(self, reason: Message) -> None:
        super().__init__(str(reason))
        self.said = reason


def said(exc: Exception) -> Message | str:
    """The reason a manifest was refused: our Message, or the text of a lower-level ValueError."""
    return exc.said if isinstance(exc, ManifestError) else str(exc)


def parse(data: bytes) -> Manifest:
    """Read manifest.json. Raises ValueError when it is not one trayapp wrote."""
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ManifestError(Message(N_("manifest.json is not valid JSON: {error}"), error=str(exc))) from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise ManifestError(Message(N_("manifest.json is not a trayapp backup manifest (format 1)")))
    try:
        return Manifest(
            sources=_sources(raw["sources"]),
            files=tuple(_record(f) for f in raw["files"]),
            preset=str(raw.get("preset", "custom")), program=str(raw.get("program", "")),
            created=float(raw["created_ts"]), hostname=str(raw.get("hostname", "")),
            trayapp_version=str(raw.get("trayapp_version", "")),
            skipped=tuple(map(str, raw.get("skipped", ()))),
            compression=dict(raw.get("compression", {})),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ManifestError(Message(N_("manifest.json is malformed: {error}"), error=said(exc))) from None


def _sources(values: Any) -> tuple[dict[str, str], ...]:
    sources = tuple(_source(s) for s in values)
    labels = [s["label"] for s in sources]
    if len(set(labels)) != len(labels):
        raise ManifestError(Message(N_("two sources share one label")))
    return sources


def _source(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(value.get(k), str) for k in ("label", "path", "kind")):
        raise ManifestError(Message(N_("a source entry lacks label, path or kind")))
    label, kind = value["label"], value["kind"]
    # The label becomes a folder name under the restore target: one plain name, never a path.
    if not _PLAIN_NAME.fullmatch(label) or label in (".", "..", NAME):
        raise ManifestError(Message(N_("the source label {label} is not a plain folder name"), label=repr(label)))
    if kind not in ("dir", "file"):
        raise ManifestError(Message(N_("the source {label} has an unknown kind {kind}"), label=repr(label),
                                    kind=repr(kind)))
    if kind == "file" and _base_name(value["path"]) in ("", ".", ".."):
        raise ManifestError(Message(N_("the source {label} names no file: {path}"), label=repr(label),
                                    path=repr(value["path"])))
    return {k: str(v) for k, v in value.items()}


def _base_name(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def _record(value: Any) -> FileRecord:
    if not isinstance(value, dict):
        raise ManifestError(Message(N_("a file entry is not an object")))
    kind = value["type"]
    if kind not in ("dir", "file", "symlink"):
        raise ManifestError(Message(N_("unknown file type {kind}"), kind=repr(kind)))
    return FileRecord(path=str(value["path"]), type=kind, size=int(value.get("size", 0)),
                      mode=int(value.get("mode", 0o600)), sha256=value.get("sha256"),
                      sqlite=bool(value.get("sqlite", False)), target=value.get("target"))

