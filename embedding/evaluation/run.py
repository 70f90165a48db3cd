"""Run an evaluation config: check it, load every task once, then each model on each task at each size.

Order: find every model and check its folder (model files, tokenizer) -> check evaluator arguments (no loading)
-> load task data (data errors before any model load) -> per model: load, resolve sizes, evaluate every task ->
result rows. Writing and printing are the caller's.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ..config.schema import ModelSpec
from ..errors import UserError
from .bm25 import BM25Evaluator, check_bm25_args
from .models import check_models, is_bm25
from .results import ResultRow, rows_from_metrics
from .runconfig import trained_dims
from .schema import EvalConfig
from .tasks import TaskData, load_task


@dataclass
class Timing:
    """Wall time of one model on one task (every size), and the texts it encoded."""

    model: str
    task: str
    seconds: float
    texts: int

    @property
    def texts_per_second(self) -> float:
        return self.texts / self.seconds if self.seconds > 0 else float("inf")


@dataclass
class EvalReport:
    rows: list[ResultRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    timings: list[Timing] = field(default_factory=list)


@dataclass
class RunContext:
    """What every model's evaluation shares: the config, the report being filled, the log and the run's date."""

    config: EvalConfig
    report: EvalReport
    log: Callable[[str], None]
    date: str


def check_config(config: EvalConfig) -> None:
    """Evaluator and BM25 arguments against their signatures, before anything heavy is loaded."""
    from sentence_transformers.sentence_transformer.evaluation import (
        EmbeddingSimilarityEvaluator,
        InformationRetrievalEvaluator,
    )

    from . import retrieval, sts
    from .tasks import check_preprocess_args

    for i, task in enumerate(config.tasks):
        check_preprocess_args(task, f"tasks[{i}]")
        if task.type == "ir":
            retrieval.check_evaluator_args(
                task.args, InformationRetrievalEvaluator, reserved=retrieval.RESERVED, where=f"tasks[{i}].args"
            )
        else:
            retrieval.check_evaluator_args(
                task.args, EmbeddingSimilarityEvaluator, reserved=sts.RESERVED, where=f"tasks[{i}].args"
            )
    for i, spec in enumerate(config.models):
        if is_bm25(spec.name):
            check_bm25_args(spec.args, f"models[{i}].args")


def resolve_dims(asked: list[int] | None, full: int, location: str, where: str) -> tuple[list[int], list[str]]:
    """The sizes to evaluate one model at, and notes on what was skipped or assumed."""
    notes = []
    if asked is None:
        dims = [d for d in trained_dims(location) if d < full] + [full]
        if len(dims) > 1:
            notes.append(f"{where}: sizes {dims} (trained Matryoshka dims + full size)")
        return dims, notes
    dims = [d for d in asked if d <= full]
    if not dims:
        raise UserError(
            f"dimensions: every size ({', '.join(map(str, asked))}) is larger than {where}'s embedding "
            f"size {full}; use sizes <= {full}"
        )
    if len(dims) < len(asked):
        notes.append(f"{where}: sizes {[d for d in asked if d > full]} skipped (embedding size is {full})")
    return dims, notes


def embedding_size(model) -> int:
    """The model's full embedding size; encoded once when the model does not say (None: unknown until used)."""
    return model.get_embedding_dimension() or len(model.encode("size probe"))


def evaluate_task(model, spec: ModelSpec, data: TaskData, dims: list[int], config: EvalConfig):
    """{dim: metrics} of one model (None for BM25) on one task."""
    from .retrieval import build_ir_evaluator
    from .sts import build_sts_evaluator

    args = {"batch_size": config.batch_size, **data.task.args}
    if model is None:
        evaluator = BM25Evaluator(
            bm25_args=spec.args,
            **data.ir.as_evaluator_kwargs(),  # type: ignore[union-attr]
            **{"show_progress_bar": False, **args},
        )
    elif data.ir is not None:
        evaluator = build_ir_evaluator(data.ir, args, where=f"{data.where}.args")
    else:
        evaluator = build_sts_evaluator(data.pairs, args, where=f"{data.where}.args")  # type: ignore[arg-type]
    return evaluator.evaluate_dims(model, dims)


def load_tasks(run: RunContext) -> list[TaskData]:
    """Every task's data, loaded once before any model (data errors come before a slow model load)."""
    tasks = []
    for i, task in enumerate(run.config.tasks):
        data = load_task(task, i, seed=run.config.seed)
        run.log(f"tasks[{i}] {task.type} {task.label} ({task.split}): {data.summary}; fingerprint {data.fingerprint}")
        run.report.notes.extend(f"tasks[{i}]: {note}" for note in data.notes)
        tasks.append(data)
    return tasks


def load_for_evaluation(spec: ModelSpec, where: str, run: RunContext) -> tuple[Any, list[int] | list[None]]:
    """(model, sizes to evaluate it at); (None, [None]) for BM25, which has no embedding."""
    from .models import load_evaluated

    if is_bm25(spec.name):
        return None, [None]
    model, resolution = load_evaluated(spec, where, run.log)  # an export folder runs its exported graph
    run.log(f"{where}: {resolution.describe()}")
    dims, notes = resolve_dims(run.config.dimensions, embedding_size(model), resolution.location, where)
    run.report.notes.extend(notes)
    return model, dims


def evaluate_model(
    model, spec: ModelSpec, where: str, dims: list[int] | list[None], tasks: list[TaskData], run: RunContext
) -> None:
    """One model on every task: timings and result rows into `run.report`."""
    from .encode import progress_to

    for data in tasks:
        if model is None and data.pairs is not None:
            run.report.notes.append(
                f"{where} ({spec.name}): skipped {data.where} (sts): BM25 ranks documents for a "
                "query and gives no similarity score for a sentence pair"
            )
            continue
        sizes = "" if dims == [None] else f" at sizes {', '.join(map(str, dims))}"
        run.log(f"{where} {spec.name} on {data.where} {data.task.label}{sizes}: started")
        start = time.perf_counter()
        with progress_to(run.log):
            results = evaluate_task(model, spec, data, dims, run.config)  # type: ignore[arg-type]
        seconds = time.perf_counter() - start
        run.report.timings.append(Timing(spec.name, data.task.label, seconds, data.texts))
        run.log(
            f"{where} {spec.name} on {data.where} {data.task.label}: done in {seconds:.1f} s "
            f"({data.texts / max(seconds, 1e-9):.0f} texts/s)"
        )
        for dim, metrics in results.items():
            run.report.rows.extend(
                rows_from_metrics(
                    metrics,
                    model=spec.name,
                    task=data.task.type,
                    dataset=data.task.label,
                    dataset_fingerprint=data.fingerprint,
                    split=data.task.split,
                    dim=dim,
                    date=run.date,
                )
            )


def run_evaluation(
    config: EvalConfig, *, log: Callable[[str], None] = lambda _: None, around_model: Callable | None = None
) -> EvalReport:
    """Evaluate every model of `config` on every task.

    Args:
        config: The validated evaluation config.
        log: Receives one-line progress messages.
        around_model: `around_model(model, spec, where)` gives a context manager each loaded model is evaluated
            in (a multi-process run shares the model's encoding there: `training/sharded_tasks.py`).

    Returns:
        The result rows (one per model, task, size and metric), notes and timings.

    Raises:
        UserError: Bad arguments, data or model names, with the config key that holds them.
    """
    check_models(config)  # files only: a wrong model fails in a second, not after the evaluator imports
    check_config(config)
    run = RunContext(config, EvalReport(), log, datetime.now(timezone.utc).isoformat(timespec="seconds"))
    tasks = load_tasks(run)
    for m, spec in enumerate(config.models):
        where = f"models[{m}]"
        model, dims = load_for_evaluation(spec, where, run)
        # BM25 (model None) encodes nothing to share.
        with nullcontext() if around_model is None or model is None else around_model(model, spec, where):
            evaluate_model(model, spec, where, dims, tasks, run)
        del model
        gc.collect()
    return run.report
