"""Compare an exported model with the torch model on one task: embeddings, the task metric and CPU throughput."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

from ..evaluation.tasks import TaskData


@dataclass
class ExportCheck:
    """What the check measured; `drop` > `max_drop` fails the export (exit 3)."""

    format: str
    file_name: str
    model: str
    task: str
    split: str
    texts: int
    batch_size: int
    max_cosine_difference: float
    metric: str
    metric_torch: float
    metric_export: float
    texts_per_second_torch: float
    texts_per_second_export: float
    max_drop: float

    @property
    def drop(self) -> float:
        return self.metric_torch - self.metric_export

    @property
    def speedup(self) -> float:
        return self.texts_per_second_export / self.texts_per_second_torch

    @property
    def passed(self) -> bool:
        return self.drop <= self.max_drop

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "drop": self.drop, "speedup": self.speedup, "passed": self.passed}


def task_texts(data: TaskData) -> list[str]:
    """Every distinct text the task's evaluator encodes, in a fixed order."""
    if data.ir is not None:
        texts = [*data.ir.queries.values(), *data.ir.corpus.values()]
    else:
        texts = [*data.pairs.sentences1, *data.pairs.sentences2]  # type: ignore[union-attr]
    return list(dict.fromkeys(texts))


def timed_encode(model, texts: list[str], batch_size: int):
    """(normalized embeddings, texts/s) after a one-batch warm-up, so both models are measured warm."""
    model.encode(texts[:batch_size], batch_size=batch_size, show_progress_bar=False)
    start = time.perf_counter()
    embeddings = model.encode(
        texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
    )
    return embeddings, len(texts) / max(time.perf_counter() - start, 1e-9)


def evaluator_for(data: TaskData, batch_size: int):
    from ..evaluation.retrieval import build_ir_evaluator
    from ..evaluation.sts import build_sts_evaluator

    args = {"batch_size": batch_size, **data.task.args}
    if data.ir is not None:
        return build_ir_evaluator(data.ir, args, where=f"{data.where}.args")
    return build_sts_evaluator(data.pairs, args, where=f"{data.where}.args")  # type: ignore[arg-type]


def main_metric(evaluator, model) -> tuple[str, float]:
    """(name, value) of the evaluator's primary metric (nDCG@10 for ir, Spearman for sts) on `model`."""
    metrics = evaluator(model)
    return evaluator.primary_metric, float(metrics[evaluator.primary_metric])


def check_export(torch_model, exported, data: TaskData, *, batch_size: int, **facts: Any) -> ExportCheck:
    """Measure `exported` against `torch_model` on `data`; `facts` fill format, file_name, model, max_drop."""
    import numpy as np

    texts = task_texts(data)
    reference, torch_speed = timed_encode(torch_model, texts, batch_size)
    candidate, export_speed = timed_encode(exported, texts, batch_size)
    cosine_difference = float(np.abs(1.0 - (reference * candidate).sum(axis=1)).max())
    evaluator = evaluator_for(data, batch_size)
    metric, torch_value = main_metric(evaluator, torch_model)
    _, export_value = main_metric(evaluator, exported)
    return ExportCheck(
        task=data.task.label,
        split=data.task.split,
        texts=len(texts),
        batch_size=batch_size,
        max_cosine_difference=cosine_difference,
        metric=metric,
        metric_torch=torch_value,
        metric_export=export_value,
        texts_per_second_torch=torch_speed,
        texts_per_second_export=export_speed,
        **facts,
    )
