"""A gzip sink that compresses on its own thread, so reading+hashing and deflate use two cores.

This is the `tar | gzip` pipeline inside one process: zlib releases the GIL while it deflates,
so the writer thread (tar headers, file reads, sha256) and this thread run side by side.
Memory stays bounded: at most `depth` chunks of CHUNK bytes wait in the queue.
"""

from __future__ import annotations

import queue
import threading
import zlib
from typing import BinaryIO

CHUNK = 1 << 20
# gzip(1), and so `tar czf`, compress at level 6; the same level keeps the comparison honest.
DEFAULT_LEVEL = 6


class GzipPipe:
    """Write-only, file-like. `write` and `close` run on the caller's thread; deflate on a worker.

    A write error on the worker (a full disk) is raised from the next `write` or from `close`.
    """

    def __init__(self, raw: BinaryIO, level: int = DEFAULT_LEVEL, depth: int = 4) -> None:
        self._raw = raw
        self._level = level
        self._buf = bytearray()
        self._pos = 0
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="backup-gzip", daemon=True)
        self._thread.start()

    def write(self, data: bytes) -> int:
        self._raise_pending()
        self._buf += data
        self._pos += len(data)
        if len(self._buf) >= CHUNK:
            self._put(bytes(self._buf))
            self._buf.clear()
        return len(data)

    def tell(self) -> int:
        """Uncompressed bytes written so far (tarfile asks for it)."""
        return self._pos

    def close(self) -> None:
        """Flush everything and wait for the worker. Raises the worker's error, if any."""
        if self._closed:
            return
        try:
            if self._buf:
                self._put(bytes(self._buf))
                self._buf.clear()
        finally:
            self._finish()
        self._raise_pending()

    def abort(self) -> None:
        """Stop the worker without raising; the caller throws the output away."""
        if not self._closed:
            self._finish()

    def _finish(self) -> None:
        self._closed = True
        self._queue.put(None)
        self._thread.join()

    def _put(self, chunk: bytes) -> None:
        while True:
            try:
                self._queue.put(chunk, timeout=0.5)
                return
            except queue.Full:
                self._raise_pending()

    def _raise_pending(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        deflate = zlib.compressobj(self._level, zlib.DEFLATED, 31)  # 31: gzip header and trailer
        while (chunk := self._queue.get()) is not None:
            if self._error is None:
                self._write(deflate.compress(chunk))
        if self._error is None:
            self._write(deflate.flush())

    def _write(self, data: bytes) -> None:
        try:
            self._raw.write(data)
        except BaseException as exc:  # kept for the writer thread; later chunks are drained unwritten
            self._error = exc
