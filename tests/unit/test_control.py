"""The control channel over a real Unix socket: owner-only, authenticated, never raises at the server."""

from __future__ import annotations

import stat
import hashlib
import hmac
import json
import socket
from pathlib import Path

import pytest

from trayapp import control
from trayapp.control import ControlServer
from trayapp.errors import ControlError, NotRunningError, TrayAppError
from trayapp.paths import AppPaths


@pytest.fixture
def paths(tmp_path: Path) -> AppPaths:
    # A short root: Unix socket paths are limited to about 100 bytes.
    p = AppPaths.discover({"TRAYAPP_HOME": str(tmp_path)})
    p.ensure()
    return p


@pytest.fixture
def server(paths: AppPaths):
    s = ControlServer(paths)
    s.register("echo", lambda r: {"you said": r.get("text")})
    s.register("fail", lambda r: (_ for _ in ()).throw(TrayAppError("no can do")))
    s.register("bug", lambda r: 1 / 0)
    s.start()
    yield s
    s.close()


def test_request_round_trip(paths: AppPaths, server: ControlServer) -> None:
    assert control.request(paths, "echo", text="hi") == {"you said": "hi"}


def test_errors_come_back_as_control_errors(paths: AppPaths, server: ControlServer) -> None:
    with pytest.raises(ControlError, match="no can do"):
        control.request(paths, "fail")
    with pytest.raises(ControlError, match="internal error"):
        control.request(paths, "bug")
    with pytest.raises(ControlError, match="unknown command 'nope'"):
        control.request(paths, "nope")
    assert control.request(paths, "echo", text="still serving") == {"you said": "still serving"}


def test_socket_and_key_are_owner_only(paths: AppPaths, server: ControlServer) -> None:
    assert stat.S_IMODE(paths.control_socket.stat().st_mode) == 0o600
    assert stat.S_IMODE(paths.control_key.stat().st_mode) == 0o600


def test_a_client_without_the_key_is_refused(paths: AppPaths, server: ControlServer) -> None:
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(str(paths.control_socket))
        reader = s.makefile("rb")
        challenge = json.loads(reader.readline())["challenge"]
        wrong = hmac.new(b"not the key", challenge.encode(), hashlib.sha256).hexdigest()
        s.sendall(json.dumps({"auth": wrong, "request": {"cmd": "echo", "text": "x"}}).encode() + b"\n")
        assert json.loads(reader.readline()) == {"ok": False, "error": "not authorised"}
    assert control.request(paths, "echo", text="after") == {"you said": "after"}


def test_a_silent_client_does_not_block_others(paths: AppPaths, server: ControlServer) -> None:
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(str(paths.control_socket))  # connects and says nothing
        assert control.request(paths, "echo", text="meanwhile") == {"you said": "meanwhile"}


def test_garbage_gets_no_answer_and_harms_nothing(paths: AppPaths, server: ControlServer) -> None:
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(str(paths.control_socket))
        s.sendall(b"\x80\x04not json at all\n")
    assert control.request(paths, "echo", text="fine") == {"you said": "fine"}


def test_nothing_running_is_not_running(paths: AppPaths) -> None:
    with pytest.raises(NotRunningError):
        control.request(paths, "status")


def test_stale_key_without_a_server_is_not_running(paths: AppPaths, server: ControlServer) -> None:
    server.close()
    with pytest.raises(NotRunningError):
        control.request(paths, "status")


def test_a_state_folder_too_deep_for_a_unix_socket_still_works(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    paths = AppPaths.discover({"TRAYAPP_HOME": str(deep)})
    paths.ensure()
    assert len(str(paths.control_socket)) > 108
    server = ControlServer(paths)
    server.register("echo", lambda r: r.get("text"))
    server.start()
    try:
        assert control.request(paths, "echo", text="deep") == "deep"
        where = Path(control.socket_path(paths))
        assert where.parent.stat().st_mode & 0o777 == 0o700 and stat.S_IMODE(where.stat().st_mode) == 0o600
    finally:
        server.close()
    assert not Path(control.socket_path(paths)).exists()


def test_200_simultaneous_requests_all_succeed(paths: AppPaths, server: ControlServer) -> None:
    import threading

    start, results, errors = threading.Barrier(200), [], []

    def ask(i: int) -> None:
        start.wait()
        try:
            results.append(control.request(paths, "echo", text=i))
        except TrayAppError as exc:
            errors.append(str(exc))

    askers = [threading.Thread(target=ask, args=(i,)) for i in range(200)]
    for t in askers:
        t.start()
    for t in askers:
        t.join(60)
    assert errors == []
    assert sorted(r["you said"] for r in results) == list(range(200))


def _open_fds() -> int:
    import os

    return len(os.listdir("/proc/self/fd"))


def _idle_flood(paths: AppPaths, n: int) -> list[socket.socket]:
    idle = []
    for _ in range(n):
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(60)
        s.connect(str(paths.control_socket))
        idle.append(s)
    return idle


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="counts fds through /proc")
def test_500_idle_connections_cost_no_threads_and_cannot_lock_a_request_out(paths: AppPaths) -> None:
    import threading

    server = ControlServer(paths, max_connections=100)  # the default deadline: they could idle 10 s
    server.register("echo", lambda r: r.get("text"))
    server.start()
    threads, fds = threading.active_count(), _open_fds()
    idle = _idle_flood(paths, 500)
    try:
        assert threading.active_count() == threads  # idle clients cost no thread
        assert _open_fds() <= fds + 500 + 100 + 10  # ours, and the server's side of at most 100
        assert control.request(paths, "echo", text="through the flood") == "through the flood"
        assert threading.active_count() <= threads + 4  # the reply workers, at most
        assert _open_fds() <= fds + 500 + 100 + 10
    finally:
        for s in idle:
            s.close()
        server.close()


def test_idle_connections_are_dropped_at_their_deadline(paths: AppPaths) -> None:
    server = ControlServer(paths, max_connections=100, deadline=0.5)
    server.start()
    idle = _idle_flood(paths, 500)
    try:
        # each was turned away at once (the server was full) or greeted and dropped at its deadline
        endings = [s.makefile("rb").read() for s in idle]
        assert all(e == b"" or e.startswith(b'{"challenge": ') and e.endswith(b"}\n") for e in endings)
        assert 0 < sum(e != b"" for e in endings) < 500
    finally:
        for s in idle:
            s.close()
        server.close()


def test_half_a_request_is_cut_off_at_the_deadline(paths: AppPaths) -> None:
    server = ControlServer(paths, deadline=0.5)
    server.register("echo", lambda r: r.get("text"))
    server.start()
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(60)
            s.connect(str(paths.control_socket))
            reader = s.makefile("rb")
            reader.readline()
            s.sendall(b'{"auth": "')  # and never the rest
            assert reader.read() == b""  # the server hung up at the deadline
    finally:
        server.close()


def test_an_endless_request_line_is_cut_off_at_64_kib(paths: AppPaths, server: ControlServer) -> None:
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(60)
        s.connect(str(paths.control_socket))
        reader = s.makefile("rb")
        reader.readline()
        sent = 0
        with pytest.raises((BrokenPipeError, ConnectionResetError)):
            while sent < 50 << 20:  # the server hangs up long before 50 MiB
                s.sendall(b"x" * 65536)
                sent += 65536
        assert sent < 1 << 20
    assert control.request(paths, "echo", text="fine") == {"you said": "fine"}
