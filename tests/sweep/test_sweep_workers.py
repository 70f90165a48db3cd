"""`--workers N`: each worker process its GPU, or its share of the CPU cores, and its own sampler seed."""

from __future__ import annotations

import os

from embedding.sweep.workers import worker_env


def test_workers_divide_the_cpu_cores(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    env = worker_env(1, 2)
    assert env["OMP_NUM_THREADS"] == str(max(1, (os.cpu_count() or 1) // 2))
    assert env["EMBEDDING_SWEEP_WORKER"] == "2" and env["CUDA_VISIBLE_DEVICES"] == ""


def test_workers_take_one_gpu_each(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1")
    assert [worker_env(i, 3)["CUDA_VISIBLE_DEVICES"] for i in range(3)] == ["0", "1", "0"]
    assert worker_env(0, 3).get("OMP_NUM_THREADS") == os.environ.get("OMP_NUM_THREADS")  # threads as they were
