"""Plan -> SentenceTransformerTrainer -> run dir. Reads top to bottom in the order things happen."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..config.schema import TrainConfig
from ..errors import UserError
from .outputs import find_resume_checkpoint, prepare_run_dir, redact, save_final_model
from .plan import Plan, build_plan

logger = logging.getLogger(__name__)


@dataclass
class RunResult:
    run_dir: Path
    model_dir: Path
    before: dict[str, float] = field(default_factory=dict)
    after: dict[str, float] = field(default_factory=dict)
    main_metric: str | None = None
    train_metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def got_worse(self) -> bool:
        m = self.main_metric
        return bool(m and m in self.before and m in self.after and self.after[m] < self.before[m])


def trainer_arguments(plan: Plan):
    from sentence_transformers import SentenceTransformerTrainingArguments

    config = plan.config
    args: dict[str, Any] = {"seed": plan.seed, **config.args}
    _apply_precision(config, args)
    if len(config.objectives) > 1 and "multi_dataset_batch_sampler" not in args:
        if config.mixing == "weighted":
            raise UserError("mixing: `weighted` is not available yet; use `proportional` or `round_robin`")
        args["multi_dataset_batch_sampler"] = config.mixing
    try:
        return SentenceTransformerTrainingArguments(output_dir=str(plan.run_dir), run_name=config.run_name, **args)
    except (TypeError, ValueError) as exc:
        raise UserError(f"args: {str(exc).splitlines()[0]}") from None


def _apply_precision(config: TrainConfig, args: dict[str, Any]) -> None:
    """precision: auto -> bf16 autocast on GPUs that support it, fp32 elsewhere; weights stay fp32."""
    import torch

    if "bf16" in args or "fp16" in args:
        return  # the user chose explicitly in args
    if config.precision == "bf16" or (config.precision == "auto" and torch.cuda.is_available()
                                       and torch.cuda.is_bf16_supported()):
        args["bf16"] = True
    elif config.precision == "fp16":
        args["fp16"] = True


def build_trainer(plan: Plan, callbacks: list):
    from datasets import DatasetDict
    from sentence_transformers import SentenceTransformerTrainer
    from transformers import EarlyStoppingCallback

    train = DatasetDict({o.name: o.train.dataset for o in plan.objectives})
    evals = {o.name: o.validation.dataset for o in plan.objectives if o.validation is not None}
    if plan.config.early_stopping:
        es = plan.config.early_stopping
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=es.patience,
                                               early_stopping_threshold=es.threshold))
    return SentenceTransformerTrainer(
        model=plan.model,
        args=trainer_arguments(plan),
        train_dataset=train,
        eval_dataset=DatasetDict(evals) if evals else None,
        loss={o.name: o.loss for o in plan.objectives},
        evaluator=plan.evaluator,
        callbacks=callbacks,
    )


def evaluate(plan: Plan, model) -> dict[str, float]:
    if plan.evaluator is None:
        return {}
    return {k: float(v) for k, v in plan.evaluator(model).items()}


def train(config: TrainConfig, *, resume: str | bool | None = None, overwrite: bool = False) -> RunResult:
    from .callbacks import JSONLLogger, ResourceMonitor

    run_dir = prepare_run_dir(config, resume=resume, overwrite=overwrite)
    (run_dir / "config.resolved.yaml").write_text(
        yaml.safe_dump(redact(config.model_dump(mode="json")), sort_keys=False, allow_unicode=True))
    plan = build_plan(config, run_dir)
    log = JSONLLogger(run_dir / "logs.jsonl")
    trainer = build_trainer(plan, [log, ResourceMonitor(run_dir / "resources.jsonl")])

    result = RunResult(run_dir=run_dir, model_dir=run_dir / "final")
    if config.evaluation.before and plan.evaluator is not None:
        result.before = evaluate(plan, plan.model)
    started = time.time()
    checkpoint = find_resume_checkpoint(run_dir, resume)
    output = trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    result.train_metrics = dict(output.metrics)
    save_final_model(trainer, result.model_dir)
    if plan.evaluator is not None:
        result.after = evaluate(plan, trainer.model)
        result.main_metric = getattr(plan.evaluator, "primary_metric", None)
    report = {"before": result.before, "after": result.after, "main_metric": result.main_metric,
              "train_seconds": round(time.time() - started, 2), "train_metrics": result.train_metrics}
    (run_dir / "evaluation.json").write_text(json.dumps(report, indent=2))
    log.write({"event": "run_end", "model_dir": str(result.model_dir), **{f"after/{k}": v for k, v in
                                                                          result.after.items()}})
    return result

