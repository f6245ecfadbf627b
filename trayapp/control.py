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
import hashlib
import hmac
import json
import logging
import os
import socket
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from trayapp.errors import ControlError, NotRunningError, TrayAppError
from trayapp.paths import AppPaths

log = logging.getLogger(__name__)
Handler = Callable[[Mapping[str, Any]], Any]
UNIX = hasattr(socket, "AF_UNIX") and os.name == "posix"
# A server-side read never waits longer than this for a slow or silent client.
READ_TIMEOUT = 10.0
MAX_LINE = 1 << 20


# A Unix socket path must fit in sun_path (108 bytes on Linux, 104 on macOS).
MAX_SOCKET_PATH = 100


def socket_path(paths: AppPaths) -> str:
    """The control socket: in the state folder, or, when that path is too long for a Unix socket
    (a deep TRAYAPP_HOME), in a private per-user folder under /tmp named after the state folder."""
    path = str(paths.control_socket)
    if len(path.encode()) <= MAX_SOCKET_PATH:
        return path
    import tempfile

    from trayapp.paths import private_dir

    folder = private_dir(Path(tempfile.gettempdir()) / f"trayapp-{os.getuid()}")
    if folder.stat().st_uid != os.getuid():
        raise OSError(f"{folder} belongs to another user; set TRAYAPP_HOME to a shorter path")
    name = hashlib.sha256(str(paths.state_dir).encode()).hexdigest()[:16]
    return str(folder / f"{name}.sock")


def _digest(key: bytes, challenge: str) -> str:
    return hmac.new(key, challenge.encode(), hashlib.sha256).hexdigest()


def _read_line(sock_file: Any) -> dict[str, Any]:
    line = sock_file.readline(MAX_LINE)
    if not line.endswith(b"\n"):
        raise EOFError("connection closed")
    data = json.loads(line)
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    return data


def _send(sock: socket.socket, data: Mapping[str, Any]) -> None:
    sock.sendall(json.dumps(data, default=str).encode() + b"\n")


class ControlServer:
    """Serves requests from the CLI and the windows on a background thread.

    Handlers run on a per-connection thread and must only enqueue work or read snapshots.
    """

    def __init__(self, paths: AppPaths) -> None:
        self._paths = paths
        self._handlers: dict[str, Handler] = {}
        self._sock: socket.socket | None = None
        self._key = b""
        self._closing = threading.Event()

    def register(self, cmd: str, handler: Handler) -> None:
        self._handlers[cmd] = handler

    def start(self) -> None:
        import secrets

        from trayapp.atomic import atomic_write

        self._key = secrets.token_bytes(32)
        self._sock = self._listen()
        port = None if UNIX else self._sock.getsockname()[1]
        atomic_write(self._paths.control_key, json.dumps({"key": self._key.hex(), "port": port}), mode=0o600)
        threading.Thread(target=self._serve, name="control", daemon=True).start()

    def _listen(self) -> socket.socket:
        if not UNIX:
            sock = socket.create_server(("127.0.0.1", 0))
            return sock
        address = socket_path(self._paths)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(address)  # a stale socket from a crashed instance; our instance lock proves it is ours
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)  # the socket is born 0600: no window in which others could connect
        try:
            sock.bind(address)
        finally:
            os.umask(old)
        sock.listen(16)
        return sock

    def _serve(self) -> None:
        assert self._sock is not None
        while not self._closing.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                if self._closing.is_set():
                    return
                self._closing.wait(0.1)  # e.g. out of file descriptors: do not spin
                continue
            threading.Thread(target=self._answer, args=(conn,), name="control-conn", daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        import secrets

        with conn:
            conn.settimeout(READ_TIMEOUT)
            try:
                challenge = secrets.token_hex(16)
                _send(conn, {"challenge": challenge})
                with conn.makefile("rb") as reader:
                    message = _read_line(reader)
                given = str(message.get("auth", "")).encode("utf-8", "replace")
                if not hmac.compare_digest(given, _digest(self._key, challenge).encode()):
                    _send(conn, {"ok": False, "error": "not authorised"})
                    return
                _send(conn, self.dispatch(message.get("request")))
            except (OSError, EOFError, ValueError, TypeError, RecursionError):
                pass  # a client that went away or spoke nonsense; nothing to answer
            except Exception:
                log.exception("control: a connection failed")

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
    try:
        sock = _connect(paths, port, timeout)
    except (FileNotFoundError, ConnectionRefusedError):
        raise NotRunningError("trayapp is not running", fix="start it with `trayapp run`") from None
    except OSError as exc:
        raise ControlError(f"could not talk to the running trayapp: {exc}") from exc
    with sock, sock.makefile("rb") as reader:
        try:
            challenge = _read_line(reader)["challenge"]
            _send(sock, {"auth": _digest(key, str(challenge)), "request": {"cmd": cmd, **args}})
            reply = _read_line(reader)
        except (TimeoutError, socket.timeout):
            raise ControlError(f"the running trayapp did not answer `{cmd}` within {timeout:g}s") from None
        except (OSError, EOFError, ValueError, KeyError) as exc:
            raise ControlError(f"the running trayapp closed the connection ({exc})") from exc
    if not reply.get("ok"):
        raise ControlError(reply.get("error", "the running trayapp refused the command"))
    return reply.get("result")


def _read_key(paths: AppPaths) -> tuple[bytes, int | None]:
    try:
        data = json.loads(paths.control_key.read_text(encoding="utf-8"))
        return bytes.fromhex(data["key"]), data.get("port")
    except FileNotFoundError:
        raise NotRunningError("trayapp is not running", fix="start it with `trayapp run`") from None
    except PermissionError:
        raise ControlError(f"cannot read {paths.control_key}: it belongs to another user") from None
    except (OSError, ValueError, KeyError, TypeError):
        raise NotRunningError("trayapp is not running (its control key is unreadable)",
                              fix="start it with `trayapp run`") from None


def _connect(paths: AppPaths, port: int | None, timeout: float) -> socket.socket:
    if UNIX:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        address: Any = socket_path(paths)
    else:
        if port is None:
            raise FileNotFoundError("no port")
        sock, address = socket.socket(socket.AF_INET, socket.SOCK_STREAM), ("127.0.0.1", int(port))
    sock.settimeout(timeout)
    try:
        sock.connect(address)
    except BaseException:
        sock.close()
        raise
    return sock
