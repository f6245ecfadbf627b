"""Per-process system limits (open files, processes), set in the child itself just before exec.

Why a separate step rather than subprocess's preexec_fn: the supervisor process has many threads,
and Python documents preexec_fn as unsafe there (the forked child can deadlock before exec). Why
not resource.prlimit(pid) after the spawn: Linux only, and racy (the program may open its files or
fork before it runs). So the spawner runs this module first (`python -m trayapp.supervisor.rlimits
--nofile 64 -- nanobot gateway`): it sets the limits and exec()s the program in the same process,
so the pid, session and process group trayapp knows are the program's. The cost is one interpreter
start per spawn, and only for programs that configure such a limit.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass

EX_CONFIG = 78  # "fix the configuration": the supervisor does not restart it


@dataclass(frozen=True)
class ChildLimits:
    open_files: int | None = None
    processes: int | None = None

    def __bool__(self) -> bool:
        return self.open_files is not None or self.processes is not None

    def args(self) -> list[str]:
        """This module's arguments that set these limits."""
        pairs = (("--nofile", self.open_files), ("--nproc", self.processes))
        return [part for flag, value in pairs if value is not None for part in (flag, str(value))]


def wrap(argv: Sequence[str], limits: ChildLimits) -> list[str]:
    """argv run through this module, which sets `limits` and then becomes argv[0]."""
    from trayapp.selfcmd import module_command

    step = module_command("supervisor.rlimits", *limits.args())
    if step[1] == "-m":  # an interpreter, not a frozen bundle: isolated from the program's PYTHON* variables
        step.insert(1, "-I")
    return [*step, "--", *argv]


def main(args: list[str]) -> int:
    """Set the limits named in `args`, then exec the command after `--`. Returns only on failure."""
    if sys.platform == "win32" or "--" not in args:
        print("trayapp: rlimits needs POSIX and a command after --", file=sys.stderr)
        return 2
    split = args.index("--")
    flags, command = args[:split], args[split + 1:]
    try:
        for flag, value in zip(flags[::2], flags[1::2]):
            _set(flag, int(value))
    except (ValueError, OSError) as exc:
        print(f"trayapp: {exc}", file=sys.stderr)
        return EX_CONFIG
    try:
        os.execv(command[0], command)  # the spawner resolved its path already
    except OSError as exc:
        print(f"trayapp: could not start {command[0]}: {exc.strerror or exc}", file=sys.stderr)
        return 127


if sys.platform != "win32":
    import resource

    def _set(flag: str, value: int) -> None:
        name, which = {"--nofile": ("open_files", resource.RLIMIT_NOFILE),
                       "--nproc": ("processes", resource.RLIMIT_NPROC)}[flag]
        _, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY and value > hard:
            raise ValueError(f"limits.{name} = {value} is above this system's hard limit of {hard}; "
                             f"lower limits.{name} to {hard} or less")
        resource.setrlimit(which, (value, value))  # hard too, so the program cannot raise it again
else:
    def _set(flag: str, value: int) -> None:
        raise ValueError("Windows has no such limits")

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
