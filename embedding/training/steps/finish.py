"""Evaluate the base model before and the trained model after training; write the results, the card, report.md.

The evaluator runs on the main process with every process encoding its share (sharded_eval.py), and every
process gets its metrics; the files in the run dir are written by the main process only.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from pathlib import Path
from typing import Any

from ...config.eval_schema import EvalConfig
from ...config.schema import ModelSpec
from ...evaluation.results import write_results
from ...report.card import dataset_entries, extend_model_card
from ...safe_files import write_json
from ..distributed.ranks import main_only
from ..distributed.sharded_eval import evaluate_on_every_rank
from ..distributed.sharded_tasks import evaluate_tasks_on_every_rank
from ..plan import Plan
from ..rundir.outputs import redact, write_run_report
from ..rundir.result import RunResult
from ..rundir.resume import previous_before
from ..trainer.session import Session

logger = logging.getLogger(__name__)


def evaluate(plan: Plan, model) -> dict[str, float]:
    """The plan's evaluator on `model` ({} without an evaluator)."""
    if plan.evaluator is None:
        return {}
    return {k: float(v) for k, v in plan.evaluator(model).items()}


def evaluate_before(plan: Plan, checkpoint: Path | None) -> dict[str, float]:
    """The base model's metrics, also in evaluation.before.json; on resume, those the interrupted run stored."""
    if checkpoint is not None:
        return previous_before(plan.run_dir)  # the base model is no longer what the trainer holds
    if not plan.config.evaluation.before or plan.evaluator is None:
        return {}
    before = evaluate_on_every_rank(evaluate, plan.model, plan, plan.model)
    _write_json(plan.run_dir / "evaluation.before.json", before)
    return before


def evaluate_after(session: Session) -> tuple[dict[str, float], str | None]:
    """The trained model's metrics and the evaluator's main metric ({} and None without an evaluator)."""
    evaluator = session.plan.evaluator
    if evaluator is None:
        return {}, None
    model = session.trainer.model
    return evaluate_on_every_rank(evaluate, model, session.plan, model), getattr(evaluator, "primary_metric", None)


def finish(session: Session, result: RunResult) -> None:
    """evaluation.tasks, evaluation.json and the model card; the run_end log event; report.md."""
    if session.plan.config.evaluation.tasks:  # every process encodes a share
        result.task_rows = evaluate_tasks(session.plan, result.model_dir)
    _write_results(session.plan, result, train_seconds=round(time.time() - session.started, 2))
    after = {f"after/{k}": v for k, v in result.after.items()}
    session.log.write({"event": "run_end", "model_dir": str(result.model_dir), **after})
    write_run_report(session.run_dir, session.config_path)


@main_only
def _write_json(path: Path, value: Any) -> None:
    write_json(path, value)  # whole, never through a planted link, secrets redacted (safe_files)


@main_only
def _write_results(plan: Plan, result: RunResult, *, train_seconds: float) -> None:
    """evaluation.json (with the `evaluation.tasks` results in result.task_rows) and the model card."""
    config = plan.config
    report: dict[str, Any] = {
        "before": result.before,
        "after": result.after,
        "main_metric": result.main_metric,
        "train_seconds": train_seconds,
        "train_metrics": result.train_metrics,
    }
    if config.evaluation.tasks:
        report["tasks"] = [dict(row.__dict__) for row in result.task_rows]
    _write_json(plan.run_dir / "evaluation.json", report)
    extend_model_card(
        result.model_dir,
        config=redact(config.model_dump(mode="json")),
        datasets=dataset_entries(plan),
        before=result.before,
        after=result.after,
        main_metric=result.main_metric,
        seed=plan.seed,
    )


def task_dims(plan: Plan, model_dir: Path) -> list[int]:
    """The sizes both models are evaluated at: `evaluation.dimensions`, else the trained model's Matryoshka dims
    and its full size. Each model's own default would give the base model (no Matryoshka training) only its
    full size, leaving the "before" column blank at the smaller ones."""
    from ...evaluation.run import embedding_size
    from ...evaluation.runconfig import trained_dims

    if plan.config.evaluation.dimensions is not None:
        return list(plan.config.evaluation.dimensions)
    full = embedding_size(plan.model)
    return [d for d in trained_dims(model_dir) if d < full] + [full]


def evaluate_tasks(plan: Plan, model_dir: Path) -> list[Any]:
    """The extra `evaluation.tasks`, on the base model and the trained one at the same sizes (ResultRows with
    model `before` / `after`), every process encoding a share; with the full model names also in
    run_dir/evaluation/results.json|csv."""

    def eval_config() -> EvalConfig:  # on rank 0 only, which wrote final/ (read for its Matryoshka sizes)
        config = plan.config
        return EvalConfig(
            models=[config.base_model, ModelSpec(name=str(model_dir))],
            tasks=config.evaluation.tasks,
            dimensions=task_dims(plan, model_dir),
            output_dir=str(plan.run_dir / "evaluation"),
            seed=plan.seed,
        )

    rows = evaluate_tasks_on_every_rank(eval_config, logger.info)
    _write_task_results(plan.run_dir / "evaluation", rows)
    return [dataclasses.replace(row, model="after" if row.model == str(model_dir) else "before") for row in rows]


@main_only
def _write_task_results(folder: Path, rows: list[Any]) -> None:
    write_results(folder, rows)
