"""`embedding sweep --workers N`: N sweep processes on this machine, one study (each takes the next trial).

One process per GPU where there are GPUs (process i sees GPU i mod count); on CPU the cores are divided between
them (OMP_NUM_THREADS), so N trials run side by side without oversubscribing the machine. The parent holds the run
dir's lock, forwards Ctrl-C / SIGTERM to the workers and writes the report when they are done.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys


def worker_env(index: int, count: int) -> dict[str, str]:
    env = {**os.environ, "EMBEDDING_SWEEP_WORKER": str(index + 1)}
    gpus = _gpu_count()
    if gpus:
        env["CUDA_VISIBLE_DEVICES"] = str(index % gpus)
    else:
        threads = max(1, (os.cpu_count() or 1) // count)
        env["OMP_NUM_THREADS"] = env["MKL_NUM_THREADS"] = str(threads)
    return env


def _gpu_count() -> int:
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return len([d for d in visible.split(",") if d.strip()])
    try:
        import torch

        return torch.cuda.device_count()
    except Exception:  # no torch / no driver: CPU
        return 0


def run_workers(argv: list[str], count: int) -> int:
    """Start `count` `embedding sweep ... --worker` processes; their worst exit code (a signal's first)."""
    command = [sys.executable, "-m", "embedding", "sweep", *argv, "--worker"]
    children = [subprocess.Popen(command, env=worker_env(i, count)) for i in range(count)]

    def forward(signum, frame):
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        codes = [child.wait() for child in children]
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    stopped = [c for c in codes if c in (130, 143)]
    return stopped[0] if stopped else max(codes)
