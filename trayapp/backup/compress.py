"""A gzip writer that deflates on worker threads, the way pigz does, into one ordinary .gz stream.

The archive writer (tar headers, file reads, sha256) runs on the caller's thread; each 1 MiB
chunk is deflated on a pool thread (zlib releases the GIL), primed with the previous chunk's
last 32 KiB as its dictionary and ended with a sync flush, so the pieces join into one deflate
stream that compresses like gzip(1) at the same level. Any gzip reader opens it.

Memory stays bounded: at most `depth` chunks are in flight. Output is written in order on the
caller's thread, so a write error (a full disk) is raised from `write` or `close` right there.
"""

from __future__ import annotations

import collections
import os
import struct
import zlib
from concurrent.futures import Future, ThreadPoolExecutor
from typing import BinaryIO

CHUNK = 1 << 20
WINDOW = 32 * 1024
# gzip(1), and so `tar czf`, compress at level 6; the same level keeps the comparison honest.
DEFAULT_LEVEL = 6
_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"  # gzip, deflate, no name, mtime 0, Unix


def _deflate(chunk: bytes, dictionary: bytes, level: int) -> bytes:
    """One raw-deflate piece that continues the stream: primed with `dictionary`, sync-flushed."""
    if dictionary:
        engine = zlib.compressobj(level, zlib.DEFLATED, -15, 8, zlib.Z_DEFAULT_STRATEGY, dictionary)
    else:
        engine = zlib.compressobj(level, zlib.DEFLATED, -15)
    return engine.compress(chunk) + engine.flush(zlib.Z_SYNC_FLUSH)


class GzipPipe:
    """Write-only, file-like. `write`, `tell`, `close` run on the caller's thread."""

    def __init__(self, raw: BinaryIO, level: int = DEFAULT_LEVEL, workers: int | None = None) -> None:
        self._raw, self._level = raw, level
        self._workers = workers or max(1, min(4, os.cpu_count() or 1))
        self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="backup-gzip")
        self._pending: collections.deque[Future[bytes]] = collections.deque()
        self._buf = bytearray()
        self._window = b""
        self._crc = 0
        self._pos = 0
        self._closed = False
        raw.write(_HEADER)

    def write(self, data: bytes) -> int:
        self._buf += data
        self._pos += len(data)
        if len(self._buf) >= CHUNK:
            self._submit(bytes(self._buf))
            self._buf.clear()
        return len(data)

    def tell(self) -> int:
        """Uncompressed bytes written so far (tarfile asks for it)."""
        return self._pos

    def _submit(self, chunk: bytes) -> None:
        self._crc = zlib.crc32(chunk, self._crc)
        self._pending.append(self._pool.submit(_deflate, chunk, self._window, self._level))
        self._window = chunk[-WINDOW:]
        while len(self._pending) > 2 * self._workers:
            self._raw.write(self._pending.popleft().result())

    def close(self) -> None:
        """Write the rest, the final block and the gzip trailer. Raises OSError from the disk."""
        if self._closed:
            return
        try:
            if self._buf:
                self._submit(bytes(self._buf))
                self._buf.clear()
            while self._pending:
                self._raw.write(self._pending.popleft().result())
            self._raw.write(zlib.compressobj(self._level, zlib.DEFLATED, -15).flush(zlib.Z_FINISH))
            self._raw.write(struct.pack("<II", self._crc & 0xFFFFFFFF, self._pos & 0xFFFFFFFF))
        finally:
            self.abort()

    def abort(self) -> None:
        """Stop the workers; the caller throws the output away."""
        self._closed = True
        self._pending.clear()
        self._pool.shutdown(wait=True, cancel_futures=True)
