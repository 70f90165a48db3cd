"""`embedding sweep`: open the study, run trials until the budget is spent, then report the best.

Each process takes the next trial from the study (Optuna hands every trial to one process), so any number of
processes on any machines work on one study when it lives in a shared storage; the budget (`sweep.trials`) is
counted in the study, once, whoever ran what (study.counts).
"""

from __future__ import annotations

import logging
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import TrialState

from ..config.load import apply_overrides, read_config_file
from ..config.schema import TrainConfig
from ..errors import Interrupted, UserError
from ..training.rundir.lock import acquire
from ..validation import load_config
from . import study as studies
from .outputs import after_trial, finish
from .progress import print_trial
from .trial import TrialFailed, run_trial

WORKER_ENV = "EMBEDDING_SWEEP_WORKER"  # set by --workers: 1..N, each worker's sampler its own seed
# A worker silent for 3x this many seconds is taken as dead and its trial is queued again (tests shorten it).
HEARTBEAT_S = int(os.environ.get("EMBEDDING_SWEEP_HEARTBEAT_S", "10"))


class BudgetSpent(Exception):
    """Another process took the last place of the budget while this trial was being created."""


@dataclass
class Sweep:
    config: TrainConfig
    base: dict[str, Any]  # the config as written, `sweep:` left out: each trial's values go into a copy
    run_dir: Path
    budget: int
    storage_url: str
    shared: bool
    command: str
    study: optuna.Study | None = None
    space: dict[str, Any] = field(default_factory=dict)


def prepare(config_path: str, overrides: list[str], trials: int | None, storage: str | None) -> Sweep:
    config = load_config(config_path, overrides)
    if config.sweep is None:
        raise UserError(
            f"{config_path} has no `sweep:` block; add one (metric, parameters: docs/sweeps.md) or train it once "
            "with `embedding train`"
        )
    if trials is not None and trials < 1:
        raise UserError(f"--trials {trials}: give a number >= 1")
    raw = apply_overrides(read_config_file(config_path), overrides)
    run_dir = Path(config.output_dir) / config.run_name
    url = storage or config.sweep.storage
    sets = "".join(f" --set {o}" for o in overrides)
    return Sweep(
        config=config,
        base={k: v for k, v in raw.items() if k != "sweep"},
        run_dir=run_dir,
        budget=trials or config.sweep.trials,
        storage_url=studies.storage_url(url, run_dir),
        shared=studies.shared(url),
        command=f"embedding sweep --config {config_path}{sets}" + (f" --storage {storage}" if storage else ""),
        space=config.sweep.space(),
    )


def open_sweep(sweep: Sweep, *, resume: bool, worker: bool) -> None:
    """Lock the run dir (its own SQLite study: one sweep at a time), open the study, queue stopped trials again."""
    run_dir = sweep.run_dir
    if not sweep.shared and not worker:
        refusal = acquire(run_dir)
        if refusal:
            raise UserError(f"{refusal}; two sweeps share one run dir only through a shared `--storage`")
        if (run_dir / studies.STUDY_FILE).exists() and not resume:
            raise UserError(
                f"run dir {run_dir} already holds a sweep; pass --resume to continue it, or choose another run_name"
            )
    run_dir.mkdir(parents=True, exist_ok=True)
    optuna.logging.set_verbosity(optuna.logging.ERROR)  # one line per trial is ours (progress.py)
    storage = studies.make_storage(sweep.storage_url, HEARTBEAT_S)
    index = int(os.environ.get(WORKER_ENV, "0")) or (os.getpid() if sweep.shared else 0)
    sweep.study = studies.open_study(sweep.config, sweep.config.run_name, storage, worker=index)
    if resume and not sweep.shared and not worker:
        _requeue_stopped(sweep.study, storage)


def _requeue_stopped(study: optuna.Study, storage) -> None:
    """--resume of the run dir's own study: a trial left running died with its process (we hold the lock)."""
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        storage.set_trial_user_attr(trial._trial_id, "interrupted", True)
        storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
    _requeue_interrupted(study)


def _requeue_interrupted(study: optuna.Study) -> None:
    done = studies.requeued(study)
    for trial in study.get_trials(deepcopy=False, states=(TrialState.FAIL,)):
        if trial.user_attrs.get("interrupted") and trial.number not in done:
            studies.requeue(study, trial)


def objective(sweep: Sweep):
    def run(trial: optuna.Trial) -> float:
        if studies.used(sweep.study, before=trial.number) >= sweep.budget:
            trial.set_user_attr("skipped", "the budget was spent by other workers")
            sweep.study.stop()
            raise BudgetSpent
        frozen = next(t for t in sweep.study.get_trials(deepcopy=False) if t.number == trial.number)
        name = studies.trial_dir_name(frozen)
        return run_trial(trial, sweep.base, sweep.run_dir, name, sweep.space, sweep.config.sweep.metric)

    return run


def work(sweep: Sweep) -> None:
    """Run trials until the budget is spent; then wait for the other workers' trials (a dead one's is run again)."""
    study = sweep.study
    heartbeat = optuna.storages.fail_stale_trials  # a no-op for storages without heartbeats
    while True:
        trials = study.get_trials(deepcopy=False)
        if any(t.state == TrialState.WAITING for t in trials) or studies.used(study) < sweep.budget:
            study.optimize(
                objective(sweep),
                n_trials=1,
                catch=(TrialFailed, BudgetSpent),
                callbacks=[lambda s, t: print_trial(s, t, sweep.budget), lambda s, t: after_trial(sweep, t)],
            )
            continue
        if not any(t.state == TrialState.RUNNING for t in trials) or not _has_heartbeat(study):
            return
        time.sleep(HEARTBEAT_S / 2)
        heartbeat(study)


def _has_heartbeat(study: optuna.Study) -> bool:
    """Whether a dead worker's trial is failed by heartbeat (so waiting for running trials ends). The study's
    storage is Optuna's cache around the RDBStorage, not the RDBStorage itself: ask Optuna, not isinstance."""
    from optuna.storages._heartbeat import is_heartbeat_enabled

    return is_heartbeat_enabled(study._storage)


def run_sweep(
    config_path: str,
    overrides: list[str],
    *,
    trials: int | None = None,
    storage: str | None = None,
    resume: bool = False,
    worker: bool = False,
    workers: int = 1,
    worker_argv: list[str] | None = None,
) -> int:
    """One sweep process: the trials it takes, then (unless it is one of `--workers`) the report and best/.

    With `workers` > 1 this process only prepares the study and the run dir, starts the workers
    (`worker_argv` + `--worker`), waits for them and writes the report.
    """
    sweep = prepare(config_path, overrides, trials, storage)
    open_sweep(sweep, resume=resume, worker=worker)
    if workers > 1:
        from .workers import run_workers

        code = run_workers(worker_argv or [], workers)
        if code in (130, 143):
            print(f"sweep stopped. Continue with: {sweep.command} --resume", flush=True)
            return code
        return finish(sweep) or code
    previous = signal.signal(signal.SIGTERM, _raise_interrupted)
    try:
        work(sweep)
    except (Interrupted, KeyboardInterrupt) as exc:
        return stopped(sweep, exc)
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0 if worker else finish(sweep)


def _raise_interrupted(signum, frame):
    raise Interrupted(signum, 0)


def stopped(sweep: Sweep, exc: BaseException) -> int:
    """Ctrl-C / SIGTERM: the running trial is marked failed (interrupted) and queued to run again."""
    code = getattr(exc, "exit_code", 130)
    _requeue_interrupted(sweep.study)
    name = signal.Signals(code - 128).name if code > 128 else "SIGINT"
    print(
        f"sweep stopped by {name}: the trial that was running will run again (from its checkpoint where it has "
        f"one). Continue with: {sweep.command} --resume",
        flush=True,
    )
    logging.getLogger(__name__).info("sweep %s stopped by %s", sweep.run_dir, name)
    return code
