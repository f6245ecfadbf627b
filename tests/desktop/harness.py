"""A real desktop for tests: Xvfb, a D-Bus session bus, dunst, trayer, and a Notify capture.

Everything here is a real program a user's desktop also has (see
shared/TESTING-ON-A-REAL-DESKTOP.md); nothing is mocked. The harness knows nothing about pytest:
conftest.py turns a missing tool into a skip or a failure and owns the fixtures.

Every process the harness starts is its own direct child, in its own session, with a parent-death
signal, and is stopped by its pid at teardown (SIGTERM, a grace period, then SIGKILL of its group).
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from jeepney.low_level import Message, MessageType, Parser
from PIL import Image

T = TypeVar("T")

# Binary -> Debian package that provides it; conftest names the packages when one is missing.
DESKTOP_TOOLS: dict[str, str] = {
    "Xvfb": "xvfb",
    "xdpyinfo": "x11-utils",
    "xwininfo": "x11-utils",
    "xdotool": "xdotool",
    "import": "imagemagick",
    "dbus-daemon": "dbus-x11",
    "dbus-monitor": "dbus-x11",
    "dunst": "dunst",
    "dunstctl": "dunst",
    "trayer": "trayer",
    "notify-send": "libnotify-bin",
}
BARE_TOOLS: tuple[str, ...] = ("Xvfb", "xdpyinfo", "xwininfo", "xdotool", "import")

READY_TIMEOUT = 15.0   # seconds any one piece may take to come up on a loaded 2-core machine
TOOL_TIMEOUT = 15.0    # guard on every helper command, so a hung X server cannot hang CI
STOP_GRACE = 3.0

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""

NOTIFY_RULE = "interface='org.freedesktop.Notifications',member='Notify'"
# The daemon's reply carries the id it gave the bubble; replies have no interface to match on.
NOTIFY_REPLY_RULE = "type='method_return',sender='org.freedesktop.Notifications'"


class MissingTools(RuntimeError):
    """Some desktop programs are not installed; `packages` says what to apt-get install."""

    def __init__(self, missing: Sequence[str]) -> None:
        self.missing = tuple(missing)
        self.packages = tuple(sorted({DESKTOP_TOOLS.get(b, b) for b in missing}))
        super().__init__(
            f"missing desktop programs: {', '.join(self.missing)}; install the Debian packages "
            f"{' '.join(self.packages)} (scripts/setup does this)")


class DesktopError(RuntimeError):
    """A desktop piece failed to start or a helper command failed."""


def desktop_required() -> bool:
    """CI sets TRAYAPP_REQUIRE_DESKTOP=1: then a missing desktop piece fails instead of skipping."""
    return os.environ.get("TRAYAPP_REQUIRE_DESKTOP", "").strip() not in ("", "0", "false", "no")


def need(ok: bool, why: str) -> None:
    """The one skip rule of the desktop tests: skip when `why` holds here, fail when CI requires them."""
    import pytest

    if ok:
        return
    if desktop_required():
        pytest.fail(f"TRAYAPP_REQUIRE_DESKTOP is set but {why}", pytrace=False)
    pytest.skip(f"{why}; or set TRAYAPP_REQUIRE_DESKTOP=1 to fail instead")


def missing_tools(tools: Iterable[str] = DESKTOP_TOOLS) -> list[str]:
    return [t for t in tools if shutil.which(t) is None]


@dataclass(frozen=True)
class Notification:
    """One captured org.freedesktop.Notifications.Notify call (the spec's 8 arguments)."""

    app_name: str
    replaces_id: int
    app_icon: str
    summary: str
    body: str
    actions: tuple[tuple[str, str], ...]     # (key, label) pairs
    hints: Mapping[str, Any]                 # hint name -> plain value (signature dropped)
    expire_timeout: int
    sender: str
    # The id the daemon answered with, or None if no daemon answered (yet).
    id: int | None = None

    @property
    def urgency(self) -> int | None:
        """0 low, 1 normal, 2 critical (the `urgency` byte hint), None when not sent."""
        value = self.hints.get("urgency")
        return int(value) if value is not None else None

    @property
    def desktop_entry(self) -> str | None:
        return self.hints.get("desktop-entry")

    @property
    def action_keys(self) -> tuple[str, ...]:
        return tuple(key for key, _ in self.actions)


@dataclass(frozen=True)
class Window:
    """One X window from `xwininfo -tree -root`; x/y are absolute (root) coordinates."""

    id: int
    name: str | None
    res_name: str | None
    res_class: str | None
    x: int
    y: int
    width: int
    height: int
    parent: int | None
    depth: int               # 1 for a child of the root window

    @property
    def box(self) -> tuple[int, int, int, int]:
        """(left, top, right, bottom), as PIL's crop() takes it."""
        return (self.x, self.y, self.x + self.width, self.y + self.height)

    @property
    def center(self) -> tuple[int, int]:
        return (self.x + self.width // 2, self.y + self.height // 2)

    def matches(self, pattern: str) -> bool:
        """True when the name, instance or class matches the regex (case-insensitive)."""
        rx = re.compile(pattern, re.IGNORECASE)
        return any(v is not None and rx.search(v) for v in (self.name, self.res_name, self.res_class))


_WINDOW_LINE = re.compile(
    r"^(?P<indent>\s*)(?P<id>0x[0-9a-fA-F]+) (?:\"(?P<name>.*)\"|\(has no name\)): "
    r"\((?:\"(?P<res_name>[^\"]*)\" \"(?P<res_class>[^\"]*)\")?\)\s+"
    r"(?P<w>\d+)x(?P<h>\d+)\+-?\d+\+-?\d+\s+\+(?P<x>-?\d+)\+(?P<y>-?\d+)\s*$")


def parse_window_tree(text: str) -> list[Window]:
    """Parse `xwininfo -tree -root` output: each level of the tree is indented 3 more spaces."""
    windows: list[Window] = []
    stack: list[tuple[int, int]] = []   # (indent, window id) of the open ancestors
    for line in text.splitlines():
        m = _WINDOW_LINE.match(line)
        if not m:
            continue
        indent = len(m["indent"])
        while stack and stack[-1][0] >= indent:
            stack.pop()
        wid = int(m["id"], 16)
        windows.append(Window(
            id=wid, name=m["name"], res_name=m["res_name"], res_class=m["res_class"],
            x=int(m["x"]), y=int(m["y"]), width=int(m["w"]), height=int(m["h"]),
            parent=stack[-1][1] if stack else None, depth=len(stack) + 1))
        stack.append((indent, wid))
    return windows


def tray_clients(windows: Sequence[Window]) -> list[Window]:
    """The icons docked in trayer: trayer's "panel" holds one socket per icon, the icon inside it.

    An icon counts once trayer has laid it out inside the panel; for a moment after docking its
    socket is a 1x1 window at (-1, -1), which is not yet something a user can see.
    """
    panels = {w.id: w for w in windows if w.res_class == "trayer" and w.res_name == "panel"}
    socket_panel = {w.id: panels[w.parent] for w in windows if w.parent in panels}
    return [w for w in windows
            if w.parent in socket_panel and _inside(w, socket_panel[w.parent]) and w.width > 1]


def _inside(inner: Window, outer: Window) -> bool:
    left, top, right, bottom = outer.box
    return left <= inner.x and top <= inner.y and inner.x + inner.width <= right \
        and inner.y + inner.height <= bottom


def _plain(value: Any) -> Any:
    """A D-Bus variant (signature, value) as jeepney returns it -> the value alone."""
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
        return value[1]
    return value


def _pairs(flat: Sequence[str]) -> tuple[tuple[str, str], ...]:
    return tuple((flat[i], flat[i + 1] if i + 1 < len(flat) else "") for i in range(0, len(flat), 2))


def parse_notify_capture(data: bytes) -> list[Notification]:
    """Parse `dbus-monitor --binary` output into Notify calls, joined with the daemon's replies.

    The binary form is used because the text form does not escape quotes or newlines in strings.
    """
    parser = Parser()
    parser.add_data(data)
    calls: list[tuple[Message, tuple[str, int]]] = []
    replies: dict[tuple[str, int], int] = {}
    while (msg := parser.get_next_message()) is not None:
        fields = msg.header.fields
        if msg.header.message_type is MessageType.method_call and _is_notify(fields):
            calls.append((msg, (str(fields.get(7, "")), msg.header.serial)))
        elif msg.header.message_type is MessageType.method_return and fields.get(8) == "u":
            # A reply goes to the caller (destination) and names the call's serial (reply_serial).
            replies[(str(fields.get(6, "")), int(fields.get(5, 0)))] = int(msg.body[0])
    return [_notification(msg, replies.get(key)) for msg, key in calls]


def _is_notify(fields: Mapping[Any, Any]) -> bool:
    # Header field codes: 2 interface, 3 member.
    return fields.get(2) == "org.freedesktop.Notifications" and fields.get(3) == "Notify"


def _notification(msg: Message, reply_id: int | None) -> Notification:
    app_name, replaces_id, app_icon, summary, body, actions, hints, expire = msg.body
    return Notification(
        app_name=app_name, replaces_id=int(replaces_id), app_icon=app_icon, summary=summary,
        body=body, actions=_pairs(actions), hints={k: _plain(v) for k, v in hints.items()},
        expire_timeout=int(expire), sender=str(msg.header.fields.get(7, "")), id=reply_id)


def _die_with_parent() -> None:
    """Runs in the child before exec: if pytest dies, the kernel sends the child SIGTERM."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def wait_for(predicate: Callable[[], T], timeout: float = 10.0, interval: float = 0.05,
             message: str | Callable[[], str] = "condition") -> T:
    """Poll until predicate() is truthy and return its value; TimeoutError naming `message`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            text = message() if callable(message) else message
            raise TimeoutError(f"timed out after {timeout:g}s waiting for {text}")
        time.sleep(interval)


@dataclass
class _Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path


@dataclass
class Desktop:
    """A running desktop. Build it with Desktop.start(); call stop() (fixtures do) when done.

    Methods are called from the test's thread; none of them is thread-safe.
    """

    workdir: Path
    display: str = ""
    bus_address: str | None = None
    with_bus: bool = True
    with_daemon: bool = True
    with_tray: bool = True
    size: tuple[int, int] = (1024, 300)
    dunst_config: str = ""  # dunstrc text; "" is dunst's built-in defaults
    _procs: list[_Proc] = field(default_factory=list)
    _capture: Path | None = None
    _shots: int = 0

    # ---- bring-up -------------------------------------------------------------------------

    @classmethod
    def start(cls, workdir: Path, *, with_bus: bool = True, with_daemon: bool = True,
              with_tray: bool = True, size: tuple[int, int] = (1024, 300), dunst_config: str = "") -> Desktop:
        """Start Xvfb, then (as asked) the bus, the Notify capture, dunst and trayer, in order."""
        missing = missing_tools(cls._tools_for(with_bus, with_daemon, with_tray))
        if missing:
            raise MissingTools(missing)
        workdir.mkdir(parents=True, exist_ok=True)
        desk = cls(workdir=workdir, with_bus=with_bus, with_daemon=with_daemon and with_bus,
                   with_tray=with_tray, size=size, dunst_config=dunst_config)
        try:
            desk._bring_up()
        except BaseException:
            desk.stop()
            raise
        return desk

    @staticmethod
    def _tools_for(with_bus: bool, with_daemon: bool, with_tray: bool) -> list[str]:
        tools = list(BARE_TOOLS)
        if with_bus:
            tools += ["dbus-daemon", "dbus-monitor"]
        if with_bus and with_daemon:
            tools += ["dunst", "dunstctl", "notify-send"]
        if with_tray:
            tools.append("trayer")
        return tools

    def _bring_up(self) -> None:
        self._start_xvfb()
        if self.with_bus:
            self._start_bus()
            self._start_capture()
        if self.with_daemon:
            self._start_dunst()
        if self.with_tray:
            self._start_trayer()

    def _start_xvfb(self) -> None:
        # -displayfd makes Xvfb pick a free display itself and tell us once it accepts clients.
        read_fd, write_fd = os.pipe()
        w, h = self.size
        try:
            self._spawn("Xvfb", ["Xvfb", "-displayfd", str(write_fd), "-screen", "0",
                                 f"{w}x{h}x24", "-nolisten", "tcp", "-noreset"],
                        env=self._base_env(), pass_fds=(write_fd,))
            os.close(write_fd)
            write_fd = -1
            number = self._read_display_number(read_fd)
        finally:
            os.close(read_fd)
            if write_fd >= 0:
                os.close(write_fd)
        self.display = f":{number}"
        wait_for(lambda: self._quiet_ok(["xdpyinfo"]), READY_TIMEOUT,
                 message=lambda: f"Xvfb on {self.display} to answer xdpyinfo{self._tail('Xvfb')}")

    def _read_display_number(self, fd: int) -> int:
        text = b""
        deadline = time.monotonic() + READY_TIMEOUT
        os.set_blocking(fd, False)
        while not text.endswith(b"\n"):
            if time.monotonic() > deadline or self._proc("Xvfb").popen.poll() is not None:
                raise DesktopError(f"Xvfb did not report a display number{self._tail('Xvfb')}")
            try:
                chunk = os.read(fd, 64)
            except BlockingIOError:
                time.sleep(0.02)
                continue
            if not chunk:
                raise DesktopError(f"Xvfb closed its display fd{self._tail('Xvfb')}")
            text += chunk
        return int(text.strip())

    def _start_bus(self) -> None:
        # dbus-daemon itself rather than dbus-launch: it stays our direct child (a pid we own),
        # and it never opens an X connection of its own. Its config has no service directories:
        # nothing is D-Bus-activated behind the test's back (the system would start a second
        # dunst for org.freedesktop.Notifications), so "no daemon" really means none.
        config = self.workdir / "session-bus.conf"
        config.write_text(BUS_CONFIG)
        proc = self._spawn("dbus-daemon", ["dbus-daemon", f"--config-file={config}", "--nofork",
                                           "--print-address=1", "--nosyslog"],
                           env=self._base_env(), stdout=subprocess.PIPE)
        assert proc.stdout is not None
        line = proc.stdout.readline().decode().strip()
        if not line.startswith("unix:"):
            raise DesktopError(f"dbus-daemon printed no address{self._tail('dbus-daemon')}")
        self.bus_address = line

    def _start_capture(self) -> None:
        self._capture = self.workdir / "notify-capture.bin"
        out = self._capture.open("wb")
        try:
            self._spawn("dbus-monitor", ["dbus-monitor", "--session", "--binary",
                                         NOTIFY_RULE, NOTIFY_REPLY_RULE],
                        env=self.env, stdout=out)
        finally:
            out.close()
        # Right after BecomeMonitor, dbus-monitor sees its own NameLost: then it is listening.
        wait_for(lambda: self._capture is not None and self._capture.stat().st_size > 0,
                 READY_TIMEOUT,
                 message=lambda: f"dbus-monitor to start{self._tail('dbus-monitor')}")

    def _start_dunst(self) -> None:
        # Our own config (empty: dunst's built-in defaults), never the user's own dunstrc.
        config = self.workdir / "dunstrc"
        config.write_text(self.dunst_config)
        self._spawn("dunst", ["dunst", "-config", str(config)], env=self.env)
        wait_for(lambda: self._quiet_ok(["dunstctl", "is-paused"]), READY_TIMEOUT,
                 message=lambda: f"dunst to answer dunstctl{self._tail('dunst')}")

    def _start_trayer(self) -> None:
        self._spawn("trayer", ["trayer", "--edge", "top", "--align", "right", "--widthtype",
                               "pixel", "--width", "200", "--height", "32", "--SetDockType",
                               "true", "--transparent", "false"],
                    env=self.env)
        wait_for(lambda: any(w.res_class == "trayer" and w.res_name == "panel"
                             for w in self.windows()), READY_TIMEOUT,
                 message=lambda: f"trayer's panel window{self._tail('trayer')}")
        # trayer maps its panel before it owns the tray selection; an icon that looks for the
        # tray in between finds none and (pystray's xorg backend) never docks.
        wait_for(self.tray_manager, READY_TIMEOUT,
                 message=lambda: f"trayer to own _NET_SYSTEM_TRAY_S0{self._tail('trayer')}")

    def tray_manager(self) -> int | None:
        """The window id owning the system tray selection (_NET_SYSTEM_TRAY_S0), or None."""
        from Xlib import X, display  # python-xlib comes with pystray on Linux

        disp = display.Display(self.display)
        try:
            owner = disp.get_selection_owner(disp.intern_atom("_NET_SYSTEM_TRAY_S0"))
            return None if owner == X.NONE else int(owner.id)
        finally:
            disp.close()

    # ---- processes ------------------------------------------------------------------------

    def _base_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if k not in ("WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "DISPLAY")}
        # GTK would start an accessibility bus (at-spi) per display and leave it behind.
        env.update(NO_AT_BRIDGE="1", GTK_A11Y="none", XDG_SESSION_TYPE="x11")
        return env

    @property
    def env(self) -> dict[str, str]:
        """The environment for programs on this desktop: os.environ plus DISPLAY and the bus.

        Without a bus, DBUS_SESSION_BUS_ADDRESS points at a socket that does not exist, so
        nothing can quietly autolaunch a bus of its own.
        """
        env = self._base_env()
        env["DISPLAY"] = self.display
        env["DBUS_SESSION_BUS_ADDRESS"] = (
            self.bus_address or f"unix:path={self.workdir / 'no-session-bus'}")
        return env

    def spawn(self, argv: Sequence[str], *, name: str | None = None,
              env: Mapping[str, str] | None = None, **popen: Any) -> subprocess.Popen[bytes]:
        """Start a program on this desktop (output to a log in workdir); stopped at teardown."""
        full_env = self.env | dict(env or {})
        return self._spawn(name or Path(argv[0]).name, list(argv), env=full_env, **popen)

    def _spawn(self, name: str, argv: list[str], env: Mapping[str, str],
               **popen: Any) -> subprocess.Popen[bytes]:
        log = self.workdir / f"{name}-{len(self._procs)}.log"
        with log.open("wb") as log_file:
            stdout = popen.pop("stdout", log_file)
            proc = subprocess.Popen(argv, env=dict(env), stdin=subprocess.DEVNULL, stdout=stdout,
                                    stderr=log_file, start_new_session=True,
                                    preexec_fn=_die_with_parent, **popen)
        self._procs.append(_Proc(name, proc, log))
        return proc

    def pids(self) -> dict[str, int]:
        """The pid of each desktop piece and spawned program still tracked, by name."""
        return {p.name: p.popen.pid for p in self._procs}

    def wait_for(self, predicate: Callable[[], T], timeout: float = 10.0,
                 message: str | Callable[[], str] = "condition") -> T:
        """Poll predicate until it is truthy (see the module function wait_for)."""
        return wait_for(predicate, timeout, message=message)

    def _proc(self, name: str) -> _Proc:
        return next(p for p in reversed(self._procs) if p.name == name)

    def log_of(self, proc: subprocess.Popen[bytes]) -> str:
        """What a process started by this desktop printed so far."""
        entry = next(p for p in self._procs if p.popen is proc)
        return entry.log.read_text(errors="replace")

    def _tail(self, name: str, lines: int = 15) -> str:
        try:
            entry = self._proc(name)
        except StopIteration:
            return ""
        text = entry.log.read_text(errors="replace").strip().splitlines()[-lines:]
        state = entry.popen.poll()
        status = "running" if state is None else f"exited with {state}"
        return f" ({name} {status}; its output:\n  " + "\n  ".join(text) + ")" if text else \
            f" ({name} {status}, printed nothing)"

    def stop_process(self, proc: subprocess.Popen[bytes], grace: float = STOP_GRACE) -> int:
        """SIGTERM the process's group, wait `grace`, then SIGKILL it; returns the exit code."""
        if proc.poll() is None:
            _signal_group(proc.pid, signal.SIGTERM)
            try:
                return proc.wait(grace)
            except subprocess.TimeoutExpired:
                _signal_group(proc.pid, signal.SIGKILL)
        # The group may hold children that outlived the leader; they go too.
        _signal_group(proc.pid, signal.SIGKILL)
        return proc.wait(grace)

    def stop(self) -> None:
        """Stop everything this desktop started, newest first, by pid."""
        while self._procs:
            entry = self._procs.pop()
            try:
                self.stop_process(entry.popen)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                pass
            for stream in (entry.popen.stdout, entry.popen.stderr):
                if stream is not None:
                    stream.close()

    # ---- commands -------------------------------------------------------------------------

    def run(self, argv: Sequence[str], timeout: float = TOOL_TIMEOUT,
            check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run a helper command on this desktop and return its result (text)."""
        try:
            result = subprocess.run(list(argv), env=self.env, capture_output=True, text=True,
                                    timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as exc:
            raise DesktopError(f"{' '.join(argv)} hung for {timeout:g}s") from exc
        if check and result.returncode != 0:
            raise DesktopError(f"{' '.join(argv)} failed ({result.returncode}): "
                               f"{result.stderr.strip() or result.stdout.strip()}")
        return result

    def _quiet_ok(self, argv: Sequence[str]) -> bool:
        try:
            return self.run(argv, timeout=5, check=False).returncode == 0
        except DesktopError:
            return False

    # ---- notifications --------------------------------------------------------------------

    def notifications(self, since: int = 0) -> list[Notification]:
        """Every Notify call captured so far (oldest first), from index `since` on."""
        if self._capture is None:
            return []
        return parse_notify_capture(self._capture.read_bytes())[since:]

    def wait_for_notification(self, predicate: Callable[[Notification], bool] = lambda n: True,
                              timeout: float = 10.0, since: int = 0) -> Notification:
        """The first captured notification (from `since`) that satisfies predicate."""
        def found() -> Notification | None:
            return next((n for n in self.notifications(since) if predicate(n)), None)
        return wait_for(found, timeout, message=lambda: (
            f"a matching notification; captured: {self.notifications(since)!r}"))

    def displayed_count(self) -> int:
        """How many bubbles dunst shows right now."""
        return int(self.run(["dunstctl", "count", "displayed"]).stdout.strip() or 0)

    def close_all_notifications(self) -> None:
        self.run(["dunstctl", "close-all"])

    # ---- windows --------------------------------------------------------------------------

    def windows(self) -> list[Window]:
        """Every window on the display, root's children first, depth-first."""
        for _ in range(10):
            # xwininfo fails (BadWindow) when a window vanishes while it walks the tree: retry.
            result = self.run(["xwininfo", "-tree", "-root"], check=False)
            if result.returncode == 0:
                return parse_window_tree(result.stdout)
            time.sleep(0.02)
        raise DesktopError(f"xwininfo -tree -root keeps failing: {result.stderr.strip()}")

    def find_window(self, pattern: str, visible_only: bool = False) -> Window | None:
        """The first window whose name, instance or class matches the regex, or None.

        visible_only asks xdotool for mapped windows only (an unmapped window has a geometry too).
        """
        visible = self._visible_ids(pattern) if visible_only else None
        for win in self.windows():
            if win.matches(pattern) and (visible is None or win.id in visible):
                return win
        return None

    def _visible_ids(self, pattern: str) -> set[int]:
        ids: set[int] = set()
        for what in ("--name", "--class", "--classname"):
            out = self.run(["xdotool", "search", "--onlyvisible", what, pattern], check=False)
            ids.update(int(x) for x in out.stdout.split() if x.isdigit())
        return ids

    def wait_for_window(self, pattern: str, timeout: float = 10.0,
                        visible_only: bool = False) -> Window:
        return wait_for(lambda: self.find_window(pattern, visible_only), timeout,
                        message=f"a window matching {pattern!r}")

    def tray_icons(self) -> list[Window]:
        """The client windows docked in trayer, with their absolute geometry."""
        return tray_clients(self.windows())

    # ---- input ----------------------------------------------------------------------------

    def click(self, x: int, y: int, button: int = 1) -> None:
        """Move the pointer to (x, y) on the root window and click `button` (1 left, 3 right)."""
        self.run(["xdotool", "mousemove", "--sync", str(x), str(y), "click", str(button)])

    def key(self, *keys: str) -> None:
        """Press keys (xdotool names: "Escape", "ctrl+q", "Down", "Return") in the focused window."""
        self.run(["xdotool", "key", *keys])

    def type_text(self, text: str) -> None:
        self.run(["xdotool", "type", "--delay", "20", text])

    # ---- pixels ---------------------------------------------------------------------------

    def screenshot(self, path: Path | str | None = None) -> Path:
        """Save the whole screen as PNG (imagemagick `import -window root`) and return its path."""
        if path is None:
            self._shots += 1
            path = self.workdir / f"screen-{self._shots:03d}.png"
        path = Path(path)
        self.run(["import", "-window", "root", str(path)])
        return path

    def image(self, shot: Path | None = None) -> Image.Image:
        """The screen (a fresh screenshot unless `shot` is given) as an RGB image."""
        with Image.open(shot or self.screenshot()) as img:
            return img.convert("RGB")

    def pixel(self, x: int, y: int, shot: Path | None = None) -> tuple[int, int, int]:
        return self.image(shot).getpixel((x, y))

    def crop(self, window: Window, shot: Path | None = None) -> Image.Image:
        """The part of the screen a window covers."""
        return self.image(shot).crop(window.box)

    def colors(self, window: Window, shot: Path | None = None) -> Counter[tuple[int, int, int]]:
        """How many pixels of each colour the window shows."""
        img = self.crop(window, shot)
        return Counter({color: n for n, color in img.getcolors(img.width * img.height) or []})


def dominant_color(counts: Counter[tuple[int, int, int]]) -> tuple[int, int, int]:
    return counts.most_common(1)[0][0]


def near(color: Sequence[int], target: Sequence[int], tolerance: int = 24) -> bool:
    """True when each channel is within `tolerance` (scaling blurs edges a little)."""
    return all(abs(a - b) <= tolerance for a, b in zip(color, target))


def share_near(counts: Counter[tuple[int, int, int]], target: Sequence[int],
               tolerance: int = 24) -> float:
    """Fraction of pixels whose colour is near `target`."""
    total = sum(counts.values())
    hits = sum(n for c, n in counts.items() if near(c, target, tolerance))
    return hits / total if total else 0.0


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass
