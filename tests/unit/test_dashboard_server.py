"""The dashboard's server over real loopback sockets, with a fake app behind it: who gets in, what
they see, which requests are refused, and where the server listens."""

from __future__ import annotations

import io
import ipaddress
import json
import logging
import os
import socket
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.unit.dashboard_fake import Browser, FakeClock, FakeHost
from trayapp.dashboard import routes
from trayapp.dashboard.auth import Auth, safe_next, token_path
from trayapp.dashboard.server import (
    PORT_FILE, SECURITY_HEADERS, DashboardServer, DeadlineReader, _BadRequest, read_request,
)


@pytest.fixture
def host(tmp_path: Path) -> FakeHost:
    return FakeHost(tmp_path)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def server(host: FakeHost, clock: FakeClock) -> Iterator[DashboardServer]:
    s = DashboardServer(host, routes.build(host), auth=Auth(host.paths.state_dir, clock=clock))
    s.start()
    yield s
    s.close()


@pytest.fixture
def browser(server: DashboardServer) -> Browser:
    return Browser(server)


# -- no key, no data ---------------------------------------------------------------------------------

def test_without_a_session_the_api_says_401_and_names_no_program(browser: Browser) -> None:
    reply = browser.call("GET", "/api/overview")
    assert reply.status == 401
    assert "not signed in" in reply.json()["error"]
    assert b"alpha" not in reply.body and b"Alpha" not in reply.body


@pytest.mark.parametrize("page", ["/", "/logs?program=alpha", "/events", "/config"])
def test_without_a_session_a_page_is_the_login_page(browser: Browser, page: str) -> None:
    reply = browser.call("GET", page)
    assert reply.status == 401
    assert b"trayapp dashboard" in reply.body and b"tray menu" in reply.body
    assert b"Alpha" not in reply.body and b"csrf-token" not in reply.body


def test_a_forged_cookie_is_refused(browser: Browser) -> None:
    browser.log_in()
    sid, _, mac = browser.cookie.partition(".")
    assert browser.call("GET", "/api/overview", cookie=f"{sid}x.{mac}").status == 401
    assert browser.call("GET", "/api/overview", cookie=sid).status == 401


def test_a_login_code_signs_in_once_and_goes_to_the_page_asked_for(browser: Browser) -> None:
    code = browser.server.auth.issue_code("/logs?program=alpha")
    first = browser.call("GET", f"/login?code={code}")
    assert first.status == 303 and first.headers["Location"] == "/logs?program=alpha"
    cookie = first.headers["Set-Cookie"]
    assert f"trayapp_session_{browser.server.port}=" in cookie
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    again = browser.call("GET", f"/login?code={code}")
    assert again.status == 403 and b"already used or has expired" in again.body
    assert "Set-Cookie" not in again.headers


def test_a_login_code_expires_after_two_minutes(browser: Browser, clock: FakeClock) -> None:
    stale = browser.server.auth.issue_code("/")
    clock.now += 120
    assert browser.call("GET", f"/login?code={stale}").status == 403
    fresh = browser.server.auth.issue_code("/")
    clock.now += 119
    assert browser.call("GET", f"/login?code={fresh}").status == 303
    assert browser.call("GET", "/login?code=").status == 403


@pytest.mark.parametrize("asked, went", [("/logs?program=x", "/logs?program=x"), ("//evil.example/", "/"),
                                         ("https://evil.example/", "/"), ("/\\evil.example", "/"),
                                         ("", "/"), ("/a\r\nSet-Cookie: x=y", "/")])
def test_after_login_only_a_local_path(asked: str, went: str) -> None:
    assert safe_next(asked) == went


def test_rotating_the_key_signs_every_browser_out(browser: Browser, host: FakeHost) -> None:
    browser.log_in()
    assert browser.call("GET", "/api/overview").status == 200
    waiting = browser.server.auth.issue_code("/")
    browser.server.auth.rotate()
    assert browser.call("GET", "/api/overview").status == 401
    assert browser.call("GET", f"/login?code={waiting}").status == 403


def test_a_session_outlives_a_restart_of_the_server(browser: Browser, host: FakeHost) -> None:
    browser.log_in()
    again = Auth(host.paths.state_dir)  # a new trayapp reads the same key
    assert again.session_id(browser.cookie, browser.server.port) is not None


def test_a_session_ends_on_the_server_after_seven_days(host: FakeHost) -> None:
    wall = FakeClock()
    s = DashboardServer(host, routes.build(host), auth=Auth(host.paths.state_dir, wall=wall))
    s.start()
    try:
        browser = Browser(s)
        login = browser.log_in()
        assert f"Max-Age={7 * 24 * 3600}" in login.headers["Set-Cookie"]
        wall.now += 6 * 24 * 3600
        assert browser.call("GET", "/api/overview").status == 200
        wall.now += 2 * 24 * 3600
        page = browser.call("GET", "/")
        assert page.status == 401 and b"not signed in" in page.body
    finally:
        s.close()


def test_a_cookie_minted_for_another_port_is_refused(browser: Browser) -> None:
    browser.log_in()
    port = browser.server.port
    assert browser.server.auth.session_id(browser.cookie, port) is not None
    assert browser.server.auth.session_id(browser.cookie, port + 1) is None
    elsewhere = browser.server.auth.new_session(port + 1)  # as a trayapp on another port would make it
    assert browser.call("GET", "/api/overview", cookie=elsewhere).status == 401


@pytest.mark.parametrize("tamper", [
    lambda c: c.replace(".", "..", 1), lambda c: c.rpartition(".")[0], lambda c: "x." + c,
])
def test_a_cookie_with_its_fields_changed_is_refused(browser: Browser, tamper: Callable[[str], str]) -> None:
    browser.log_in()
    assert browser.call("GET", "/api/overview", cookie=tamper(browser.cookie)).status == 401


def test_the_key_file_is_owner_only_and_a_damaged_one_is_replaced(host: FakeHost) -> None:
    first = Auth(host.paths.state_dir)
    path = token_path(host.paths.state_dir)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    cookie = first.new_session()
    path.write_text("not hex")
    replaced = Auth(host.paths.state_dir)
    assert replaced.session_id(cookie) is None
    assert len(bytes.fromhex(path.read_text().strip())) == 32


def test_the_key_file_is_never_read_through_a_link(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (tmp_path / "elsewhere").write_text("ab" * 32)
    token_path(state).symlink_to(tmp_path / "elsewhere")
    with pytest.raises(OSError, match="symbolic link"):
        Auth(state)


# -- DNS rebinding: the Host header ------------------------------------------------------------------

@pytest.mark.parametrize("bad_host", ["evil.example:{port}", "127.0.0.1:{other}", "127.0.0.1", "",
                                      "localhost.evil.example:{port}", "0.0.0.0:{port}"])
def test_a_wrong_host_is_refused_even_with_a_session(browser: Browser, bad_host: str) -> None:
    browser.log_in()
    port = browser.server.port
    reply = browser.call("GET", "/api/overview", host=bad_host.format(port=port, other=port + 1))
    assert reply.status == 421
    assert b"not the dashboard's" in reply.body and b"Alpha" not in reply.body


@pytest.mark.parametrize("good_host", ["127.0.0.1:{port}", "localhost:{port}", "[::1]:{port}", "LOCALHOST:{port}"])
def test_the_loopback_names_with_our_port_are_accepted(browser: Browser, good_host: str) -> None:
    browser.log_in()
    assert browser.call("GET", "/api/overview", host=good_host.format(port=browser.server.port)).status == 200


# -- state changes: Origin and CSRF -------------------------------------------------------------------

def test_a_cross_origin_post_is_refused_and_nothing_restarts(browser: Browser, host: FakeHost) -> None:
    browser.log_in()
    for origin in ("http://evil.example", f"http://evil.example:{browser.server.port}", "null",
                   f"https://127.0.0.1:{browser.server.port}", f"http://127.0.0.1:{browser.server.port + 1}"):
        reply = browser.post("/api/programs/alpha/restart", Origin=origin)
        assert reply.status == 403, origin
        assert "another web site" in reply.json()["error"]
    assert host.commands == []


def test_a_post_without_origin_is_refused(browser: Browser, host: FakeHost) -> None:
    browser.log_in()
    reply = browser.call("POST", "/api/programs/alpha/restart", body={},
                         headers={"X-CSRF-Token": browser.csrf})
    assert reply.status == 403 and host.commands == []


@pytest.mark.parametrize("token", ["", "0" * 64, "ü"])
def test_a_post_without_the_right_csrf_token_is_refused(browser: Browser, host: FakeHost, token: str) -> None:
    browser.log_in()
    reply = browser.post("/api/programs/alpha/restart", X_CSRF_Token=token)
    assert reply.status == 403 and "security token" in reply.json()["error"]
    assert host.commands == []


def test_the_csrf_token_of_another_session_does_not_work(browser: Browser, host: FakeHost) -> None:
    other = Browser(browser.server)
    other.log_in()
    browser.log_in()
    assert other.csrf and other.csrf != browser.csrf
    assert browser.post("/api/programs/alpha/restart", X_CSRF_Token=other.csrf).status == 403
    assert host.commands == []


def test_a_same_origin_post_with_the_token_restarts(browser: Browser, host: FakeHost) -> None:
    browser.log_in()
    reply = browser.post("/api/programs/alpha/restart")
    assert reply.status == 200, reply.body
    assert reply.json() == {"message": "Asked trayapp to restart Alpha Bot."}
    assert host.commands == [("restart", "alpha")]


def test_a_body_that_is_not_a_json_object_is_a_400(browser: Browser, host: FakeHost) -> None:
    browser.log_in()
    assert browser.post("/api/notifications", [1, 2]).status == 400
    reply = browser.call("POST", "/api/notifications", body=b"{x", headers={
        "Origin": browser.origin, "X-CSRF-Token": browser.csrf})
    assert reply.status == 400 and "not valid JSON" in reply.json()["error"]
    assert host.notifier.until is None


# -- static files ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/static/../../etc/passwd", "/static/%2e%2e/%2e%2e/etc/passwd",
                                  "/static/..%2f..%2fetc%2fpasswd", "/static/%2E%2E%2Fserver.py",
                                  "/static/../server.py", "/static//etc/passwd", "/static/", "/static/.",
                                  "/static/nothing.css"])
def test_nothing_outside_the_static_folder_is_served(browser: Browser, path: str) -> None:
    browser.log_in()
    reply = browser.call("GET", path)
    assert reply.status == 404, path
    assert b"root:" not in reply.body and b"import" not in reply.body


def test_a_link_in_the_static_folder_is_not_followed(host: FakeHost, tmp_path: Path) -> None:
    static = tmp_path / "static"
    static.mkdir()
    (static / "app.css").write_text("body{}")
    (tmp_path / "secret.txt").write_text("secret")
    (static / "leak.css").symlink_to(tmp_path / "secret.txt")
    s = DashboardServer(host, routes.build(host), static_dir=static)
    s.start()
    try:
        b = Browser(s)
        ok = b.call("GET", "/static/app.css")
        assert ok.status == 200 and ok.headers["Content-Type"].startswith("text/css") and ok.body == b"body{}"
        assert b.call("GET", "/static/leak.css").status == 404
    finally:
        s.close()


def test_every_page_path_serves_the_page_with_the_sessions_csrf_token(browser: Browser) -> None:
    browser.log_in()
    for page in ("/", "/charts", "/logs?program=alpha", "/events", "/backups", "/diagnostics", "/config"):
        reply = browser.call("GET", page)
        assert reply.status == 200 and reply.headers["Content-Type"].startswith("text/html"), page
        assert f'content="{browser.csrf}"'.encode() in reply.body and b"__CSRF__" not in reply.body


def test_every_answer_carries_the_security_headers_and_no_cors(browser: Browser) -> None:
    browser.log_in()
    answers = [browser.call("GET", "/"), browser.call("GET", "/api/overview"), browser.call("GET", "/nowhere"),
               browser.call("GET", "/api/overview", host="evil.example"), browser.call("GET", "/api/x", cookie="x"),
               browser.call("GET", "/static/../x"), browser.call("PUT", "/api/overview"),
               browser.call("GET", "/api/overview", headers={"Origin": "http://evil.example"})]
    for reply in answers:
        for name, value in SECURITY_HEADERS:
            assert reply.headers.get(name) == value, (reply.status, name)
        assert not [h for h in reply.headers if h.lower().startswith("access-control-")]
    csp = dict(SECURITY_HEADERS)["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp


# -- where it listens ---------------------------------------------------------------------------------

def test_it_listens_on_loopback_only(server: DashboardServer) -> None:
    addresses = server.addresses()
    assert addresses[0] == "127.0.0.1"
    assert all(ipaddress.ip_address(a).is_loopback for a in addresses)


def test_port_zero_picks_one_and_keeps_it_for_the_next_start(host: FakeHost) -> None:
    first = DashboardServer(host, routes.build(host))
    first.start()
    first.close()
    remembered = host.paths.state_dir / PORT_FILE
    assert json.loads(remembered.read_text()) == {"port": first.port}
    assert stat.S_IMODE(remembered.stat().st_mode) == 0o600
    second = DashboardServer(host, routes.build(host))
    second.start()
    try:
        assert second.port == first.port
    finally:
        second.close()


def test_a_remembered_port_that_is_taken_moves_and_says_so(host: FakeHost, caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        (host.paths.state_dir / PORT_FILE).write_text(json.dumps({"port": taken}))
        s = DashboardServer(host, routes.build(host))
        with caplog.at_level(logging.WARNING, logger="trayapp.dashboard.server"):
            s.start()
        try:
            assert s.port != taken
            assert f"port {taken} is taken" in caplog.text
            assert json.loads((host.paths.state_dir / PORT_FILE).read_text()) == {"port": s.port}
        finally:
            s.close()


def test_a_configured_port_in_use_is_an_error_for_the_app_to_report(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        host = FakeHost(tmp_path, port=squatter.getsockname()[1])
        with pytest.raises(OSError):
            DashboardServer(host, routes.build(host)).start()


def test_requests_past_the_limit_get_a_503(host: FakeHost) -> None:
    s = DashboardServer(host, routes.build(host), max_connections=2)
    s.start()
    browser = Browser(s)
    browser.log_in()
    streams = [browser.stream() for _ in range(2)]
    try:
        assert [next(events)[0] for events in streams] == ["hello", "hello"]
        reply = browser.call("GET", "/api/overview")
        assert reply.status == 503 and b"too many connections" in reply.body
    finally:
        s.close()
        for events in streams:
            list(events)


def test_sockets_dripping_bytes_neither_starve_a_signed_in_request_nor_outlive_the_deadline(host: FakeHost) -> None:
    s = DashboardServer(host, routes.build(host), read_deadline=1.0)
    s.start()
    browser = Browser(s)
    browser.log_in()
    drips = [socket.create_connection(("127.0.0.1", s.port), timeout=30) for _ in range(40)]
    try:
        for sock in drips:
            sock.sendall(b"G")
        assert browser.call("GET", "/api/overview").status == 200
        for sock in drips:
            try:
                sock.sendall(b"E")
            except OSError:  # dropped already, for a newer one
                pass
        for sock in drips:  # each is closed by the server, at the latest at the deadline
            try:
                assert sock.recv(100) == b""
            except ConnectionResetError:
                pass
    finally:
        for sock in drips:
            sock.close()
        s.close()


def test_a_request_head_sent_a_byte_at_a_time_stops_at_the_deadline() -> None:
    now = [0.0]
    a, b = socket.socketpair()
    with a, b:
        reader = DeadlineReader(a, 10.0, clock=lambda: now[0])
        b.sendall(b"GET / HTTP/1.1\r\nHo")
        assert reader.readline(100) == b"GET / HTTP/1.1\r\n"
        now[0] = 10.0  # the rest of the head would come later, a byte at a time: it is not waited for
        with pytest.raises(TimeoutError):
            reader.readline(100)


def test_a_chunked_post_is_refused_not_run_as_an_empty_body(server: DashboardServer, browser: Browser,
                                                            host: FakeHost) -> None:
    browser.log_in()
    reply = browser.post("/api/programs/alpha/restart", b"", Transfer_Encoding="chunked")
    assert reply.status == 411 and "Content-Length" in reply.json()["fix"]
    assert host.commands == []


def test_close_ends_every_event_stream(server: DashboardServer, browser: Browser) -> None:
    browser.log_in()
    events = browser.stream()
    assert next(events)[0] == "hello"
    server.close()
    assert list(events) == []  # the stream ended (end of file), it did not hang


def test_the_server_does_not_leave_its_files_readable_by_others(server: DashboardServer, host: FakeHost) -> None:
    for name in os.listdir(host.paths.state_dir):
        mode = stat.S_IMODE((host.paths.state_dir / name).stat().st_mode)
        assert mode & 0o077 == 0, (name, oct(mode))


# -- the request parser ----------------------------------------------------------------------------------

def test_a_request_is_its_line_and_headers() -> None:
    raw = b"GET /api/overview?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8\r\nCookie: a=1\r\ncookie: b=2\r\n\r\nrest"
    assert read_request(io.BytesIO(raw)) == ("GET", "/api/overview?x=1",
                                             {"host": ["127.0.0.1:8"], "cookie": ["a=1", "b=2"]})


@pytest.mark.parametrize("raw", [b"", b"GET / HTTP/1.1", b"GET / HTTP/1.1\r\nHost: x\r\n"])
def test_a_request_cut_short_is_nothing(raw: bytes) -> None:
    assert read_request(io.BytesIO(raw)) is None


@pytest.mark.parametrize("raw, status", [
    (b"hello\r\n\r\n", 400), (b"GET http://evil.example/ HTTP/1.1\r\n\r\n", 400), (b"GET / SPDY/3\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nno colon here\r\n\r\n", 400), (b"GET / HTTP/1.1\r\n : x\r\n\r\n", 400),
    (b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\n\r\n", 414),
    (b"GET / HTTP/1.1\r\nX: " + b"a" * 20000 + b"\r\n\r\n", 431),
    (b"GET / HTTP/1.1\r\n" + b"X: 1\r\n" * 101 + b"\r\n", 431),
])
def test_a_malformed_request_is_refused_with_its_status(raw: bytes, status: int) -> None:
    with pytest.raises(_BadRequest) as raised:
        read_request(io.BytesIO(raw))
    assert raised.value.status == status


def test_garbage_on_the_socket_gets_a_400_with_the_security_headers(server: DashboardServer) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(b"\x16\x03\x01 not http\r\n\r\n")
        answer = b"".join(iter(lambda: sock.recv(4096), b""))
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"\r\nX-Content-Type-Options: nosniff\r\n" in answer and b"Access-Control" not in answer


def test_a_remembered_port_is_never_read_through_a_link(host: FakeHost, tmp_path: Path) -> None:
    with socket.socket() as elsewhere:
        elsewhere.bind(("127.0.0.1", 0))
        port = elsewhere.getsockname()[1]
    (tmp_path / "planted.json").write_text(json.dumps({"port": port}))
    (host.paths.state_dir / PORT_FILE).symlink_to(tmp_path / "planted.json")
    s = DashboardServer(host, routes.build(host))
    s.start()
    s.close()
    assert s.port != port
    assert not (host.paths.state_dir / PORT_FILE).is_symlink()  # replaced by our own file
    assert json.loads((tmp_path / "planted.json").read_text()) == {"port": port}
