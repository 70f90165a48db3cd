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
from .distributed import broadcast, is_distributed, is_main
from .outputs import find_resume_checkpoint, prepare_run_dir, redact, resume_config_changes, save_final_model
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
    task_rows: list[Any] = field(default_factory=list)  # evaluation.tasks: ResultRows, model "before" / "after"

    @property
    def got_worse(self) -> bool:
        m = self.main_metric
        return bool(m and m in self.before and m in self.after and self.after[m] < self.before[m])


def trainer_arguments(plan: Plan):
    from sentence_transformers import SentenceTransformerTrainingArguments

    config = plan.config
    from .banner import interactive

    args: dict[str, Any] = {"seed": plan.seed, **config.args}
    args.setdefault("disable_tqdm", not interactive())  # one line per log event instead of bars in non-TTY logs
    _apply_precision(config, args)
    if is_distributed() and "use_cpu" not in args:
        import torch

        # transformers only sets up CPU (gloo) DDP with use_cpu; without it every process trains alone.
        args["use_cpu"] = not torch.cuda.is_available()
    _apply_dataloader_defaults(config, args)
    if len(config.objectives) > 1 and "multi_dataset_batch_sampler" not in args:
        if config.mixing != "weighted":  # weighted mixing is the trainer's own sampler
            args["multi_dataset_batch_sampler"] = config.mixing
    try:
        return SentenceTransformerTrainingArguments(output_dir=str(plan.run_dir), run_name=config.run_name, **args)
    except (TypeError, ValueError) as exc:
        raise UserError(f"args: {str(exc).splitlines()[0]}") from None


def _apply_dataloader_defaults(config: TrainConfig, args: dict[str, Any]) -> None:
    """Workers, pinned memory and persistent workers where `args` leaves them unset (see dataloading.py)."""
    import torch

    from .dataloading import auto_dataloader_args, available_cpus, local_processes

    cuda = torch.cuda.is_available() and not args.get("use_cpu")
    added, why = auto_dataloader_args(
        config.args, cuda=cuda, cpu_count=available_cpus(), local_processes=local_processes()
    )
    args.update(added)  # never a key the user set
    logger.info(why)


def _apply_precision(config: TrainConfig, args: dict[str, Any]) -> None:
    """precision: auto -> bf16 autocast on GPUs that support it, fp32 elsewhere; weights stay fp32."""
    import torch

    if "bf16" in args or "fp16" in args:
        return  # the user chose explicitly in args
    if config.precision == "bf16" or (
        config.precision == "auto" and torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    ):
        args["bf16"] = True
    elif config.precision == "fp16":
        args["fp16"] = True


def build_trainer(plan: Plan, callbacks: list):
    from datasets import DatasetDict
    from transformers import EarlyStoppingCallback

    from .trainer import EmbeddingTrainer

    train = DatasetDict({o.name: o.train.dataset for o in plan.objectives})
    evals = {o.name: o.validation.dataset for o in plan.objectives if o.validation is not None}
    if plan.config.early_stopping:
        es = plan.config.early_stopping
        callbacks.append(
            EarlyStoppingCallback(early_stopping_patience=es.patience, early_stopping_threshold=es.threshold)
        )
    losses = {o.name: o.loss for o in plan.objectives}
    if len(plan.objectives) == 1:
        # One objective: a plain dataset, so the batch order depends only on the seed, not on the multi-dataset
        # sampler (whose draws depend on the batch count, i.e. on the per-device batch size).
        train, losses = train[plan.objectives[0].name], losses[plan.objectives[0].name]
    trainer = EmbeddingTrainer(
        model=plan.model,
        args=trainer_arguments(plan),
        train_dataset=train,
        eval_dataset=DatasetDict(evals) if evals else None,
        loss=losses,
        evaluator=plan.evaluator,
        callbacks=callbacks,
    )
    trainer.group_by_length = plan.config.group_by_length
    if len(plan.objectives) > 1:
        trainer.objective_batch_sizes = [o.spec.batch_size for o in plan.objectives]
        trainer.objective_batch_samplers = [o.spec.batch_sampler for o in plan.objectives]
        trainer.objective_weights = [o.spec.weight for o in plan.objectives]
        trainer.mixing = plan.config.mixing
    else:
        _single_objective_overrides(trainer, plan.objectives[0].spec)
    return trainer


def _single_objective_overrides(trainer, spec) -> None:
    """With one objective there is no per-dataset sampler loop: its settings apply to the trainer args."""
    if spec.batch_size:
        trainer.args.per_device_train_batch_size = spec.batch_size
    if spec.batch_sampler:
        from sentence_transformers.base.training_args import BatchSamplers

        trainer.args.batch_sampler = BatchSamplers(spec.batch_sampler)


def _warn_if_model_only(checkpoint: Path) -> None:
    """`save_only_model: true` checkpoints hold no optimizer / scheduler state: say what that resume loses."""
    if not any((checkpoint / name).exists() for name in ("optimizer.pt", "optimizer.bin", "scheduler.pt")):
        logger.warning(
            "%s holds the model weights only (args.save_only_model: true): the weights continue, but the "
            "optimizer state and the learning-rate schedule start over (warmup included), so the result "
            "differs from an uninterrupted run. Set args.save_only_model: false for exact resumes.",
            checkpoint,
        )


def evaluate(plan: Plan, model) -> dict[str, float]:
    if plan.evaluator is None:
        return {}
    return {k: float(v) for k, v in plan.evaluator(model).items()}


def resume_command(config_path: str | None, overrides: list[str] | None = None) -> str:
    """The command that continues this run: the same config and the same --set overrides, plus --resume."""
    import shlex

    config = shlex.quote(config_path) if config_path else "<config>"
    sets = [f"--set {shlex.quote(o)}" for o in overrides or []]
    return " ".join(["embedding train --config", config, *sets, "--resume"])


def train(
    config: TrainConfig,
    *,
    resume: str | bool | None = None,
    overwrite: bool = False,
    config_path: str | None = None,
    overrides: list[str] | None = None,
) -> RunResult:
    from ..report.trackers import tensorboard_into_run_dir
    from .banner import install_progress, print_banner, quiet_progress_bars
    from .callbacks import InterruptHandler, JSONLLogger, NaNGuard, ResourceMonitor

    quiet_progress_bars()
    run_dir = prepare_run_dir(config, resume=resume, overwrite=overwrite)
    checkpoint = find_resume_checkpoint(run_dir, resume)
    resolved = redact(config.model_dump(mode="json"))
    if checkpoint is not None:
        changes = resume_config_changes(run_dir, resolved)
        if changes and is_main():
            logger.warning("resuming with changed settings:\n  %s", "\n  ".join(changes))
            previous = run_dir / "config.resolved.yaml"  # kept: what the run trained with before this resume
            kept = run_dir / f"config.resolved.before-{checkpoint.name}.yaml"
            if kept.exists():  # resumed from this checkpoint before: keep both records
                stamp = time.strftime("%Y%m%d-%H%M%S")
                kept = kept.with_name(f"config.resolved.before-{checkpoint.name}-{stamp}.yaml")
            previous.rename(kept)
        _warn_if_model_only(checkpoint)
    if is_main():
        (run_dir / "config.resolved.yaml").write_text(yaml.safe_dump(resolved, sort_keys=False, allow_unicode=True))
    plan = build_plan(config, run_dir, source=config_path)
    log, interrupt, guard = JSONLLogger(run_dir / "logs.jsonl"), InterruptHandler(), NaNGuard()
    trainer = build_trainer(plan, [log, ResourceMonitor(run_dir / "resources.jsonl"), interrupt, guard])
    for objective in plan.objectives:
        guard.watch(objective.name, objective.loss)
    install_progress(trainer)
    tensorboard_into_run_dir(trainer, run_dir)
    print_banner(plan, trainer)
    if is_main():
        from .dataloading import describe_padding

        logger.info("padding: %s", describe_padding(trainer, [o.name for o in plan.objectives]))
    log.write(
        {
            "event": "run_start",
            "config_path": config_path,
            "model": plan.resolution.describe(),
            "time": round(time.time(), 3),
        }
    )

    result = RunResult(run_dir=run_dir, model_dir=run_dir / "final")
    if config.evaluation.before and plan.evaluator is not None and checkpoint is None:
        result.before = broadcast(evaluate(plan, plan.model) if is_main() else None)
        if is_main():
            (run_dir / "evaluation.before.json").write_text(json.dumps(result.before, indent=2))
    elif checkpoint is not None:
        result.before = _previous_before(run_dir)
    started = time.time()
    interrupt.install()
    try:
        output = trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    finally:
        interrupt.uninstall()
    if guard.fault is not None:
        log.write({"event": "non_finite", "step": guard.fault.step, "objective": guard.fault.objective})
        _write_report(run_dir, config_path)
        raise TrainingFault(
            f"{guard.fault}; training stopped. The last good checkpoint is kept in {run_dir}; "
            "lower args.learning_rate or check the objective's data, then --resume"
        )
    if interrupt.signum is not None:
        from .callbacks import Interrupted

        stopped = Interrupted(interrupt.signum, trainer.state.global_step)
        hint = resume_command(config_path, overrides)
        log.write({"event": "interrupted", "step": stopped.step, "resume": hint})
        _write_report(run_dir, config_path)
        print(f"{stopped}; checkpoint saved in {run_dir}. Resume with: {hint}", flush=True)
        raise stopped
    result.train_metrics = dict(output.metrics)
    save_final_model(trainer, result.model_dir)
    if plan.evaluator is not None:
        result.after = broadcast(evaluate(plan, trainer.model) if is_main() else None)
        result.main_metric = getattr(plan.evaluator, "primary_metric", None)
    report = {
        "before": result.before,
        "after": result.after,
        "main_metric": result.main_metric,
        "train_seconds": round(time.time() - started, 2),
        "train_metrics": result.train_metrics,
    }
    if config.evaluation.tasks and is_main():
        result.task_rows = evaluate_tasks(config, result.model_dir, run_dir, plan.seed)
        report["tasks"] = [dict(row.__dict__) for row in result.task_rows]
    if is_main():
        from .card import dataset_entries, extend_model_card

        (run_dir / "evaluation.json").write_text(json.dumps(report, indent=2))
        extend_model_card(
            result.model_dir,
            config=redact(config.model_dump(mode="json")),
            datasets=dataset_entries(plan),
            before=result.before,
            after=result.after,
            main_metric=result.main_metric,
            seed=plan.seed,
        )
    log.write(
        {"event": "run_end", "model_dir": str(result.model_dir), **{f"after/{k}": v for k, v in result.after.items()}}
    )
    _write_report(run_dir, config_path)
    return result


def evaluate_tasks(config: TrainConfig, model_dir, run_dir, seed: int) -> list[Any]:
    """The extra `evaluation.tasks`, on the base model and the trained one (ResultRows with model `before` /
    `after`); with the full model names also in run_dir/evaluation/results.json|csv."""
    import dataclasses

    from ..config.schema import ModelSpec
    from ..evaluation.results import write_results
    from ..evaluation.run import run_evaluation
    from ..evaluation.schema import EvalConfig

    eval_config = EvalConfig(
        models=[config.base_model, ModelSpec(name=str(model_dir))],
        tasks=config.evaluation.tasks,
        dimensions=config.evaluation.dimensions,
        output_dir=str(run_dir / "evaluation"),
        seed=seed,
    )
    report = run_evaluation(eval_config, log=logger.info)
    write_results(run_dir / "evaluation", report.rows)
    return [
        dataclasses.replace(row, model="after" if row.model == str(model_dir) else "before") for row in report.rows
    ]


def _write_report(run_dir, config_path) -> None:
    """report.md + plots; a plotting failure must not fail a finished (or interrupted) training."""
    if not is_main():
        return
    from ..report import write_report

    try:
        write_report(run_dir, config_path=config_path)
    except Exception as exc:
        logger.warning("report.md not written: %s", exc)


class TrainingFault(Exception):
    """Training stopped on a numerical fault (exit code 4)."""

    exit_code = 4


def _previous_before(run_dir) -> dict[str, float]:
    """On resume the base model is gone; reuse the before-metrics the interrupted run stored, if any."""
    path = run_dir / "evaluation.before.json"
    return json.loads(path.read_text()) if path.exists() else {}
