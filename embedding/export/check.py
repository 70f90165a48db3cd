"""Compare an exported model with the torch model on one task: embeddings, the task metric and CPU throughput."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..evaluation.tasks import TaskData
from .speed import Speed


@dataclass
class ExportCheck:
    """What the check measured and what it allows; `failures` says why a check failed (exit 3)."""

    format: str
    file_name: str
    model: str
    task: str
    split: str
    texts: int
    batch_size: int
    max_cosine_difference: float | None  # max (1 - cos) of export vs torch over the task's texts (None: other dims)
    max_cosine_limit: float | None  # the format's limit (None: a distilled model, not comparable)
    batch_difference: float  # max (1 - cos) of texts embedded alone vs inside one batch
    batch_limit: float | None  # the format's promise (None: dynamic int8, which scales per batch)
    metric: str
    metric_torch: float
    metric_export: float
    speed: Speed
    max_drop: float

    @property
    def drop(self) -> float:
        return self.metric_torch - self.metric_export

    @property
    def speedup(self) -> float:
        return self.speed.speedup

    @property
    def failures(self) -> list[str]:
        found = []
        if not self.drop <= self.max_drop:
            found.append(f"{self.metric} dropped {self.drop:.4f} > --max-drop {self.max_drop}")
        if self.max_cosine_limit is not None and not (self.max_cosine_difference or 0.0) <= self.max_cosine_limit:
            found.append(
                f"embeddings differ from torch's by max (1 - cos) {self.max_cosine_difference:.2e} > "
                f"{self.max_cosine_limit:.0e} allowed for {self.format}: not usable against a torch-built index"
            )
        if self.batch_limit is not None and not self.batch_difference <= self.batch_limit:
            found.append(
                f"a text's vector depends on its batch: max (1 - cos) alone vs batched {self.batch_difference:.2e} "
                f"> {self.batch_limit:.0e}"
            )
        return found

    @property
    def passed(self) -> bool:
        return not self.failures

    def as_json(self) -> dict[str, Any]:
        fields = {**asdict(self), "speed": self.speed.as_json()}
        rates = {"texts_per_second_torch": self.speed.torch_best, "texts_per_second_export": self.speed.export_best}
        return {
            **fields,
            **rates,
            "drop": self.drop,
            "speedup": self.speedup,
            "passed": self.passed,
            "failures": self.failures,
        }


def task_texts(data: TaskData) -> list[str]:
    """Every distinct text the task's evaluator encodes, in a fixed order."""
    if data.ir is not None:
        texts = [*data.ir.queries.values(), *data.ir.corpus.values()]
    else:
        texts = [*data.pairs.sentences1, *data.pairs.sentences2]  # type: ignore[union-attr]
    return list(dict.fromkeys(texts))


def embed(model, texts: list[str], batch_size: int):
    return model.encode(
        texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
    )


def batch_texts(texts: list[str], count: int = 16) -> list[str]:
    """The shortest and longest texts, half each: one batch with as much padding as the task has."""
    ordered = sorted(dict.fromkeys(texts), key=len)
    half = max(1, count // 2)
    return list(dict.fromkeys(ordered[:half] + ordered[-half:]))


def batch_difference(model, texts: list[str]) -> float:
    """max (1 - cos) between each text embedded alone and inside one batch with all of `texts`."""
    import numpy as np

    together = embed(model, texts, len(texts))
    alone = np.concatenate([embed(model, [text], 1) for text in texts])
    return float(np.abs(1.0 - (together * alone).sum(axis=1)).max())


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
    """Measure `exported` against `torch_model` on `data`; `facts` fill format, file_name, model, max_drop and
    the limits (max_cosine_limit, batch_limit)."""
    import numpy as np

    from .speed import measure

    texts = task_texts(data)
    reference, candidate = embed(torch_model, texts, batch_size), embed(exported, texts, batch_size)
    comparable = reference.shape == candidate.shape
    cosine_difference = float(np.abs(1.0 - (reference * candidate).sum(axis=1)).max()) if comparable else None
    evaluator = evaluator_for(data, batch_size)
    metric, torch_value = main_metric(evaluator, torch_model)
    _, export_value = main_metric(evaluator, exported)
    return ExportCheck(
        task=data.task.label,
        split=data.task.split,
        texts=len(texts),
        batch_size=batch_size,
        max_cosine_difference=cosine_difference,
        batch_difference=batch_difference(exported, batch_texts(texts)),
        metric=metric,
        metric_torch=torch_value,
        metric_export=export_value,
        speed=measure(torch_model, exported, texts, batch_size),
        **facts,
    )
