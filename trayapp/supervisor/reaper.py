"""trayapp as a child subreaper (Linux): descendants that double-fork away re-parent to trayapp,
not to init, so they stay in reach of the tree kill, and this module reaps them (no zombies).

Reaping must never take an exit status that somebody else waits for: the spawner's waiter
threads and every subprocess.run() in trayapp wait for their own children. So the reaper only
peeks (WNOWAIT) at which child has exited and leaves claimed pids (the spawner's roots) to their
waiters. A child that provably re-parented to us (killed by the tree kill, or in a session that
is neither ours nor its own) is reaped at once. Any other child is somebody's subprocess (a health
command, doctor's tools, an alert action: each waits for its own, sometimes only after a helper
it left behind lets go of the pipe) or a re-parented session leader: it is left alone for
UNKNOWN_GRACE, longer than any of those helpers may run, and reaped only then.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import sys
import threading
import time

log = logging.getLogger(__name__)

PR_SET_CHILD_SUBREAPER = 36  # linux/prctl.h


class Reaper:
    """One per process. `claim`/`release` may be called from any thread."""

    GRACE = 1.0  # how long a claimed child's waiter has to reap it before we look again
    # An unclaimed child that is not provably re-parented: its owner reaps it within its own timeout
    # (helpers run for 30 s at most); after this long nobody will, and the zombie is ours.
    UNKNOWN_GRACE = 300.0
    STEP = 0.05
    IDLE = 5.0  # with no children at all, look again this often (a spawn wakes us at once)

    def __init__(self) -> None:
        self._claimed: set[int] = set()
        self._orphans: set[int] = set()  # nobody else waits for these: no grace needed
        self._unknown: dict[int, float] = {}  # exited, unclaimed, not provably ours: first seen (monotonic)
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="reaper", daemon=True)
            self._thread.start()

    def claim(self, pid: int) -> None:
        """`pid` is waited for by its own waiter thread: never reap it here."""
        with self._lock:
            self._claimed.add(pid)
        self._wake.set()

    def orphan(self, pid: int) -> None:
        """`pid` is a re-parented descendant trayapp just killed: reap it as soon as it exits."""
        with self._lock:
            self._orphans.add(pid)

    def release(self, pid: int) -> None:
        with self._changed:
            self._claimed.discard(pid)
            self._changed.notify_all()

    def _run(self) -> None:
        """Reaper thread: block until some child has exited, then settle that child."""
        while True:
            try:
                pid = _peek_exited()
            except ChildProcessError:  # no children at all: wait for a spawn
                self._wake.wait(self.IDLE)
                self._wake.clear()
                continue
            except Exception:  # never let the reaper die: zombies would pile up
                log.exception("reaper: waiting for children failed")
                time.sleep(self.IDLE)
                continue
            if pid:
                self._settle(pid)

    def _settle(self, pid: int) -> None:
        with self._changed:
            if pid in self._claimed:  # its waiter reaps it; wait for that, do not spin
                self._changed.wait_for(lambda: pid not in self._claimed, self.GRACE)
                return
            orphan = pid in self._orphans or _reparented(pid)
            self._orphans.discard(pid)
        if orphan:
            self._unknown.pop(pid, None)
            _reap(pid)
            return
        self._wait_for_owner(pid)

    def _wait_for_owner(self, pid: int) -> None:
        """An exited child that may be somebody's subprocess: never take the exit status it waits
        for (a failing health command would read as success). Reap it only after UNKNOWN_GRACE;
        meanwhile the orphans trayapp killed are still reaped, by pid."""
        now = time.monotonic()
        first = self._unknown.setdefault(pid, now)
        if now - first >= self.UNKNOWN_GRACE:
            del self._unknown[pid]
            _reap(pid)
            return
        self._reap_orphans()
        time.sleep(self.STEP)
        if len(self._unknown) > 64:  # forget the ones their owners have reaped since
            self._unknown = {p: t for p, t in self._unknown.items() if _still_exited(p)}

    def _reap_orphans(self) -> None:
        with self._lock:
            orphans = list(self._orphans)
        for pid in orphans:
            if _still_exited(pid):
                _reap(pid)
                with self._lock:
                    self._orphans.discard(pid)


if sys.platform == "linux":
    def become_subreaper() -> bool:
        """Make this process the subreaper of its descendants. False when the kernel refuses."""
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            return int(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)) == 0
        except (OSError, AttributeError):
            return False

    def _peek_exited() -> int:
        """Block until a child has exited; its pid, left unreaped (0 when interrupted)."""
        result = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOWAIT)
        return result.si_pid if result is not None else 0

    def _still_exited(pid: int) -> bool:
        try:
            return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
        except ChildProcessError:
            return False

    def _reap(pid: int) -> None:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)

    def _reparented(pid: int) -> bool:
        """True when `pid` cannot be a child trayapp forked itself: those share trayapp's session
        or lead their own (start_new_session); a descendant that re-parented to us has another's."""
        try:
            session = os.getsid(pid)
        except OSError:
            return False
        return session not in (pid, os.getsid(0))
else:
    def become_subreaper() -> bool:
        return False  # macOS and Windows have no subreaper (Windows uses a Job object instead)

    def _peek_exited() -> int:
        raise ChildProcessError("no subreaper on this platform")

    def _still_exited(pid: int) -> bool:
        return False

    def _reap(pid: int) -> None:
        return None

    def _reparented(pid: int) -> bool:
        return False


_reaper: Reaper | None = None


def install() -> Reaper | None:
    """Become the subreaper and start the one reaper thread. None where the platform has none."""
    global _reaper
    if _reaper is None and become_subreaper():
        _reaper = Reaper()
        _reaper.start()
    return _reaper
