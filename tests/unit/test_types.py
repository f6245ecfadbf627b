"""mypy over trayapp/ for every platform trayapp ships on, so code that never runs here is still checked.

The strictness lives in pyproject.toml ([tool.mypy]); this test only chooses the platform. The three
runs go in parallel, each with a cache folder of its own: one cache shared by several platforms would
be rewritten by every run and keep none warm.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLATFORMS = ("linux", "darwin", "win32")


def _mypy(*args: str, cache: Path) -> list[str]:
    return [sys.executable, "-m", "mypy", "--cache-dir", str(cache), "--no-color-output", *args]


@pytest.fixture(scope="module")
def mypy_runs() -> dict[str, subprocess.CompletedProcess[str]]:
    """Each platform's result; all three are started before any is awaited."""
    started = {platform: subprocess.Popen(_mypy("--platform", platform, cache=ROOT / ".mypy_cache" / f"test-{platform}"), cwd=ROOT,
                                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
               for platform in PLATFORMS}
    return {platform: _finish(proc) for platform, proc in started.items()}


def _finish(proc: subprocess.Popen[str]) -> subprocess.CompletedProcess[str]:
    output, _ = proc.communicate()
    return subprocess.CompletedProcess(proc.args, proc.returncode, output)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_trayapp_type_checks(platform: str, mypy_runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    done = mypy_runs[platform]
    errors = [line for line in done.stdout.splitlines() if ": error:" in line]
    assert done.returncode == 0 and not errors, \
        f"mypy --platform {platform} found {len(errors)} errors:\n{done.stdout}"


# Each line of LAX_CODE that the project's strictness must reject, with the error code mypy gives it.
LAX_CODE = """\
from typing import cast
def untyped(x):
    return x
def half_typed(x: int, y) -> int:
    return x
def implicit_optional(x: int = None) -> int:
    return 0
def never_equal(a: int, b: str) -> bool:
    return a == b
redundant = cast(int, 1)
silenced: int = 1  # type: ignore
hidden: int = "one"  # type: ignore
"""
EXPECTED = {(2, "no-untyped-def"), (4, "no-untyped-def"), (6, "assignment"), (9, "comparison-overlap"),
            (10, "redundant-cast"), (11, "unused-ignore"),
            (12, "ignore-without-code")}


def test_the_project_config_rejects_lax_code(tmp_path: Path) -> None:
    # A cache of its own: mypy replays a cached module's errors under the path it had when cached.
    sample = tmp_path / "lax.py"
    sample.write_text(LAX_CODE, encoding="utf-8")
    done = subprocess.run(_mypy("--config-file", str(ROOT / "pyproject.toml"), str(sample), cache=tmp_path / "cache"),
                          cwd=ROOT, capture_output=True, text=True)
    found = {(int(line.split(":")[1]), line.rsplit("[", 1)[1].rstrip("]"))
             for line in done.stdout.splitlines() if line.startswith(str(sample)) and ": error:" in line}
    assert EXPECTED <= found, f"[tool.mypy] no longer rejects {sorted(EXPECTED - found)}:\n{done.stdout}"
