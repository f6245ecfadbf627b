"""Doctor knows the running trayapp's own processes, also through a wrapper (a real process tree)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from tests.unit.test_doctor_truth import by_name, inputs, status
from trayapp.doctor import Level


def test_a_port_held_by_a_wrapped_child_of_the_instance_is_ours(tmp_path: Path) -> None:
    """`sh -c` between the recorded child and the listener: doctor must not call it a stranger."""
    import socket
    import subprocess
    import sys as sys_

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = f"import socket,time; s=socket.socket(); s.bind(('127.0.0.1',{port})); s.listen(); time.sleep(30)"
    wrapper = subprocess.Popen(["sh", "-c", f'"{sys_.executable}" -c "{server}"; true'], start_new_session=True)
    try:
        import psutil

        from tests.integration.running import wait_for
        from trayapp.supervisor.orphans import listener_pid

        holder = wait_for(lambda: listener_pid("127.0.0.1", port), 20, "the wrapped server to listen")
        assert psutil.Process(holder).ppid() == wrapper.pid
        toml = f'[programs.assistant]\npreset = "nanobot"\n[programs.assistant.health]\nurl = "http://127.0.0.1:{port}/health"\n'
        inp = inputs(tmp_path, toml, running=lambda p: [status(pid=wrapper.pid)], port_open=lambda h, p: True,
                     listener_pid=lambda h, p: holder)
        check = by_name(inp)["port"]
        assert check.level is Level.OK and "as expected" in check.evidence  # type: ignore[attr-defined]
    finally:
        os.killpg(wrapper.pid, signal.SIGKILL)  # the shell and the server under it
        wrapper.wait(10)
