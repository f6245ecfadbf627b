"""The dashboard's HTTP server: loopback sockets, the checks every request passes, static files.

Bound to 127.0.0.1 and, where there is one, ::1 on the same port; never another interface. Every
request passes, in order: the Host header (exactly 127.0.0.1, localhost or [::1] with our port: a
DNS-rebinding page cannot reach us), then the session cookie (auth.py), then for a POST the Origin
header and the CSRF token. Only then does a route handler (http.py) see it. Static files are served
by name from a listing of the static folder: no part of a request becomes a file system path.
"""

from __future__ import annotations

import html
import json
import logging
import os
import socket
import socketserver
import sys
import threading
import time
from collections.abc import Callable, Mapping
from http import HTTPStatus
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, quote, unquote, urlsplit

from trayapp.atomic import atomic_write
from trayapp.dashboard import page_text
from trayapp.dashboard.auth import SESSION_LIFETIME, Auth
from trayapp.dashboard.host import DashboardHost
from trayapp.dashboard.http import TEXT, HttpError, Request, Response, Router
from trayapp.i18n import N_, _
from trayapp.paths import open_private

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).with_name("static")
PAGES = frozenset({"/", "/charts", "/logs", "/events", "/backups", "/diagnostics", "/config"})
MAX_CONNECTIONS = 32  # requests at once; past that a newcomer gets a 503 (a tab holds 2-3: page, stream, fetch)
# Connections still sending their request count apart: a client that drips bytes holds one of
# these, never one of the MAX_CONNECTIONS, and when they are all taken the oldest is dropped for
# the newcomer, so a browser's request (sent whole at once) is always read.
MAX_READING = 16
READ_DEADLINE = 10.0  # seconds from accept to the end of the request's head and body, however it trickles
MAX_BODY = 1 << 20  # a POST body is a few settings, never more
MAX_LINE = 16 * 1024  # the request line or one header
MAX_HEADERS = 100
PORT_FILE = "dashboard.json"  # the port picked when [dashboard] port = 0, kept for the next start
CLOSE_WAIT = 3.0  # seconds close() waits for request threads to see the stop event
# The accept loops sleep this long between looks at the shutdown flag; close() wakes them at once
# with a connection, so an idle instance need not wake for it at all (two loops at 5 s were 0.4
# of the tray's 1.4 wake-ups a second).
POLL = 3600.0

HTML = "text/html; charset=utf-8"
CONTENT_TYPES = {
    ".html": HTML, ".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml", ".png": "image/png", ".ico": "image/x-icon", ".json": "application/json",
    ".woff2": "font/woff2", ".txt": TEXT, ".webmanifest": "application/manifest+json",
}
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = (
    ("Cache-Control", "no-store"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("Content-Security-Policy", CSP),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
)
SIGNED_OUT = N_("You are not signed in. Open the dashboard from the tray menu, or run `trayapp dashboard`.")
BAD_CODE = N_("This login link was already used or has expired: each one works once, within 2 minutes. "
              "Open the dashboard from the tray menu, or run `trayapp dashboard`, for a new one.")

Headers = Mapping[str, list[str]]  # lower-case name -> every value sent


def cookie_name(port: int) -> str:
    """Cookies are not kept apart by port: two trayapps (two users' or TRAYAPP_HOMEs) on one
    machine would overwrite each other's without the port in the name."""
    return f"trayapp_session_{port}"


class DashboardServer:
    """The running dashboard. `start` and `close` from the app's threads; requests on their own."""

    def __init__(self, host: DashboardHost, router: Router, *, port: int | None = None,
                 auth: Auth | None = None, static_dir: Path = STATIC_DIR,
                 max_connections: int = MAX_CONNECTIONS, max_reading: int = MAX_READING,
                 read_deadline: float = READ_DEADLINE) -> None:
        self._host, self._router = host, router
        self._wanted = host.config.dashboard.port if port is None else port
        self.auth = auth or Auth(host.paths.state_dir)
        self._static = static_dir
        self._servers: list[_Server] = []
        self.stop = threading.Event()  # set by close(): every stream ends
        self.port = 0
        self._reading: dict[socket.socket, None] = {}  # oldest first
        self._active: set[socket.socket] = set()
        self._max, self._max_reading = max_connections, max(1, max_reading)
        self.read_deadline = read_deadline
        self._idle = threading.Condition()

    # -- life cycle ----------------------------------------------------------------------------

    def start(self) -> None:
        """Bind and serve. OSError (with the reason) when 127.0.0.1 cannot be had."""
        first = self._bind_ipv4()
        self.port = first.server_address[1]
        self._servers = [first, *self._bind_ipv6(self.port)]
        if self._wanted == 0:
            self._remember_port()
        for n, server in enumerate(self._servers):
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": POLL},
                             name=f"dashboard-{n}", daemon=True).start()
        log.info("the dashboard listens on %s", self.base)

    def close(self) -> None:
        """Stop accepting, end every stream, and wait a little for the request threads to go."""
        self.stop.set()
        stopping = [threading.Thread(target=server.shutdown) for server in self._servers]
        for thread in stopping:
            thread.start()
        for thread, server in zip(stopping, self._servers):
            while thread.is_alive():  # a wake-up may come before shutdown() has raised its flag
                _wake(server)
                thread.join(0.05)
            server.server_close()
        with self._idle:
            for conn in list(self._reading):  # a request still arriving is not waited for
                _hang_up(conn)
            self._idle.wait_for(lambda: not self._active and not self._reading, timeout=CLOSE_WAIT)

    def _bind_ipv4(self) -> _Server:
        if self._wanted:
            return _Server(("127.0.0.1", self._wanted), socket.AF_INET, self)
        remembered = self._remembered_port()
        if remembered:
            try:
                return _Server(("127.0.0.1", remembered), socket.AF_INET, self)
            except OSError as exc:
                log.warning("the dashboard's port %d is taken (%s); it moves to a new port, so open it "
                            "again from the tray menu or with `trayapp dashboard`", remembered, exc.strerror)
        return _Server(("127.0.0.1", 0), socket.AF_INET, self)

    def _bind_ipv6(self, port: int) -> list[_Server]:
        if not socket.has_ipv6:
            return []
        try:
            return [_Server(("::1", port), socket.AF_INET6, self)]
        except OSError as exc:  # no ::1 here (IPv6 off): 127.0.0.1 is enough
            log.info("the dashboard is not on [::1]: %s", exc.strerror or exc)
            return []

    def _port_file(self) -> Path:
        return self._host.paths.state_dir / PORT_FILE

    def _remembered_port(self) -> int:
        try:
            with os.fdopen(open_private(self._port_file(), os.O_RDONLY), "rb") as f:
                data = json.loads(f.read(1000))
        except (OSError, ValueError):  # none yet, damaged, or a link (never followed): pick a new one
            return 0
        port = data.get("port") if isinstance(data, dict) else None
        return port if isinstance(port, int) and 1024 <= port <= 65535 else 0

    def _remember_port(self) -> None:
        try:
            atomic_write(self._port_file(), json.dumps({"port": self.port}) + "\n", mode=0o600, durable=False)
        except OSError as exc:  # only a bookmark is lost: the next start picks another port
            log.warning("the dashboard's port could not be remembered in %s: %s", self._port_file(), exc)

    # -- addresses -----------------------------------------------------------------------------

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, page: str) -> str:
        """A one-time login URL that opens `page` ("/logs?program=x"): valid 2 minutes, once."""
        code = self.auth.issue_code(page)
        return f"{self.base}/login?code={code}&next={quote(page, safe='/?=')}"

    def addresses(self) -> list[str]:
        """The addresses the sockets are bound to, as the system reports them."""
        return [str(server.socket.getsockname()[0]) for server in self._servers]

    def _hosts(self) -> frozenset[str]:
        return frozenset(f"{name}:{self.port}" for name in ("127.0.0.1", "localhost", "[::1]"))

    # -- request threads -----------------------------------------------------------------------

    def arrive(self, conn: socket.socket) -> None:
        """A connection is accepted: it reads its request in one of MAX_READING places."""
        with self._idle:
            while len(self._reading) >= self._max_reading:
                oldest = next(iter(self._reading))
                del self._reading[oldest]
                _hang_up(oldest)  # its thread sees the end of its input and leaves
            self._reading[conn] = None

    def enter(self, conn: socket.socket) -> bool:
        """Its request was read: False when MAX_CONNECTIONS requests are already being answered."""
        with self._idle:
            self._reading.pop(conn, None)
            if len(self._active) >= self._max:
                return False
            self._active.add(conn)
            return True

    def leave(self, conn: socket.socket) -> None:
        with self._idle:
            self._reading.pop(conn, None)
            self._active.discard(conn)
            self._idle.notify_all()

    def respond(self, method: str, target: str, headers: Headers, read_body: Callable[[int], bytes]) -> Response:
        """One request, checked in order (Host, cookie, Origin and CSRF), then answered."""
        split = urlsplit(target)
        path = unquote(split.path)
        if _one(headers, "host").lower() not in self._hosts():
            return Response.text(_("This address is not the dashboard's: open it at 127.0.0.1 or localhost "
                                   "with its port, from the tray menu or `trayapp dashboard`."), 421)
        query = {k: v[0] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        if path.startswith("/static/") and method == "GET":
            return self._static_file(path[len("/static/"):])
        if path == "/login" and method == "GET":
            return self._login(query.get("code", ""))
        sid = self.auth.session_id(_cookie(headers, cookie_name(self.port)), self.port)
        if sid is None:
            return self._signed_out(path)
        if method == "POST" and (refused := self._post_refusal(headers, sid)) is not None:
            return refused
        if method == "GET" and path in PAGES and not _wants_stream(path, headers):
            return self._index(sid)
        return self._dispatch(method, path, query, headers, read_body)

    def _dispatch(self, method: str, path: str, query: dict[str, str], headers: Headers,
                  read_body: Callable[[int], bytes]) -> Response:
        try:
            body = _json_body(headers, read_body) if method == "POST" else {}
        except HttpError as exc:
            return Response.error(exc.status, exc.message, exc.fix)
        return self._router.dispatch(Request(method, path, query, body))

    def _post_refusal(self, headers: Headers, sid: str) -> Response | None:
        if _one(headers, "origin").lower() not in {f"http://{h}" for h in self._hosts()}:
            return Response.error(403, _("this request came from another web site, so it was refused"),
                                  _("use the dashboard's own page: open it from the tray menu"))
        if not self.auth.csrf_ok(sid, _one(headers, "x-csrf-token")):
            return Response.error(403, _("this request lacked the page's security token, so it was refused"),
                                  _("reload the dashboard page and try again"))
        return None

    # -- pages ---------------------------------------------------------------------------------

    def _login(self, code: str) -> Response:
        next_path = self.auth.redeem(code)
        if next_path is None:
            return self._login_page(BAD_CODE, 403)
        cookie = (f"{cookie_name(self.port)}={self.auth.new_session(self.port)}; HttpOnly; SameSite=Strict; "
                  f"Path=/; Max-Age={SESSION_LIFETIME}")
        return Response(303, b"", TEXT, (("Location", next_path), ("Set-Cookie", cookie)))

    def _signed_out(self, path: str) -> Response:
        if path in PAGES:
            return self._login_page(SIGNED_OUT, 401)
        return Response.error(401, _("you are not signed in to the dashboard"),
                              _("open it from the tray menu, or run `trayapp dashboard`"))

    def _login_page(self, message: str, status: int) -> Response:
        """`message` is a msgid (SIGNED_OUT, BAD_CODE): the page and it in the active language."""
        page = (self._read_static("login.html") or _FALLBACK_LOGIN.encode()).decode("utf-8", "replace")
        page = page_text.translate_html(page).replace("__MESSAGE__", html.escape(_(message)))
        return Response(status, page.encode("utf-8"), HTML)

    def _index(self, sid: str) -> Response:
        """index.html in the active language, with the page's token and app.js's words."""
        page = self._read_static("index.html")
        if page is None:
            return Response.text(_("The dashboard's page is missing from this installation; reinstall trayapp."), 500)
        words = page_text.messages_block(page_text.translations(*page_text.page_messages(self._static)))
        text = page_text.translate_html(page.decode("utf-8", "replace")).replace("</head>", words + "\n</head>", 1)
        return Response(200, text.replace("__CSRF__", self.auth.csrf_token(sid)).encode("utf-8"), HTML)

    def _static_file(self, name: str) -> Response:
        data = self._read_static(name)
        if data is None:
            return Response.text(_("There is no such file."), 404)
        return Response(200, data, CONTENT_TYPES.get(os.path.splitext(name)[1].lower(), "application/octet-stream"))

    def _read_static(self, name: str) -> bytes | None:
        """The file called `name` in the static folder, found in its listing (never a path built
        from the request: "../x", "%2e%2e" and links lead nowhere)."""
        try:
            with os.scandir(self._static) as entries:
                found = [e.path for e in entries if e.name == name and e.is_file(follow_symlinks=False)]
            return Path(found[0]).read_bytes() if found else None
        except OSError:
            return None


def _wake(server: _Server) -> None:
    """A connection makes the accept loop look at its shutdown flag now, not at the next POLL."""
    try:
        with socket.create_connection(server.socket.getsockname()[:2], timeout=1):
            pass
    except OSError:  # it is gone already, or will see the flag within POLL seconds
        pass


def _one(headers: Headers, name: str) -> str:
    """The header's value when it was sent exactly once, else "" (two Host headers: refused)."""
    values = headers.get(name, [])
    return values[0].strip() if len(values) == 1 else ""


def _cookie(headers: Headers, name: str) -> str:
    for header in headers.get("cookie", []):
        for part in header.split(";"):
            key, _eq, value = part.strip().partition("=")
            if key == name:
                return value
    return ""


def _wants_stream(path: str, headers: Headers) -> bool:
    """/events is both the Events page and the live stream: EventSource asks for text/event-stream."""
    return path == "/events" and any("text/event-stream" in a for a in headers.get("accept", []))


def _json_body(headers: Headers, read_body: Callable[[int], bytes]) -> dict[str, Any]:
    if headers.get("transfer-encoding"):  # never read as a body: it would run as an empty one
        raise HttpError(411, _("the request's body was sent in chunks, which the dashboard does not read"),
                        _("send it with a Content-Length"))
    try:
        length = int(_one(headers, "content-length") or 0)
    except ValueError:
        raise HttpError(400, _("the request's length is not a number")) from None
    if length > MAX_BODY or length < 0:
        raise HttpError(413, _("the request is too large"))
    raw = read_body(length) if length else b""
    try:
        body = json.loads(raw) if raw.strip() else {}
    except ValueError:
        raise HttpError(400, _("the request is not valid JSON"), _("send a JSON object")) from None
    if not isinstance(body, dict):
        raise HttpError(400, _("the request must be a JSON object"), _("send a JSON object"))
    return body


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = sys.platform != "win32"  # on Windows it would let us take a port in use
    request_queue_size = 64  # not 5: a burst of connections (a tab's, or a flood's) is not dropped for a retry

    def __init__(self, address: tuple[str, int], family: socket.AddressFamily, dashboard: DashboardServer) -> None:
        self.address_family = family
        self.dashboard = dashboard
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        self.dashboard.arrive(request)
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.dashboard.leave(request)
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.dashboard.leave(request)


def _hang_up(conn: socket.socket) -> None:
    try:
        conn.shutdown(socket.SHUT_RDWR)
    except OSError:  # already gone
        pass


BUSY = N_("The dashboard is busy: too many connections are open. Close a few tabs and reload.")


class _BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


class LineReader(Protocol):
    def readline(self, size: int = -1, /) -> bytes: ...


class DeadlineReader:
    """Reads a socket until one deadline: each recv waits only for the time left, so a client
    that sends a byte now and then cannot stretch its request past it (TimeoutError, an OSError)."""

    def __init__(self, conn: socket.socket, deadline: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._conn, self._deadline, self._clock = conn, deadline, clock
        self._buf = bytearray()

    def readline(self, size: int = -1, /) -> bytes:
        while True:
            end = self._buf.find(b"\n", 0, size if size >= 0 else None)
            if end >= 0:
                return self._take(end + 1)
            if (0 <= size <= len(self._buf)) or not self._fill():
                return self._take(size if size >= 0 else len(self._buf))

    def read(self, size: int, /) -> bytes:
        while len(self._buf) < size and self._fill():
            pass
        return self._take(size)

    def _fill(self) -> bool:
        """More bytes: False at the end of the input."""
        left = self._deadline - self._clock()
        if left <= 0:
            raise TimeoutError("the request took too long to arrive")
        self._conn.settimeout(left)
        chunk = self._conn.recv(64 * 1024)
        self._buf += chunk
        return bool(chunk)

    def _take(self, size: int) -> bytes:
        data = bytes(self._buf[:size])
        del self._buf[:size]
        return data


def read_request(rfile: LineReader) -> tuple[str, str, Headers] | None:
    """The request line and headers; None when the client sent nothing (or closed half-way).

    Written here rather than taken from http.server, which imports http.client, email and ssl:
    1.4 MiB of an idle instance's 30 MiB budget for these few lines."""
    line = rfile.readline(MAX_LINE + 1)
    if not line.endswith(b"\n"):
        if len(line) > MAX_LINE:
            raise _BadRequest(414, _("The address of this request is too long."))
        return None
    parts = line.decode("latin-1").rstrip("\r\n").split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1.") or not parts[1].startswith("/"):
        raise _BadRequest(400, _("This is not a request the dashboard understands."))
    headers = _read_headers(rfile)
    return None if headers is None else (parts[0], parts[1], headers)


def _read_headers(rfile: LineReader) -> Headers | None:
    headers: dict[str, list[str]] = {}
    for _line in range(MAX_HEADERS):
        raw = rfile.readline(MAX_LINE + 1)
        if raw in (b"\r\n", b"\n"):
            return headers
        if not raw.endswith(b"\n"):
            if len(raw) > MAX_LINE:
                raise _BadRequest(431, _("A header of this request is too long."))
            return None
        name, colon, value = raw.decode("latin-1").partition(":")
        if not colon or not name or name != name.strip():
            raise _BadRequest(400, _("A header of this request is malformed."))
        headers.setdefault(name.lower(), []).append(value.strip())
    raise _BadRequest(431, _("This request has too many headers."))


class _Handler(socketserver.StreamRequestHandler):
    """One connection, one request (Connection: close): a kept-alive idle socket would hold a slot."""

    timeout = 30  # a client that stops reading a stream (reading the request has READ_DEADLINE)

    def handle(self) -> None:
        self._reader = DeadlineReader(self.connection, time.monotonic() + self._dashboard().read_deadline)
        try:
            request = read_request(self._reader)
        except _BadRequest as exc:
            self._send_quietly(Response.text(exc.message, exc.status))
            return
        except OSError:  # timed out or reset before the request was complete
            return
        if request is None:
            return
        if not self._dashboard().enter(self.connection):
            self._send_quietly(Response.text(_(BUSY), 503))
            return
        self._send_quietly(self._answer(*request))

    def _answer(self, method: str, target: str, headers: Headers) -> Response:
        if method not in ("GET", "POST"):
            return Response.error(405, _("{method} is not something the dashboard answers").format(method=method[:20]))
        try:
            return self._dashboard().respond(method, target, headers, self._read_body)
        except Exception:
            log.exception("the dashboard failed on %s %s", method, target.split("?")[0])
            return Response.error(500, _("the dashboard hit an internal error"), _("the details are in trayapp.log"))

    def _read_body(self, size: int) -> bytes:
        try:
            return self._reader.read(size)
        except OSError:
            raise HttpError(408, _("the request took too long to arrive"), _("try again")) from None

    def _dashboard(self) -> DashboardServer:
        server = self.server
        assert isinstance(server, _Server)
        return server.dashboard

    def _send_quietly(self, response: Response) -> None:
        try:
            self._send(response)
        except OSError:  # the browser went away (closed tab): nothing to tell anyone
            pass

    def _send(self, response: Response) -> None:
        self.connection.settimeout(self.timeout)  # the reading deadline is over: writing has its own
        head = [("Content-Type", response.content_type), *response.headers, ("Connection", "close"),
                *SECURITY_HEADERS]
        if response.stream is None:
            head.append(("Content-Length", str(len(response.body))))
        self.wfile.write(_head(response.status, head) + (b"" if response.stream else response.body))
        if response.stream is not None:
            response.stream(self._write, self._dashboard().stop)

    def _write(self, data: bytes) -> None:
        self.wfile.write(data)  # unbuffered: the bytes are on their way when this returns


def _head(status: int, headers: list[tuple[str, str]]) -> bytes:
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = ""
    lines = [f"HTTP/1.1 {status} {reason}", *(f"{name}: {value}" for name, value in headers)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")


_FALLBACK_LOGIN = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title data-i18n>trayapp dashboard</title></head>
<body><h1 data-i18n>trayapp dashboard</h1><p>__MESSAGE__</p></body></html>
"""
