"""Memory and CPU of a whole process tree, sampled with psutil."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psutil


@dataclass(frozen=True)
class Sample:
    rss: int  # bytes, the root plus every descendant
    cpu: float  # percent of one core since the previous sample, whole tree
    processes: int


class TreeSampler:
    """Keeps psutil.Process objects between calls so cpu_percent measures an interval.

    Not thread-safe: one sampler per program, used from the supervisor thread.
    """

    def __init__(self) -> None:
        self._procs: dict[int, psutil.Process] = {}

    def sample(self, pid: int) -> Sample | None:
        """None when the process is gone or not visible to us."""
        import psutil

        try:
            root = psutil.Process(pid)
            tree = [root, *root.children(recursive=True)]
        except psutil.Error:
            return None
        rss, cpu = 0, 0.0
        alive: dict[int, psutil.Process] = {}
        for proc in tree:
            proc = self._procs.get(proc.pid, proc)
            with contextlib.suppress(psutil.Error):
                with proc.oneshot():
                    rss += proc.memory_info().rss
                    cpu += proc.cpu_percent(None)
                alive[proc.pid] = proc
        self._procs = alive
        return Sample(rss=rss, cpu=cpu, processes=len(alive))
