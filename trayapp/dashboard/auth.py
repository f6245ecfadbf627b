"""Who may use the dashboard: the token file, one-time login codes, session cookies, CSRF tokens.

The token (32 random bytes, hex, 0600 in the state folder) never leaves the machine and never
reaches a browser. A browser proves itself with a session cookie: a random session id, the time it
was issued and the dashboard's port, plus an HMAC of all three with the token, so sessions survive a
restart of trayapp, end after SESSION_LIFETIME on the server (not only in the browser), are refused
by a dashboard on another port (browsers send 127.0.0.1's cookies to every port), and all die when
the token is rotated. The CSRF token of a session is HMAC(token, "csrf" + session id): nothing to store.

A browser gets its cookie from a one-time login code, asked for by the tray or `trayapp dashboard`
over the authenticated control channel: single use, valid for two minutes, kept in memory only.
"""

from __future__ import annotations

import errno
import hashlib
import hmac
import os
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path

from trayapp.atomic import atomic_write
from trayapp.paths import open_private

TOKEN_FILE = "dashboard.token"
CODE_LIFETIME = 120.0  # seconds a one-time login code may wait before it is used
SESSION_LIFETIME = 7 * 24 * 3600  # seconds a session cookie is honoured; the cookie's Max-Age too
CLOCK_SLACK = 300.0  # a cookie "issued" this far in the future is still taken (the clock was set back)
MAX_CODES = 64  # codes waiting at once; the oldest give way (nobody needs 64 open logins)


def token_path(state_dir: Path) -> Path:
    return state_dir / TOKEN_FILE


def load_or_create_token(state_dir: Path) -> bytes:
    """The token in the state folder, made on first use. Never through a link (open_private)."""
    path = token_path(state_dir)
    try:
        fd = open_private(path, os.O_RDONLY)
    except FileNotFoundError:
        return _create(path)
    with os.fdopen(fd, "rb") as f:
        text = f.read(200).decode("ascii", "replace").strip()
    try:
        token = bytes.fromhex(text)
    except ValueError:
        token = b""
    return token if len(token) >= 16 else rotate_token(state_dir)  # damaged: a new one, sign everyone out


def _create(path: Path) -> bytes:
    token = secrets.token_bytes(32)
    try:
        fd = open_private(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    except OSError as exc:
        if exc.errno == errno.EEXIST:  # another thread or process made it first: use theirs
            return load_or_create_token(path.parent)
        raise
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(token.hex() + "\n")
    return token


def rotate_token(state_dir: Path) -> bytes:
    """A new token, written atomically (0600): every session cookie made with the old one is void."""
    token = secrets.token_bytes(32)
    atomic_write(token_path(state_dir), token.hex() + "\n", mode=0o600)
    return token


def _mac(token: bytes, message: str) -> str:
    return hmac.new(token, message.encode("utf-8"), hashlib.sha256).hexdigest()


class Auth:
    """The running dashboard's keys. Any thread.

    `clock` is monotonic seconds, `wall` epoch seconds (a cookie outlives this process); both
    injected: tests step them to expire codes and sessions without sleeping."""

    def __init__(self, state_dir: Path, *, clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time) -> None:
        self._state_dir = state_dir
        self._clock, self._wall = clock, wall
        self._lock = threading.Lock()
        self._token = load_or_create_token(state_dir)
        self._codes: dict[str, tuple[float, str]] = {}  # code -> (expires at, next path)

    def rotate(self) -> None:
        """A new token: every browser is signed out, every waiting login code is void."""
        token = rotate_token(self._state_dir)
        with self._lock:
            self._token = token
            self._codes.clear()

    # -- one-time login codes ------------------------------------------------------------------

    def issue_code(self, next_path: str) -> str:
        """A code for one login that then goes to `next_path` (a local path: see safe_next)."""
        code = secrets.token_urlsafe(24)
        now = self._clock()
        with self._lock:
            self._forget_expired(now)
            while len(self._codes) >= MAX_CODES:
                del self._codes[next(iter(self._codes))]
            self._codes[code] = (now + CODE_LIFETIME, safe_next(next_path))
        return code

    def redeem(self, code: str) -> str | None:
        """The path to go to, once: a used, unknown or expired code gives None."""
        with self._lock:
            self._forget_expired(self._clock())
            found = self._codes.pop(code, None) if code else None
        return None if found is None else found[1]

    def _forget_expired(self, now: float) -> None:
        """Under _lock."""
        for code in [c for c, (expires, _) in self._codes.items() if expires <= now]:
            del self._codes[code]

    # -- sessions and CSRF ---------------------------------------------------------------------

    def new_session(self, port: int = 0) -> str:
        """A cookie value: id "." issued "." port "." HMAC(token, "session" + the three)."""
        signed = f"{secrets.token_urlsafe(24)}.{int(self._wall())}.{port}"
        return f"{signed}.{_mac(self._token, 'session' + signed)}"

    def session_id(self, cookie: str, port: int = 0) -> str | None:
        """The session id of a valid cookie value for `port`, not older than SESSION_LIFETIME,
        else None (constant-time compare before the fields are believed)."""
        signed, _, mac = cookie.rpartition(".")
        parts = signed.split(".")
        if len(parts) != 3 or not all(parts) or not _same(mac, _mac(self._token, "session" + signed)):
            return None
        sid, issued, minted_for = parts
        if not issued.isdigit() or minted_for != str(port):
            return None
        age = self._wall() - int(issued)
        return sid if -CLOCK_SLACK <= age <= SESSION_LIFETIME else None

    def csrf_token(self, sid: str) -> str:
        return _mac(self._token, "csrf" + sid)

    def csrf_ok(self, sid: str, given: str) -> bool:
        return bool(given) and _same(given, self.csrf_token(sid))


def _same(given: str, expected: str) -> bool:
    """Constant-time; bytes because compare_digest refuses non-ASCII str (a header may hold any)."""
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8"))


def safe_next(path: str) -> str:
    """`path` when it is a local path ("/logs?program=x"), else "/": never another site ("//x",
    "https://x", "/\\x" which some browsers read as "//x")."""
    if not path.startswith("/") or path.startswith("//") or "\\" in path or any(c < " " for c in path):
        return "/"
    return path
