"""Keeps draining a program's output after trayapp quits and leaves the program running.

`trayapp quit --leave-running` (or Quit -> leave it running in the tray) would otherwise close the
read ends of the program's stdout/stderr pipes, and its next write would kill it with SIGPIPE.
trayapp hands the pipes to this small process (`python -m trayapp.logs.keeper`), which writes them
to the same rotated, redacted log until the program exits, then exits itself.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
from pathlib import Path

from trayapp.config import LogConfig


def hand_off(log_path: Path, fds: tuple[int, int], logs: LogConfig) -> int | None:
    """Start a keeper for the pipes `fds` (stdout, stderr). Returns its pid, or None if it failed."""
    from trayapp.selfcmd import module_command

    argv = [*module_command("logs.keeper"), "--log", str(log_path),
            "--stdout-fd", str(fds[0]), "--stderr-fd", str(fds[1]),
            "--max-size", str(logs.max_size), "--keep", str(logs.keep), "--total-cap", str(logs.total_cap)]
    if not logs.redact:
        argv.append("--no-redact")
    try:
        keeper = subprocess.Popen(argv, pass_fds=fds, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True)
    except OSError:
        return None
    return keeper.pid


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trayapp.logs.keeper",
                                     description="Drain a left-running program's output into its log (internal).")
    parser.add_argument("--log", required=True, type=Path)
    parser.add_argument("--stdout-fd", required=True, type=int)
    parser.add_argument("--stderr-fd", required=True, type=int)
    parser.add_argument("--max-size", type=int, default=10_000_000)
    parser.add_argument("--keep", type=int, default=5)
    parser.add_argument("--total-cap", type=int, default=200_000_000)
    parser.add_argument("--no-redact", action="store_true")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the terminal trayapp ran in may send it
    from trayapp.logs.capture import ProgramLog

    log = ProgramLog(args.log, max_size=args.max_size, keep=args.keep, total_cap=args.total_cap,
                     redact=not args.no_redact)
    log.write("trayapp", f"trayapp quit and left this program running; still capturing (keeper pid {os.getpid()})")
    pumps = [log.pump("stdout", os.fdopen(args.stdout_fd, "rb", buffering=0)),
             log.pump("stderr", os.fdopen(args.stderr_fd, "rb", buffering=0))]
    for pump in pumps:
        pump.join()
    log.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
