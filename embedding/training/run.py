"""Plan -> SentenceTransformerTrainer -> run dir. `train()` reads top to bottom in the order things happen.

Each step lives in the module of its concern: resume.py (run dir, checkpoint, resolved config), plan.py (model,
data, losses, evaluator), session.py (training and its faults), stops.py (signals outside the training loop, a
full disk), finish.py (evaluation, results, card, report).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from ..config.schema import TrainConfig
from ..console import quiet_library_bars, quiet_widget_examples
from ..errors import Interrupted, TrainingFault
from ..report.card_meta import ObjectiveLossesInCard, describe_run
from ..report.trackers import tensorboard_into_run_dir
from .batching.dataloading import describe_padding
from .distributed.ranks import main_only
from .plan import Plan, batch_sampler_of, build_plan
from .rundir.fingerprints import check_streams, streamed_files
from .rundir.lock import release_run_dir
from .rundir.outputs import save_final_model
from .rundir.result import RunResult
from .rundir.resume import finished_run, open_run_dir, record_config, rerun_command, resume_command
from .rundir.run_log import run_log
from .steps.export import export_after_training
from .steps.finish import evaluate_after, evaluate_before, finish
from .steps.merge import merge_with_base
from .steps.mining import write_mining_stats
from .steps.quantization import write_quantization_table
from .trainer.arguments import trainer_arguments
from .trainer.session import Session, fit
from .trainer.stops import disk_full_stops, stop_on_signals

logger = logging.getLogger(__name__)

# The faults train() raises, and the pieces callers and tests build a trainer from, importable from here.
__all__ = ["Interrupted", "RunResult", "TrainingFault", "build_trainer", "train", "trainer_arguments"]


def train(
    config: TrainConfig,
    *,
    resume: str | bool | None = None,
    overwrite: bool = False,
    config_path: str | None = None,
    overrides: list[str] | None = None,
    callbacks: list | None = None,
) -> RunResult:
    """Train per `config` into `output_dir/run_name`; evaluate before and after; write the card and report.md.

    A resume of a finished run changes nothing and returns its stored result; one of a run whose training is
    complete only writes what is missing (final model, evaluation, card, report). `callbacks`: extra trainer
    callbacks (`embedding sweep` reports each evaluation to its pruner with one).

    Raises:
        UserError: bad input (run dir, checkpoint, changed config on resume, data, args); a full disk.
        TrainingFault: a NaN/inf loss, gradient or weight stopped training; the last good checkpoint is kept.
        Interrupted: SIGINT/SIGTERM stopped the run (during training: after saving a checkpoint to resume from).
    """
    quiet_library_bars()
    run_dir, checkpoint = open_run_dir(config, resume=resume, overwrite=overwrite)  # takes the run dir's lock
    try:
        with run_log(run_dir, config.model_dump(mode="json")):  # the libraries' full log: run_dir/train.log
            if checkpoint is not None and (done := finished_run(config, run_dir)) is not None:
                return done
            return _run(config, run_dir, checkpoint, config_path, overrides, callbacks or [])
    finally:
        release_run_dir(run_dir)  # a crashed process releases it with its exit


def _run(
    config: TrainConfig,
    run_dir: Path,
    checkpoint: Path | None,
    config_path: str | None,
    overrides: list[str] | None,
    callbacks: list,
) -> RunResult:
    """train() once the run dir is locked and open: record, plan, train, save, evaluate, finish."""
    record_config(config, run_dir, checkpoint)
    plan = build_plan(config, run_dir, source=config_path)
    check_streams(run_dir, streamed_files(plan), resumed=checkpoint is not None)  # a resume skips the same rows
    write_mining_stats(plan)  # run_dir/mining/<objective>.json
    session = start_session(plan, config_path, callbacks)
    hint, restart = resume_command(config_path, overrides), rerun_command(config_path, overrides, "--overwrite")
    result = RunResult(run_dir=run_dir, model_dir=run_dir / "final")
    with disk_full_stops(run_dir, hint, restart):
        before_command = hint if checkpoint else rerun_command(config_path, overrides)  # nothing to resume yet
        with stop_on_signals(session, "the evaluation before training", before_command, "Run again with"):
            result.before = evaluate_before(plan, checkpoint)
        result.train_metrics = fit(session, checkpoint, resume_hint=hint, restart_hint=restart)
        with stop_on_signals(session, "the final save and the evaluation after training", hint):
            save_final_model(session.trainer, result.model_dir)
            merge_with_base(session, result)  # final/: the merged model; final-unmerged/: the trained one
            result.after, result.main_metric = evaluate_after(session)
            write_quantization_table(session, result)  # before finish(): report.md shows both, run_end comes last
            export_after_training(session, result)
            finish(session, result)
    return result


def start_session(plan: Plan, config_path: str | None, callbacks: list = ()) -> Session:
    """The trainer with its callbacks, progress lines and TensorBoard dir; the banner; the run_start log event."""
    from .display.banner import install_progress, print_banner
    from .display.false_negatives import GuidedMaskLog
    from .trainer.callbacks import FinalCheckpoint, InterruptHandler, JSONLLogger, NaNGuard, ResourceMonitor

    run_dir = plan.run_dir
    log, interrupt, guard = JSONLLogger(run_dir / "logs.jsonl"), InterruptHandler(), NaNGuard()
    monitor = ResourceMonitor(run_dir / "resources.jsonl")
    # GuidedMaskLog first: it adds the masked share to each log event before the others write it.
    ours = [GuidedMaskLog(plan), log, monitor, interrupt, guard, FinalCheckpoint(guard)]
    trainer = build_trainer(plan, [*ours, *callbacks])  # the caller's last: e.g. a sweep's pruning
    for objective in plan.objectives:
        guard.watch(objective.name, objective.loss)
    # the card sentence-transformers renders at each save: the real losses and base model, per-objective losses
    describe_run(plan.model, [o.loss for o in plan.objectives], plan.config.base_model.name)
    trainer.add_callback(ObjectiveLossesInCard([o.name for o in plan.objectives]))
    install_progress(trainer)
    tensorboard_into_run_dir(trainer, run_dir)
    print_banner(plan, trainer)
    _log_padding(plan, trainer)
    model = plan.resolution.describe()
    log.write({"event": "run_start", "config_path": config_path, "model": model, "time": round(time.time(), 3)})
    return Session(plan, trainer, log, interrupt, guard, config_path=config_path)


def build_trainer(plan: Plan, callbacks: list):
    """The RunTrainer for the plan, with `callbacks` (plus early stopping when the config asks for it)."""
    from datasets import DatasetDict
    from transformers import EarlyStoppingCallback

    from .trainer.run_trainer import RunTrainer

    if plan.config.early_stopping:
        es = plan.config.early_stopping
        stopper = EarlyStoppingCallback(early_stopping_patience=es.patience, early_stopping_threshold=es.threshold)
        callbacks = [stopper, *callbacks]  # first: callbacks.FinalCheckpoint reads the stop it decides
    train_data = DatasetDict({o.name: o.train.dataset for o in plan.objectives})
    evals = {o.name: o.validation.dataset for o in plan.objectives if o.validation is not None}
    losses = {o.name: o.loss for o in plan.objectives}
    several = len(plan.objectives) > 1
    quiet_widget_examples(plan.model)
    if not several:
        # One objective: a plain dataset, so the batch order depends only on the seed, not on the multi-dataset
        # sampler (whose draws depend on the batch count, i.e. on the per-device batch size).
        train_data, losses = train_data[plan.objectives[0].name], losses[plan.objectives[0].name]
    return RunTrainer(
        model=plan.model,
        args=trainer_arguments(plan),
        train_dataset=train_data,
        eval_dataset=DatasetDict(evals) if evals else None,
        loss=losses,
        evaluator=plan.evaluator,
        callbacks=callbacks,
        group_by_length=plan.execution.group_by_length,  # the run's decided Execution (plan.py)
        # Per objective, in objective order; with one objective, trainer_arguments applies its settings.
        objective_batch_sizes=[o.spec.batch_size for o in plan.objectives] if several else None,
        batch_samplers=[batch_sampler_of(plan.config, o.spec) for o in plan.objectives],
        objective_weights=[o.spec.weight for o in plan.objectives] if several else None,
        mixing=plan.config.mixing,
        token_ids=plan.execution.token_ids,
    )


@main_only
def _log_padding(plan: Plan, trainer) -> None:
    logger.info("padding: %s", describe_padding(trainer, [o.name for o in plan.objectives]))
