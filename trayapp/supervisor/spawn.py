"""Starting programs in their own session, and stopping whole process trees.

The spawner does not decide anything: it starts, signals and reports exits. Each child gets a
waiter thread blocked in wait(), so an exit is seen the moment it happens (no polling tick).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol

from trayapp.errors import SpawnError
from trayapp.i18n import N_
from trayapp.message import Message
from trayapp.supervisor import marks, pipes, scope
from trayapp.supervisor.marks import Mark
from trayapp.supervisor.reaper import Reaper
from trayapp.supervisor.rlimits import ChildLimits, wrap
from trayapp.supervisor.scope import Scope
from trayapp.supervisor.winjob import Job

NO_LIMITS = ChildLimits()
ExitCallback = Callable[[int | None], None]  # called with the subprocess returncode, on the waiter thread


class ChildHandle(Protocol):
    pid: int
    create_time: float

    def signal(self, sig: int) -> None:
        """Send `sig` to the child's whole process group. Never raises for a gone process."""

    def kill_tree(self) -> None:
        """SIGKILL the group and every known descendant, including ones that left the group."""

    def remember_descendants(self) -> None:
        """Note the current descendants, so that ones which leave the group die with the tree."""

    def output_fds(self) -> tuple[int, int] | None:
        """The read ends of its stdout and stderr pipes while open; None when not ours to hand on."""


class LogSink(Protocol):
    def pump(self, stream: str, pipe: IO[bytes], on_line: Callable[[str], None] | None = None) -> threading.Thread: ...

    def write(self, stream: str, text: str) -> None: ...

    def last_line(self, stream: str = "stderr") -> str:
        """The text of the last line of `stream`, or "" if there is none."""

    def tail(self, n: int = 20, stream: str | None = None) -> list[str]:
        """The last n lines as written (timestamp, tag, text)."""


class Spawner(Protocol):
    def spawn(self, argv: Sequence[str], *, env: Mapping[str, str], cwd: Path | None,
              log: LogSink | None, on_exit: ExitCallback, limits: ChildLimits = NO_LIMITS) -> ChildHandle:
        """Start argv or raise SpawnError (missing binary, permission, bad cwd); `limits` are set
        in the child before it runs (POSIX)."""


@dataclass
class ProcessTree:
    """The processes that belong to one child: its group plus descendants seen so far.

    Nothing here may hit a process trayapp did not start, even after pids are reused: the root is
    only asked for its children while it is still the process that started at `create_time`, and
    the group is only signalled while no other process has taken the root's pid (while our group
    has members the kernel cannot hand that pid out; once it has none, killpg could only reach a
    stranger's group of the same number).
    """

    pid: int
    pgid: int
    create_time: float = 0.0
    known: dict[int, float] = field(default_factory=dict)  # pid -> create_time
    mark: Mark | None = None  # every process of this spawn carries it in its environment
    job: Job | None = None  # Windows: the Job object holding the tree
    reaper: Reaper | None = None  # Linux: re-parented descendants are ours to reap
    pipes: frozenset[int] = frozenset()  # Linux: our output pipes; who writes into them is ours
    scope: Scope | None = None  # Linux, optional: the systemd scope (cgroup) holding the tree

    @classmethod
    def of(cls, pid: int, create_time: float, mark: Mark | None) -> "ProcessTree":
        return cls(pid, _pgid(pid), create_time, mark=mark)

    def refresh(self) -> None:
        """Remember the current descendants, so ones that setsid() away can still be killed."""
        import psutil

        if self.scope is not None:
            self.scope.note(self.pid)
        with contextlib.suppress(psutil.Error):
            root = psutil.Process(self.pid)
            if self.create_time and abs(root.create_time() - self.create_time) >= 0.01:
                return  # the pid now belongs to somebody else
            for proc in root.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    self.known[proc.pid] = proc.create_time()

    def signal_group(self, sig: int) -> None:
        if not self._group_is_ours():
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            _killpg(self.pgid, sig)

    def _group_is_ours(self) -> bool:
        import psutil

        if self.pgid != self.pid or not self.create_time:
            return True
        try:
            return abs(psutil.Process(self.pgid).create_time() - self.create_time) < 0.01
        except psutil.NoSuchProcess:
            return True  # the leader is gone; the group (if any members are left) is still ours
        except psutil.Error:
            return False

    # A daemon may fork while we kill: look for marked processes again, a few times at most.
    KILL_ROUNDS = 5

    def kill_all(self) -> None:
        """SIGKILL the job, the group, every descendant seen so far, and every process carrying
        this spawn's mark or writing into its output pipe (ones that double-forked away), until
        none is left."""
        if self.job is not None:
            self.job.kill()
        self.refresh()
        if self.scope is not None:
            self.scope.kill()
        self.signal_group(KILL)
        for pid, created in list(self.known.items()):
            self._kill(pid, created)
        for _ in range(self.KILL_ROUNDS):
            strays = self._strays()
            if not strays:
                break
            for pid, created in strays:
                self._kill(pid, created)

    def _strays(self) -> list[tuple[int, float]]:
        """Processes of this spawn outside the tree: by mark, or holding its output pipe."""
        subreaped = self.reaper is not None  # then every descendant is still below trayapp
        marked = marks.find(self.mark.instance, self.mark.run, children_only=subreaped) if self.mark else []
        return [(m.pid, m.create_time) for m in marked] + pipes.writers(self.pipes)

    def _kill(self, pid: int, created: float) -> None:
        import psutil

        with contextlib.suppress(psutil.Error):
            proc = psutil.Process(pid)
            if abs(proc.create_time() - created) >= 0.01:
                return  # a reused pid: not the process we knew
            if self.reaper is not None and pid != self.pid and proc.ppid() == os.getpid():
                self.reaper.orphan(pid)  # re-parented to us: reap it once it is dead
            proc.kill()


class PopenChild:
    """A real child process started by PopenSpawner."""

    def __init__(self, proc: subprocess.Popen, tree: ProcessTree, create_time: float) -> None:
        self._proc = proc
        self.pid = proc.pid
        self.tree = tree
        self.create_time = create_time

    def signal(self, sig: int) -> None:
        self.tree.refresh()
        self.tree.signal_group(sig)

    def kill_tree(self) -> None:
        self.tree.kill_all()

    def remember_descendants(self) -> None:
        """Note the current descendants, so that ones which leave the group die with a crash too."""
        self.tree.refresh()

    def output_fds(self) -> tuple[int, int] | None:
        """The read ends of the child's stdout and stderr pipes, while they are open."""
        out, err = self._proc.stdout, self._proc.stderr
        if out is None or err is None or out.closed or err.closed:
            return None
        return out.fileno(), err.fileno()


class PopenSpawner:
    """Spawns real processes: own session, stdin closed, stdout/stderr piped into the log.

    With an `instance` id every child's environment is marked (marks.py), so its descendants are
    found wherever they went; with a `reaper` (Linux: trayapp is their subreaper) the ones that
    re-parented to trayapp are reaped; on Windows each child runs in a kill-on-close Job object.
    """

    # How long the waiter lets the log pumps reach EOF, so the crash report has every line the
    # program printed. Pumps normally finish within a millisecond of the exit (the group is killed
    # first); on a loaded machine 0.1 s was seen to cut a traceback in half. Only a descendant that
    # escaped the group and keeps the pipe open makes the wait this long.
    PUMP_GRACE = 2.0

    def __init__(self, instance: str = "", reaper: Reaper | None = None, use_scope: bool = False) -> None:
        self.instance = instance
        self.reaper = reaper
        self.use_scope = use_scope  # run each program in a systemd user scope, where there is a user manager
        self._jobs: set[Job] = set()  # Windows: the jobs of children still running
        self._jobs_lock = threading.Lock()  # spawn, waiters and quit touch them on different threads

    def spawn(self, argv: Sequence[str], *, env: Mapping[str, str], cwd: Path | None,
              log: LogSink | None, on_exit: ExitCallback, limits: ChildLimits = NO_LIMITS) -> PopenChild:
        mark = Mark(self.instance, env.get(marks.PROGRAM_VAR, ""), marks.new_run()) if self.instance else None
        argv, box = self._in_scope(_limited(argv, env, cwd, limits), env, cwd, mark)
        proc = _popen(argv, {**env, **(mark.env() if mark else {})}, cwd, log is not None)
        if self.reaper is not None:
            self.reaper.claim(proc.pid)  # its waiter reaps it, with the exit status we report
        created = _create_time(proc.pid)
        outputs = [proc.stdout.fileno(), proc.stderr.fileno()] if proc.stdout and proc.stderr else []
        tree = ProcessTree(proc.pid, _pgid(proc.pid), created, mark=mark, job=_job_for(proc.pid),
                           reaper=self.reaper, pipes=pipes.pipe_ids(outputs), scope=box)
        pumps = []
        if log is not None and proc.stdout is not None and proc.stderr is not None:
            pumps = [log.pump("stdout", proc.stdout), log.pump("stderr", proc.stderr)]
        if tree.job is not None:
            with self._jobs_lock:
                self._jobs.add(tree.job)
        child = PopenChild(proc, tree, created)
        threading.Thread(target=self._wait, args=(proc, tree, pumps, on_exit),
                         name=f"waiter-{proc.pid}", daemon=True).start()
        return child

    def _in_scope(self, argv: Sequence[str], env: Mapping[str, str], cwd: Path | None,
                  mark: Mark | None) -> tuple[list[str], Scope | None]:
        """argv wrapped in `systemd-run --scope` when asked for and possible; else unchanged."""
        command = resolve_command(argv[0], env, cwd)
        if not self.use_scope or mark is None or command is None or not scope.available(env):
            return list(argv), None  # a missing command is reported by _popen, in words
        unit = scope.unit_name(mark.program, mark.run)
        return scope.wrap([command, *argv[1:]], unit), Scope(unit)

    def _wait(self, proc: subprocess.Popen[bytes], tree: ProcessTree, pumps: list[threading.Thread],
              on_exit: ExitCallback) -> None:
        returncode = proc.wait()
        if self.reaper is not None:
            self.reaper.release(proc.pid)
        # Whatever the child left behind is ours to clean up: leftovers would keep the port busy,
        # and ones holding its stdout would keep the log pumps (threads and pipes) alive.
        tree.kill_all()
        for pump in pumps:
            pump.join(self.PUMP_GRACE)
        if tree.job is not None:
            with self._jobs_lock:
                self._jobs.discard(tree.job)
            tree.job.close()
        on_exit(returncode)

    def leave_running(self) -> None:
        """Quit, leave running: the programs outlive trayapp (Windows: jobs lose kill-on-close)."""
        with self._jobs_lock:
            for job in self._jobs:
                job.release()


def _popen(argv: Sequence[str], env: Mapping[str, str], cwd: Path | None, piped: bool) -> subprocess.Popen[bytes]:
    """Start argv in its own session (POSIX) or process group (Windows); errors in words."""
    pipe = subprocess.PIPE if piped else subprocess.DEVNULL
    argv = [resolve_command(argv[0], env, cwd) or argv[0], *argv[1:]]
    try:
        return subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=pipe, stderr=pipe, env=dict(env),
            cwd=cwd, start_new_session=(os.name == "posix"), close_fds=True,
            creationflags=NEW_GROUP,
        )
    except FileNotFoundError as exc:
        raise _not_found(argv, cwd, exc) from exc
    except PermissionError as exc:
        raise SpawnError(Message(N_("permission denied running {command}"), command=argv[0]),
                         fix=Message(N_("make it executable: chmod +x {command}"), command=argv[0])) from exc
    except OSError as exc:
        raise SpawnError(Message(N_("could not start {command}: {error}"), command=argv[0],
                                 error=exc.strerror or str(exc))) from exc
    except ValueError as exc:  # e.g. a NUL byte in the command, its env or cwd
        raise SpawnError(Message(N_("could not start {command}: {error}"), command=repr(argv[0]), error=str(exc)),
                         fix=Message(N_("check command, env and cwd for this program in config.toml"))) from exc


def _limited(argv: Sequence[str], env: Mapping[str, str], cwd: Path | None, limits: ChildLimits) -> list[str]:
    """argv, run through the limits step when there are limits (and a command to hand them to: a
    missing one is left for _popen to report in words)."""
    command = resolve_command(argv[0], env, cwd)
    if not limits or os.name != "posix" or command is None:
        return list(argv)
    return wrap([command, *argv[1:]], limits)


def _job_for(pid: int) -> Job | None:
    """Windows: a kill-on-close Job object holding the child. (Its first instants run outside
    the job; a child that spawns before being assigned is still found by its mark.)"""
    if sys.platform != "win32":
        return None
    job = Job()
    return job if job.add(pid) else None


def resolve_command(name: str, env: Mapping[str, str], cwd: Path | None = None) -> str | None:
    """Find `name` on the program's PATH, then beside trayapp's own interpreter: an assistant
    installed into trayapp's virtualenv (pip install "trayapp[nanobot]") is not on the user's PATH."""
    if os.sep in name or (os.altsep and os.altsep in name):
        path = Path(name) if Path(name).is_absolute() or cwd is None else Path(cwd) / name
        return str(path) if path.exists() else None
    search = os.pathsep.join(filter(None, [env.get("PATH", os.defpath), os.path.dirname(sys.executable)]))
    return shutil.which(name, path=search)


if sys.platform == "win32":
    KILL = int(signal.SIGTERM)  # os.kill with it is TerminateProcess: as final as SIGKILL
    NEW_GROUP = subprocess.CREATE_NEW_PROCESS_GROUP

    def _pgid(pid: int) -> int:
        return pid

    def _killpg(pgid: int, sig: int) -> None:
        os.kill(pgid, sig)  # the group's root; the Job object takes the rest
else:
    KILL = int(signal.SIGKILL)
    NEW_GROUP = 0

    def _pgid(pid: int) -> int:
        try:
            return os.getpgid(pid)
        except ProcessLookupError:
            return pid  # already gone; its group id was its pid, as start_new_session makes it

    def _killpg(pgid: int, sig: int) -> None:
        os.killpg(pgid, sig)


def _create_time(pid: int) -> float:
    import psutil

    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return 0.0


def _not_found(argv: Sequence[str], cwd: Path | None, exc: FileNotFoundError) -> SpawnError:
    if cwd is not None and not Path(cwd).is_dir():
        return SpawnError(Message(N_("working directory not found: {folder}"), folder=str(cwd)),
                          fix=Message(N_("fix `cwd` for this program in config.toml")))
    return SpawnError(Message(N_("command not found: {command}"), command=argv[0]), missing=True)


def is_alive(pid: int, create_time: float) -> bool:
    """True when `pid` still is the process that started at `create_time` (not a reused pid)."""
    import psutil

    try:
        proc = psutil.Process(pid)
        return abs(proc.create_time() - create_time) < 0.01 and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def mark_of(pid: int) -> Mark | None:
    """The environment mark of a live process of ours (None: unmarked, gone or not readable)."""
    import psutil

    try:
        return Mark.of(psutil.Process(pid).environ())
    except (psutil.Error, OSError):
        return None


def terminate_tree(pid: int, create_time: float, sig: int, timeout: float,
                   wait: Callable[[float], None]) -> bool:
    """Stop a leftover child of ours that we cannot wait() on: signal its group, then SIGKILL.

    Only called for processes whose pid *and* create time trayapp recorded itself.
    Returns True when it is gone.
    """
    if not is_alive(pid, create_time):
        return True
    tree = ProcessTree(pid, _pgid(pid), create_time, mark=mark_of(pid))
    tree.refresh()
    tree.signal_group(sig)
    deadline_steps = max(1, int(timeout / 0.05))
    for _ in range(deadline_steps):
        if not is_alive(pid, create_time):
            break
        wait(0.05)
    tree.kill_all()
    return not is_alive(pid, create_time)


class AdoptedChild:
    """A child of an earlier trayapp, left running on purpose. We cannot wait() on it, so a
    watcher thread polls it (once a second: cheap, and a restart a second late is fine here)."""

    POLL = 1.0

    def __init__(self, pid: int, create_time: float, on_exit: ExitCallback) -> None:
        self.pid, self.create_time = pid, create_time
        self.tree = ProcessTree(pid, _pgid(pid), create_time, mark=mark_of(pid))
        threading.Thread(target=self._watch, args=(on_exit,), name=f"adopted-{pid}", daemon=True).start()

    def _watch(self, on_exit: ExitCallback) -> None:
        gone = threading.Event()
        while is_alive(self.pid, self.create_time):
            gone.wait(self.POLL)
        self.tree.kill_all()
        on_exit(None)

    def signal(self, sig: int) -> None:
        if is_alive(self.pid, self.create_time):  # never signal a reused pid
            self.tree.refresh()
            self.tree.signal_group(sig)

    def kill_tree(self) -> None:
        if is_alive(self.pid, self.create_time):
            self.tree.kill_all()

    def remember_descendants(self) -> None:
        if is_alive(self.pid, self.create_time):
            self.tree.refresh()

    def output_fds(self) -> None:
        """Its pipes went with the trayapp that started it."""
        return None
