"""Competing CPU load for the benchmarks (issue 33): N busy-loop processes, started and stopped by the benchmark.

`with busy(n):` starts n processes that each spin one core in pure Python (no memory traffic, no threads), so a
measurement under it sees what a shared workstation or an oversubscribed CI runner does to a training step: cores
handed out in time slices. The processes are stopped (SIGTERM, then SIGKILL) when the block ends, also on an error.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

SPIN = "while True:\n    pass\n"


@contextlib.contextmanager
def busy(count: int, settle: float = 1.0) -> Iterator[list[int]]:
    """`count` busy-loop processes for the duration of the block (their pids); `settle` s to get them scheduled."""
    procs = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(max(0, count))]
    try:
        if procs:
            time.sleep(settle)
        yield [p.pid for p in procs]
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def load_average() -> float:
    """The 1-minute load average (what the README rows record next to a busy figure)."""
    return os.getloadavg()[0]


class LoadSampler:
    """The 1-minute load average sampled every `every` s in a thread while the block runs (mean and max)."""

    def __init__(self, every: float = 5.0) -> None:
        self.every, self.samples = every, [load_average()]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.samples.append(load_average())

    def __enter__(self) -> LoadSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.samples.append(load_average())

    def summary(self) -> dict[str, float]:
        return {"load_mean": sum(self.samples) / len(self.samples), "load_max": max(self.samples)}
