"""Windows: each program runs in its own Job object, so the whole tree dies together.

A process started inside a job stays in it, whatever it spawns, detached or not (nested jobs are
allowed since Windows 8). The job has kill-on-close: if trayapp dies, Windows ends the programs
with it, so no leftover can become a duplicate. `release()` drops that flag for a program the user
chose to leave running when quitting.
"""

from __future__ import annotations

import sys


class Job:
    """A kill-on-close job holding one program's processes (no-op elsewhere than Windows)."""

    def __init__(self) -> None:
        self._handle = _create() if sys.platform == "win32" else 0

    def add(self, pid: int) -> bool:
        """Put a process into the job. False when Windows refuses."""
        return bool(self._handle) and _assign(self._handle, pid)

    def kill(self) -> None:
        """End every process in the job."""
        if self._handle:
            _terminate(self._handle)

    def release(self) -> None:
        """Let the programs outlive trayapp (quit, leave running)."""
        if self._handle:
            _set_kill_on_close(self._handle, False)

    def close(self) -> None:
        """After the tree is gone; with kill-on-close still set this ends any straggler."""
        handle, self._handle = self._handle, 0
        if handle:
            _close(handle)


if sys.platform == "win32":
    import ctypes
    from ctypes import wintypes

    JobObjectExtendedLimitInformation = 9
    JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE = 0x2000

    class _IoCounters(ctypes.Structure):
        _fields_ = [(name, ctypes.c_ulonglong) for name in (
            "ReadOperationCount", "WriteOperationCount", "OtherOperationCount",
            "ReadTransferCount", "WriteTransferCount", "OtherTransferCount")]

    class _BasicLimits(ctypes.Structure):
        _fields_ = [("PerProcessUserTimeLimit", ctypes.c_int64), ("PerJobUserTimeLimit", ctypes.c_int64),
                    ("LimitFlags", wintypes.DWORD), ("MinimumWorkingSetSize", ctypes.c_size_t),
                    ("MaximumWorkingSetSize", ctypes.c_size_t), ("ActiveProcessLimit", wintypes.DWORD),
                    ("Affinity", ctypes.c_size_t), ("PriorityClass", wintypes.DWORD),
                    ("SchedulingClass", wintypes.DWORD)]

    class _ExtendedLimits(ctypes.Structure):
        _fields_ = [("BasicLimitInformation", _BasicLimits), ("IoInfo", _IoCounters),
                    ("ProcessMemoryLimit", ctypes.c_size_t), ("JobMemoryLimit", ctypes.c_size_t),
                    ("PeakProcessMemoryUsed", ctypes.c_size_t), ("PeakJobMemoryUsed", ctypes.c_size_t)]

    _kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)

    def _create() -> int:
        handle = int(_kernel32.CreateJobObjectW(None, None) or 0)
        if handle and not _set_kill_on_close(handle, True):
            _close(handle)
            return 0
        return handle

    def _set_kill_on_close(handle: int, on: bool) -> bool:
        info = _ExtendedLimits()
        info.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE if on else 0
        return bool(_kernel32.SetInformationJobObject(wintypes.HANDLE(handle), JobObjectExtendedLimitInformation,
                                                      ctypes.byref(info), ctypes.sizeof(info)))

    PROCESS_TERMINATE, PROCESS_SET_QUOTA = 0x0001, 0x0100

    def _assign(job: int, pid: int) -> bool:
        process = _kernel32.OpenProcess(PROCESS_TERMINATE | PROCESS_SET_QUOTA, False, pid)
        if not process:
            return False
        try:
            return bool(_kernel32.AssignProcessToJobObject(wintypes.HANDLE(job), wintypes.HANDLE(process)))
        finally:
            _kernel32.CloseHandle(wintypes.HANDLE(process))

    def _terminate(job: int) -> None:
        _kernel32.TerminateJobObject(wintypes.HANDLE(job), 1)

    def _close(handle: int) -> None:
        _kernel32.CloseHandle(wintypes.HANDLE(handle))
else:
    def _create() -> int:
        return 0

    def _set_kill_on_close(handle: int, on: bool) -> bool:
        return False

    def _assign(job: int, pid: int) -> bool:
        return False

    def _terminate(job: int) -> None:
        return None

    def _close(handle: int) -> None:
        return None
