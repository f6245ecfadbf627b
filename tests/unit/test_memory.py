"""give_back(): memory a heavy job freed returns to the system (glibc keeps it mapped otherwise)."""

from __future__ import annotations

import subprocess
import sys

import pytest

# Fills the heap with 64 KB blocks (under the 128 KiB mmap threshold), each followed by a smaller one (over 512 bytes, so malloc holds it too) that stays: freeing the big ones
# leaves holes glibc does not trim by itself (only a free top of the heap is trimmed).
PROBE = """
import sys
from trayapp.memory import give_back

def rss():
    with open("/proc/self/status") as f:
        return next(int(row.split()[1]) for row in f if row.startswith("VmRSS:"))

big, keep = [], []
for i in range(1024):
    big.append(bytearray(64000))
    keep.append(bytearray(600))
del big
before = rss()
give_back()
print(before - rss())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="malloc_trim is glibc's")
def test_freed_heap_pages_go_back_to_the_system() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=True)
    assert int(done.stdout) > 30_000  # KiB: most of the 64 MiB that was freed
