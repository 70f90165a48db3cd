"""The benchmarks' competing load (issue 33): busy loops that start and stop with the block, idle and busy reported."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from busy import LoadSampler, busy  # noqa: E402
from train_e2e import parse, report  # noqa: E402


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_busy_loops_run_inside_the_block_only_also_when_it_fails():
    with busy(2, settle=0.1) as pids:
        assert len(pids) == 2 and all(alive(pid) for pid in pids)
    assert not any(alive(pid) for pid in pids)
    with pytest.raises(RuntimeError), busy(1, settle=0.1) as failing:
        raise RuntimeError("a benchmark error")
    assert not alive(failing[0])


def test_load_sampler_records_the_load_while_the_block_runs():
    with LoadSampler(every=0.05) as load:
        time.sleep(0.3)
    assert len(load.samples) >= 4
    summary = load.summary()
    assert summary["load_max"] >= summary["load_mean"] >= 0


def side(runtime: float, load: float) -> dict:
    return {"train_runtime": runtime, "process_cpu": runtime, "load_mean": load, "load_max": load + 1}


def test_train_e2e_reports_the_ratio_idle_and_busy_and_each_sides_slowdown():
    rounds = [
        {"busy": 0, "round": 1, "stock": side(100.0, 1.0), "embedding": side(20.0, 1.0)},
        {"busy": 0, "round": 2, "stock": side(120.0, 1.0), "embedding": side(20.0, 1.0)},
        {"busy": 2, "round": 1, "stock": side(300.0, 4.0), "embedding": side(100.0, 4.0)},
    ]
    text = report(parse(["--busy", "2"]), rounds)
    assert "idle: embedding is 5.50 (5.00–6.00)x as fast" in text
    assert "busy (2 busy loops): embedding is 3.00x as fast" in text
    assert "busy / idle train_runtime: stock 2.73x, embedding 5.00x" in text
    assert "| busy (2 busy loops) | 1 | 300.0 | 100.0 | 3.00 |" in text and "4.0 (5.0) / 4.0 (5.0)" in text
