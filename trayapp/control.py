"""The local control channel: the running instance serves, `trayapp status|restart|...` ask.

A Unix socket (mode 0600, in the 0700 state folder) plus an HMAC challenge with a random key
stored 0600 beside it: only the owner can read the key, so only the owner can talk to trayapp.
Windows has no Unix sockets in Python: there the server listens on 127.0.0.1 and the key file also
holds the port.

Wire format: one JSON object per line. The server speaks first with {"challenge": hex}; the client
answers {"auth": HMAC-SHA256(key, challenge), "request": {"cmd": name, ...args}}; the server
replies {"ok": true, "result": ...} or {"ok": false, "error": message} and closes. JSON, not
pickle: nothing a client sends can make the server run code.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import hmac
import json
import os
import selectors
import socket
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from trayapp.errors import ControlError, NotRunningError, TrayAppError
from trayapp.i18n import _
from trayapp.paths import AppPaths
from trayapp.units import format_duration

if TYPE_CHECKING:
    import logging


def _log() -> logging.Logger:
    """The server's logger. Imported late: `trayapp status` is only a client and logs nothing."""
    import logging

    return logging.getLogger(__name__)


Handler = Callable[[Mapping[str, Any]], Any]
UNIX = sys.platform != "win32"  # Windows: loopback TCP (Python has no Unix sockets there)
# Every connection is closed this long after it was accepted, whatever the client does.
DEADLINE = 10.0
# Open connections at once (each costs a socket, not a thread), and threads that run handlers.
MAX_CONNECTIONS = 64
WORKERS = 4
ACCEPT_PAUSE = 0.1  # seconds without accepting after accept() failed
# A connection that has not sent its request this long after it was greeted may give its place
# to a newcomer when the server is full (a real client answers the greeting within milliseconds).
GRACE = 1.0
MAX_LINE = 1 << 20  # a reply (the client's limit)
MAX_REQUEST = 1 << 16  # a request is a command and a few arguments: 64 open ones hold at most 4 MiB


# A Unix socket path must fit in sun_path (108 bytes on Linux, 104 on macOS).
MAX_SOCKET_PATH = 100


def socket_path(paths: AppPaths) -> str:
    """The control socket: in the state folder, or, when that path is too long for a Unix socket
    (a deep TRAYAPP_HOME), in a private per-user folder under /tmp named after the state folder."""
    path = str(paths.control_socket)
    if len(path.encode()) <= MAX_SOCKET_PATH or sys.platform == "win32":
        return path
    import tempfile

    from trayapp.paths import private_dir

    # private_dir refuses the folder if it is a link or another user's (FolderError, an OSError)
    folder = private_dir(Path(tempfile.gettempdir()) / f"trayapp-{os.getuid()}")
    name = hashlib.sha256(str(paths.state_dir).encode()).hexdigest()[:16]
    return str(folder / f"{name}.sock")


def _digest(key: bytes, challenge: str) -> str:
    return hmac.new(key, challenge.encode(), hashlib.sha256).hexdigest()


def _read_line(sock_file: BinaryIO) -> dict[str, Any]:
    line = sock_file.readline(MAX_LINE)
    if not line.endswith(b"\n"):
        raise EOFError("connection closed")
    return _parse_line(line)


def _parse_line(line: bytes) -> dict[str, Any]:
    data = json.loads(line)
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    return data


def _send(sock: socket.socket, data: Mapping[str, Any]) -> None:
    sock.sendall(json.dumps(data, default=str).encode() + b"\n")


class _Pending:
    """A connection still sending its request: what it sent so far and when it must be done."""

    __slots__ = ("sock", "challenge", "data", "accepted", "deadline")

    def __init__(self, sock: socket.socket, challenge: str, accepted: float, deadline: float) -> None:
        self.sock = sock
        self.challenge = challenge
        self.data = b""
        self.accepted = accepted
        self.deadline = deadline


class ControlServer:
    """Serves requests from the CLI and the windows.

    One thread (`control`) accepts connections and reads requests for all of them at once, so a
    slow or silent client costs a socket, not a thread. At most `max_connections` are open. Past
    that, a newcomer takes the place of the oldest connection if that one has sent no complete
    request for `GRACE` seconds (an idle flood cannot lock `trayapp status` out); else it is closed
    before its greeting, and the client tries again (a burst of real clients all get through).
    Every connection is closed `deadline` seconds after it was accepted, answered or not.
    Complete requests go to `workers` threads, which run the handler and send the reply;
    handlers must only enqueue work or read snapshots.
    """

    def __init__(self, paths: AppPaths, *, max_connections: int = MAX_CONNECTIONS, deadline: float = DEADLINE,
                 workers: int = WORKERS, clock: Callable[[], float] = time.monotonic) -> None:
        self._paths = paths
        self._handlers: dict[str, Handler] = {}
        self._sock: socket.socket | None = None
        self._key = b""
        self._closing = threading.Event()
        self._max = max(1, max_connections)
        self._deadline = deadline
        self._clock = clock
        self._pending: dict[socket.socket, _Pending] = {}
        self._accepting = True
        self._accept_again_at = 0.0  # after a failed accept() (out of descriptors): not before then
        self._selector = selectors.DefaultSelector()
        self._wake: socket.socket | None = None  # written by close() to wake the control thread
        from concurrent.futures import ThreadPoolExecutor  # the server's: a client never needs it

        self._workers = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="control-reply")

    def register(self, cmd: str, handler: Handler) -> None:
        self._handlers[cmd] = handler

    def start(self) -> None:
        import secrets

        from trayapp.atomic import atomic_write

        self._key = secrets.token_bytes(32)
        self._sock = self._listen()
        port = None if UNIX else self._sock.getsockname()[1]
        atomic_write(self._paths.control_key, json.dumps({"key": self._key.hex(), "port": port}), mode=0o600)
        waker, self._wake = socket.socketpair()
        self._sock.setblocking(False)  # _accept takes every waiting connection, then returns
        self._selector.register(self._sock, selectors.EVENT_READ)
        self._selector.register(waker, selectors.EVENT_READ)
        threading.Thread(target=self._serve, args=(waker,), name="control", daemon=True).start()

    def _listen(self) -> socket.socket:
        if sys.platform == "win32":
            return socket.create_server(("127.0.0.1", 0), backlog=socket.SOMAXCONN)
        address = socket_path(self._paths)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(address)  # a stale socket from a crashed instance; our instance lock proves it is ours
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)  # the socket is born 0600: no window in which others could connect
        try:
            sock.bind(address)
        finally:
            os.umask(old)
        sock.listen(socket.SOMAXCONN)  # a burst of clients waits in the queue instead of failing
        return sock

    # -- the control thread ------------------------------------------------------------------

    def _serve(self, waker: socket.socket) -> None:
        """Control thread: wait for a connection, request bytes or the next deadline."""
        try:
            while not self._closing.is_set():
                self.step(self._selector.select(self._next_timeout()))
        except Exception:  # never silently: the CLI would just stop reaching this instance
            _log().exception("control: the control channel stopped")
        finally:
            for pending in list(self._pending.values()):
                self._drop(pending)
            self._selector.close()
            waker.close()
            if self._wake is not None:
                self._wake.close()

    def step(self, ready: list[tuple[selectors.SelectorKey, int]]) -> None:
        """Handle what select() found ready, then drop every connection past its deadline."""
        if self._closing.is_set():
            return  # close() may have closed the listening socket under us: nothing more to do
        for key, _events in ready:
            if key.fileobj is self._sock:
                self._accept()
            elif isinstance(key.fileobj, socket.socket) and key.fileobj in self._pending:
                self._receive(self._pending[key.fileobj])
        now = self._clock()
        for pending in [p for p in self._pending.values() if p.deadline <= now]:
            self._drop(pending)
        self._accept_more(now >= self._accept_again_at)

    def _accept_more(self, accepting: bool) -> None:
        """Stop watching the listening socket for a moment after accept() failed (out of file
        descriptors, say): it stays readable, and select() would spin on it."""
        if accepting != self._accepting and self._sock is not None:
            self._accepting = accepting
            if accepting:
                self._selector.register(self._sock, selectors.EVENT_READ)
            else:
                self._selector.unregister(self._sock)

    def _next_timeout(self) -> float | None:
        wake_at = [p.deadline for p in self._pending.values()]
        if not self._accepting:
            wake_at.append(self._accept_again_at)
        return max(0.0, min(wake_at) - self._clock()) if wake_at else None

    def _accept(self) -> None:
        """Take every waiting connection (the listening socket is non-blocking)."""
        assert self._sock is not None
        while True:
            try:
                conn, _ = self._sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # e.g. out of file descriptors: pause, do not spin on it
                _log().warning("control: could not accept a connection: %s", exc.strerror or exc)
                self._accept_again_at = self._clock() + ACCEPT_PAUSE
                return
            if self._make_room():
                self._greet(conn)
            else:
                conn.close()  # full of clients still talking: this one retries (see _greeted)

    def _make_room(self) -> bool:
        """True when there is room for one more, if need be by dropping the oldest idle one."""
        if len(self._pending) < self._max:
            return True
        oldest = min(self._pending.values(), key=lambda p: p.accepted)
        if self._clock() - oldest.accepted < GRACE:
            return False
        self._drop(oldest)
        return True

    def _greet(self, conn: socket.socket) -> None:
        import secrets

        challenge = secrets.token_hex(16)
        conn.setblocking(False)
        try:
            conn.send(json.dumps({"challenge": challenge}).encode() + b"\n")  # fits any fresh socket buffer
        except OSError:
            conn.close()
            return
        now = self._clock()
        self._pending[conn] = _Pending(conn, challenge, now, now + self._deadline)
        self._selector.register(conn, selectors.EVENT_READ)

    def _receive(self, pending: _Pending) -> None:
        """Read what is there; a complete line goes to a worker, nonsense or EOF ends it."""
        try:
            data = pending.sock.recv(1 << 16)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        pending.data += data
        if not data or len(pending.data) > MAX_REQUEST:
            self._drop(pending)
        elif b"\n" in data:
            self._selector.unregister(pending.sock)
            del self._pending[pending.sock]
            self._reply_later(pending)

    def _reply_later(self, pending: _Pending) -> None:
        try:
            self._workers.submit(self._reply, pending)
        except RuntimeError:  # closing: the pool takes no more work
            pending.sock.close()

    def _drop(self, pending: _Pending) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(pending.sock)
        self._pending.pop(pending.sock, None)
        pending.sock.close()

    # -- worker threads ----------------------------------------------------------------------

    def _reply(self, pending: _Pending) -> None:
        """Worker thread: check the HMAC, run the handler, send the reply before the deadline."""
        with pending.sock as conn:
            try:
                conn.settimeout(max(0.1, pending.deadline - self._clock()))
                message = _parse_line(pending.data[:pending.data.index(b"\n") + 1])
                given = str(message.get("auth", "")).encode("utf-8", "replace")
                if not hmac.compare_digest(given, _digest(self._key, pending.challenge).encode()):
                    _send(conn, {"ok": False, "error": "not authorised"})
                    return
                _send(conn, self.dispatch(message.get("request")))
            except (OSError, ValueError, TypeError, RecursionError):
                pass  # a client that went away or spoke nonsense; nothing to answer
            except Exception:
                _log().exception("control: a connection failed")

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
            _log().exception("control command %s failed", request["cmd"])
            return {"ok": False, "error": f"internal error: {exc}"}

    def close(self) -> None:
        self._closing.set()
        if self._wake is not None:
            with contextlib.suppress(OSError):
                self._wake.send(b"x")  # wakes the control thread, which closes what is still open
        self._workers.shutdown(wait=False)
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
        if UNIX:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(socket_path(self._paths))
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._paths.control_key)


def request(paths: AppPaths, cmd: str, timeout: float = 10.0, **args: Any) -> Any:
    """Send one command to the running instance and return its result.

    Raises NotRunningError when nothing answers, ControlError when it refused.
    """
    key, port = _read_key(paths)
    sock, reader, challenge = _greeted(paths, port, cmd, timeout)
    with sock, reader:
        try:
            _send(sock, {"auth": _digest(key, challenge), "request": {"cmd": cmd, **args}})
            reply = _read_line(reader)
        except (TimeoutError, socket.timeout):
            raise _no_answer(cmd, timeout) from None
        except (OSError, EOFError, ValueError, KeyError) as exc:
            raise ControlError(_("the running trayapp closed the connection ({cause})").format(cause=exc)) from exc
    if not reply.get("ok"):
        raise ControlError(reply.get("error", _("the running trayapp refused the command")))
    return reply.get("result")


def _greeted(paths: AppPaths, port: int | None, cmd: str, timeout: float) -> tuple[socket.socket, BinaryIO, str]:
    """A connection and the server's challenge. A server at its cap of connections closes a
    newcomer before greeting it: then try again (nothing was sent yet), until `timeout`."""
    deadline = time.monotonic() + timeout
    pause = 0.005
    while True:
        sock = _connect_or_explain(paths, port, cmd, timeout, deadline)
        reader = sock.makefile("rb")
        try:
            return sock, reader, str(_read_line(reader)["challenge"])
        except (EOFError, ConnectionResetError):
            pass  # turned away at the door
        except (TimeoutError, socket.timeout):
            _close(sock, reader)
            raise _no_answer(cmd, timeout) from None
        except (OSError, ValueError, KeyError) as exc:
            _close(sock, reader)
            raise ControlError(_("the running trayapp closed the connection ({cause})").format(cause=exc)) from exc
        _close(sock, reader)
        if time.monotonic() + pause >= deadline:
            raise _too_busy(cmd, timeout)
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


def _connect_or_explain(paths: AppPaths, port: int | None, cmd: str, timeout: float,
                        deadline: float) -> socket.socket:
    try:
        sock = _connect(paths, port, deadline - time.monotonic())
    except (FileNotFoundError, ConnectionRefusedError):
        raise _not_running(_("trayapp is not running")) from None
    except TimeoutError:
        raise _too_busy(cmd, timeout) from None
    except OSError as exc:
        raise ControlError(_("could not talk to the running trayapp: {cause}").format(cause=exc)) from exc
    sock.settimeout(timeout)
    return sock


def _too_busy(cmd: str, timeout: float) -> ControlError:
    return ControlError(_("the running trayapp did not take `{command}` within {wait}: it is too busy").format(
        command=cmd, wait=format_duration(timeout)), fix=_("try again in a moment"))


def _no_answer(cmd: str, timeout: float) -> ControlError:
    return ControlError(_("the running trayapp did not answer `{command}` within {wait}").format(
        command=cmd, wait=format_duration(timeout)))


def _not_running(problem: str) -> NotRunningError:
    return NotRunningError(problem, fix=_("start it with `trayapp run`"))


def _close(sock: socket.socket, reader: BinaryIO) -> None:
    reader.close()
    sock.close()


def _read_key(paths: AppPaths) -> tuple[bytes, int | None]:
    try:
        data = json.loads(paths.control_key.read_text(encoding="utf-8"))
        return bytes.fromhex(data["key"]), data.get("port")
    except FileNotFoundError:
        raise _not_running(_("trayapp is not running")) from None
    except PermissionError:
        raise ControlError(_("cannot read {path}: it belongs to another user").format(
            path=paths.control_key)) from None
    except (OSError, ValueError, KeyError, TypeError):
        raise _not_running(_("trayapp is not running (its control key is unreadable)")) from None


def _connect(paths: AppPaths, port: int | None, timeout: float) -> socket.socket:
    """A connected socket. When the server's queue is full, connect() with a timeout fails at once
    with EAGAIN instead of waiting (Linux, Unix sockets): so wait here, until `timeout`."""
    deadline = time.monotonic() + timeout
    pause = 0.005
    while True:
        sock, address = _new_socket(paths, port)
        sock.settimeout(max(0.001, deadline - time.monotonic()))
        try:
            sock.connect(address)
            return sock
        except BlockingIOError:
            sock.close()
            if time.monotonic() + pause >= deadline:
                raise TimeoutError(errno.EAGAIN, "it was too busy to take the connection") from None
            time.sleep(pause)
            pause = min(pause * 2, 0.1)
        except BaseException:
            sock.close()
            raise


def _new_socket(paths: AppPaths, port: int | None) -> tuple[socket.socket, str | tuple[str, int]]:
    if sys.platform != "win32":
        return socket.socket(socket.AF_UNIX, socket.SOCK_STREAM), socket_path(paths)
    if port is None:
        raise FileNotFoundError("no port")
    return socket.socket(socket.AF_INET, socket.SOCK_STREAM), ("127.0.0.1", int(port))
