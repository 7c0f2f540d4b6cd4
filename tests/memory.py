"""How much memory a block of code costs at its peak, as an attacker would notice it on a worker: the process's
resident-set high-water mark (Linux: reset through /proc/self/clear_refs), which counts Pillow's and other C
allocations, and tracemalloc's peak, which counts Python's own."""
import gc
import re
import tracemalloc
from contextlib import contextmanager
from dataclasses import dataclass

import pytest


def _status(key: str) -> int:
    with open("/proc/self/status") as f:
        return int(re.search(rf"^{key}:\s+(\d+) kB", f.read(), re.M).group(1)) * 1024


@dataclass
class Peak:
    rss: int = 0  # bytes above the resident size at the start
    python: int = 0  # tracemalloc's peak, bytes

    @property
    def megabytes(self) -> float:
        return max(self.rss, self.python) / 2**20


@contextmanager
def peak():
    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # VmHWM := VmRSS
    except OSError:
        pytest.skip("needs Linux's /proc/self/clear_refs to measure peak memory")
    measured = Peak()
    start = _status("VmRSS")
    tracemalloc.start()
    try:
        yield measured
    finally:
        measured.python = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        measured.rss = _status("VmHWM") - start
