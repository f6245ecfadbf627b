"""The local control channel: the running instance serves, `trayapp status|restart|...` ask.

A Unix socket (mode 0600, in the 0700 state folder) plus an HMAC challenge with a random key
stored 0600 beside it: only the owner can read the key, so only the owner can connect.
On Windows the same protocol runs over a named pipe.

Requests are dicts {"cmd": name, ...args}; replies are {"ok": True, "result": ...} or
{"ok": False, "error": message}.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import socket
import sys
import threading
from collections.abc import Callable, Mapping
from multiprocessing.connection import Client, Connection, Listener
from pathlib import Path
from typing import Any

from trayapp.atomic import atomic_write
from trayapp.errors import ControlError, NotRunningError, TrayAppError
from trayapp.paths import AppPaths

log = logging.getLogger(__name__)
Handler = Callable[[Mapping[str, Any]], Any]


def _address(paths: AppPaths) -> str:
    if sys.platform == "win32":
        return rf"\\.\pipe\trayapp-{os.getlogin()}-{abs(hash(str(paths.state_dir))) % 10**8}"
    return str(paths.control_socket)


def _family() -> str:
    return "AF_PIPE" if sys.platform == "win32" else "AF_UNIX"


class ControlServer:
    """Serves requests from the CLI and the windows on a background thread.

    Handlers run on a per-connection thread and must only enqueue work or read snapshots.
    """

    def __init__(self, paths: AppPaths) -> None:
        self._paths = paths
        self._handlers: dict[str, Handler] = {}
        self._listener: Listener | None = None
        self._thread: threading.Thread | None = None
        self._closing = threading.Event()

    def register(self, cmd: str, handler: Handler) -> None:
        self._handlers[cmd] = handler

    def start(self) -> None:
        key = secrets.token_bytes(32)
        atomic_write(self._paths.control_key, key, mode=0o600)
        address = _address(self._paths)
        if _family() == "AF_UNIX":
            with contextlib.suppress(FileNotFoundError):
                os.unlink(address)  # a stale socket from a crashed instance; the lock proves it is ours
            old = os.umask(0o177)  # the socket is born 0600, no window where others could connect
            try:
                self._listener = Listener(address, family="AF_UNIX", authkey=key)
            finally:
                os.umask(old)
        else:
            self._listener = Listener(address, family="AF_PIPE", authkey=key)
        self._thread = threading.Thread(target=self._serve, name="control", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        assert self._listener is not None
        while not self._closing.is_set():
            try:
                conn = self._listener.accept()
            except Exception:  # bad auth, or the listener was closed
                if self._closing.is_set():
                    return
                log.debug("control: refused a connection", exc_info=True)
                continue
            threading.Thread(target=self._answer, args=(conn,), name="control-conn", daemon=True).start()

    def _answer(self, conn: Connection) -> None:
        with conn:
            try:
                request = conn.recv()
                conn.send(self.dispatch(request))
            except (EOFError, OSError):
                pass

    def dispatch(self, request: Any) -> dict[str, Any]:
        """Run one request; never raises. Callable from any thread."""
        if not isinstance(request, dict) or not isinstance(request.get("cmd"), str):
            return {"ok": False, "error": "malformed request"}
        handler = self._handlers.get(request["cmd"])
        if handler is None:
            return {"ok": False, "error": f"unknown command {request['cmd']!r}"}
        try:
            return {"ok": True, "result": handler(request)}
        except TrayAppError as exc:
            return {"ok": False, "error": str(exc)}
        except Exception as exc:
            log.exception("control command %s failed", request["cmd"])
            return {"ok": False, "error": f"internal error: {exc}"}

    def close(self) -> None:
        self._closing.set()
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.close()
        if _family() == "AF_UNIX":
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._paths.control_socket)


def request(paths: AppPaths, cmd: str, timeout: float = 10.0, **args: Any) -> Any:
    """Send one command to the running instance and return its result.

    Raises NotRunningError when nothing answers, ControlError when it refused.
    """
    try:
        key = paths.control_key.read_bytes()
    except FileNotFoundError:
        raise NotRunningError("trayapp is not running", fix="start it with `trayapp run`") from None
    except PermissionError:
        raise ControlError(f"cannot read {paths.control_key}: it belongs to another user") from None
    try:
        conn = _connect(paths, key, timeout)
    except (FileNotFoundError, ConnectionRefusedError):
        raise NotRunningError("trayapp is not running", fix="start it with `trayapp run`") from None
    except (OSError, EOFError) as exc:
        raise ControlError(f"could not talk to the running trayapp: {exc}") from exc
    with conn:
        conn.send({"cmd": cmd, **args})
        if not conn.poll(timeout):
            raise ControlError(f"the running trayapp did not answer `{cmd}` within {timeout:g}s")
        reply = conn.recv()
    if not reply.get("ok"):
        raise ControlError(reply.get("error", "the running trayapp refused the command"))
    return reply.get("result")


def _connect(paths: AppPaths, key: bytes, timeout: float) -> Connection:
    if _family() == "AF_PIPE":
        return Client(_address(paths), family="AF_PIPE", authkey=key)
    # multiprocessing's Client has no timeout; bound the connect and the handshake ourselves.
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    sock.connect(_address(paths))
    sock.settimeout(None)  # Connection needs a blocking fd; the owner-only server answers promptly
    conn = Connection(sock.detach())
    from multiprocessing.connection import answer_challenge, deliver_challenge

    answer_challenge(conn, key)
    deliver_challenge(conn, key)
    return conn
