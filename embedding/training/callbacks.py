"""Trainer callbacks: JSONL training log, resource monitor. Only the main process writes."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

from transformers import TrainerCallback


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


class JSONLLogger(TrainerCallback):
    """One JSON object per log event, appended (never truncated, so a resumed run keeps its history), flushed."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def write(self, record: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps({k: _jsonable(v) for k, v in record.items()}, ensure_ascii=False) + "\n")
            handle.flush()

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not state.is_world_process_zero or not logs:
            return
        self.write({**logs, "step": state.global_step, "epoch": state.epoch, "time": round(time.time(), 3)})


class ResourceMonitor(TrainerCallback):
    """Process RSS (and GPU memory where CUDA exists) at every log event, in resources.jsonl."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def snapshot(self) -> dict[str, Any]:
        import psutil
        import torch

        rss = psutil.Process().memory_info().rss
        record: dict[str, Any] = {
            "used_memory_mb": round(rss / 2**20, 2),
            "used_memory_percentage": round(100 * rss / psutil.virtual_memory().total, 2),
        }
        if torch.cuda.is_available():  # the seed crashed here on CPU-only machines (seed-spec §6.2)
            device = torch.cuda.current_device()
            reserved = torch.cuda.memory_reserved(device)
            record["used_vram_mb"] = round(reserved / 2**20, 2)
            record["max_allocated_vram_mb"] = round(torch.cuda.max_memory_allocated(device) / 2**20, 2)
            record["used_vram_percentage"] = round(
                100 * reserved / torch.cuda.get_device_properties(device).total_memory, 2)
        return record

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not state.is_world_process_zero:
            return
        record = {"step": state.global_step, "epoch": state.epoch, **self.snapshot()}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")
            handle.flush()
