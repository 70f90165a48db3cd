"""How fast a model encodes, and under which conditions: threads, batch, load average, best and median of repeats.

A speed-up measured on one thread of a loaded machine and one measured on every core of an idle one differ by 2-4x
(ONNX, int8, OpenVINO alike), so a figure without its conditions cannot be reproduced. Both models are timed on
the same texts, threads and batch size, alternating, after a warm-up batch each.
"""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import asdict, dataclass
from typing import Any

REPEATS = 3
SAMPLE = 256  # texts timed per repeat: enough batches to average over, short enough to repeat


@dataclass
class Speed:
    threads: int
    batch_size: int
    texts: int
    repeats: int
    load_average: float  # 1-minute load average when the timing started (other processes sharing the CPU)
    cpus: int
    torch_best: float  # texts/s
    torch_median: float
    export_best: float
    export_median: float

    @property
    def speedup(self) -> float:
        """Best against best: the least disturbed run of each."""
        return self.export_best / max(self.torch_best, 1e-9)

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "speedup": self.speedup}

    def describe(self) -> str:
        return (
            f"{self.threads} thread{'s' * (self.threads != 1)}, batch {self.batch_size}, {self.texts} texts, "
            f"best and median of {self.repeats}; load average {self.load_average:.2f} on {self.cpus} CPUs"
        )


def _rate(model, texts: list[str], batch_size: int) -> float:
    start = time.perf_counter()
    model.encode(texts, batch_size=batch_size, convert_to_numpy=True, show_progress_bar=False)
    return len(texts) / max(time.perf_counter() - start, 1e-9)


def measure(torch_model, exported, texts: list[str], batch_size: int, repeats: int = REPEATS) -> Speed:
    """Texts/s of both models on the first SAMPLE texts, repeated, alternating (a load burst hits both)."""
    import torch

    sample = texts[:SAMPLE]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    for model in (torch_model, exported):
        model.encode(sample[:batch_size], batch_size=batch_size, show_progress_bar=False)  # warm-up
    rates: dict[str, list[float]] = {"torch": [], "export": []}
    for _ in range(repeats):
        rates["torch"].append(_rate(torch_model, sample, batch_size))
        rates["export"].append(_rate(exported, sample, batch_size))
    return Speed(
        threads=torch.get_num_threads(),
        batch_size=batch_size,
        texts=len(sample),
        repeats=repeats,
        load_average=round(load, 2),
        cpus=os.cpu_count() or 0,
        torch_best=max(rates["torch"]),
        torch_median=statistics.median(rates["torch"]),
        export_best=max(rates["export"]),
        export_median=statistics.median(rates["export"]),
    )
