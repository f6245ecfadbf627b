"""A home trayapp cannot write, or with a planted link: one clear message through the real CLI.

Tests run as root, and chmod does not stop root from writing. So the read-only cases mount a real
read-only file system: `unshare -rm` gives the command its own user and mount namespaces, in which
it may mount a read-only tmpfs or bind a folder read-only; writes there fail with EROFS even for
root. Where unshare cannot do that (no user namespaces), those cases are skipped with the reason.
"""

from __future__ import annotations

import os
import shlex
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.running import ROOT, Trayapp, child_command
from trayapp import journal
from trayapp.paths import AppPaths

CONFIG = "[programs.assistant]\ncommand = [\"sleep\", \"100\"]\n"


def _unshare_works() -> bool:
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o ro none /mnt 2>/dev/null "
                            "|| mount -t tmpfs -o ro none /tmp"], capture_output=True, timeout=30)
    return probe.returncode == 0


needs_readonly_mount = pytest.mark.skipif(not _unshare_works(),
                                          reason="needs `unshare -rm` to mount a read-only file system")


def trayapp_in(mounting: str, home: Path, *args: str) -> subprocess.CompletedProcess:
    """`python -m trayapp ARGS` with TRAYAPP_HOME=home, after the shell commands `mounting`."""
    command = " ".join(shlex.quote(a) for a in [sys.executable, "-m", "trayapp", *args])
    return subprocess.run(["unshare", "-rm", "sh", "-c", f"{mounting} && exec {command}"], cwd=ROOT,
                          env={**os.environ, "TRAYAPP_HOME": str(home), "DISPLAY": ""},
                          capture_output=True, text=True, timeout=60)


def readonly_tmpfs(folder: Path) -> str:
    return f"mount -t tmpfs -o ro none {shlex.quote(str(folder))}"


def readonly_bind(folder: Path) -> str:
    f = shlex.quote(str(folder))
    return f"mount --bind {f} {f} && mount -o remount,bind,ro {f}"


def populated_home(tmp_path: Path) -> Path:
    """A home a trayapp already set up (config, 0700 folders), as a user would have it."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "data").mkdir()
    (home / "config.toml").write_text(CONFIG + f"\n[backup]\npaths = [\"{home / 'data'}\"]\n")
    AppPaths.discover({"TRAYAPP_HOME": str(home)}).ensure()
    return home


def assert_one_clear_message(done: subprocess.CompletedProcess, first: str, fix: str) -> None:
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert done.stderr.splitlines() == [f"trayapp: {first}", f"  fix: {fix}"]


@needs_readonly_mount
@pytest.mark.parametrize("args", [("run", "--headless"), ("backup", "create")], ids=" ".join)
def test_a_home_that_cannot_be_created_names_the_folder(tmp_path: Path, args: tuple[str, ...]) -> None:
    home = tmp_path / "ro" / "home"
    home.parent.mkdir()
    done = trayapp_in(readonly_tmpfs(home.parent), home, *args)
    assert_one_clear_message(done, f"cannot use the folder {home}: it is on a read-only file system",
                             f"make {home} a folder you can write, or set TRAYAPP_HOME to one")


@needs_readonly_mount
def test_run_in_a_read_only_home_names_the_lock_file(tmp_path: Path) -> None:
    home = populated_home(tmp_path)
    done = trayapp_in(readonly_bind(home), home, "run", "--headless")
    state = home / "state"
    assert_one_clear_message(done, f"cannot open the lock file {state / 'trayapp.lock'}: it is on a read-only "
                             "file system", f"make {state} a folder you can write, or set TRAYAPP_HOME to one")


@needs_readonly_mount
def test_backup_create_in_a_read_only_home_names_the_backups_folder(tmp_path: Path) -> None:
    home = populated_home(tmp_path)
    done = trayapp_in(readonly_bind(home), home, "backup", "create")
    assert_one_clear_message(done, f"cannot write to {home / 'backups'}: it is on a read-only file system",
                             "set [backup] dest to a folder you can write to, or fix its permissions")


def test_a_file_where_the_home_should_be_is_one_clear_message(tmp_path: Path) -> None:
    """The case any machine can reproduce, root or not."""
    (tmp_path / "home").write_text("")
    done = subprocess.run([sys.executable, "-m", "trayapp", "run", "--headless"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env={**os.environ, "TRAYAPP_HOME": str(tmp_path / "home")})
    home = tmp_path / "home"
    assert_one_clear_message(done, f"cannot use the folder {home}: a file is in the way where a folder should be",
                             f"make {home} a folder you can write, or set TRAYAPP_HOME to one")


def test_a_linked_log_folder_is_refused_but_the_program_runs(tmp_path: Path, trayapps: list[Trayapp]) -> None:
    outside = tmp_path / "outside"
    outside.mkdir(mode=0o755)
    outside.chmod(0o755)
    t = Trayapp(tmp_path / "h", f"[programs.assistant]\ncommand = {child_command('sleep')}\n",
                env={"DISPLAY": ""})
    (t.home / "logs").symlink_to(outside)
    trayapps.append(t.start())
    t.wait_state("running")
    assert os.listdir(outside) == [] and stat.S_IMODE(outside.stat().st_mode) == 0o755
    assert f"trayapp: logs are kept in memory only: cannot use the folder {t.home / 'logs'}: it is a symbolic " \
           f"link (to {outside}), which trayapp does not follow" in t.output()
    assert t.terminate() == 0
    refused = [e for e in journal.read(t.paths.journal_file) if e["event"] == "logs_refused"]
    assert len(refused) == 1 and "remove the link" in refused[0]["message"]
    assert os.listdir(outside) == []
