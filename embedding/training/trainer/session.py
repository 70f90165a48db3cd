"""One training session: the trainer and the callbacks that watch it; `fit` trains and turns a stop into a fault.

A NaN/inf loss or gradient norm stops training (NaNGuard) without saving a checkpoint, and no checkpoint is saved
with NaN/inf weights (run_trainer.RunTrainer), so the last good one stays; SIGINT/SIGTERM stops it after a
checkpoint (InterruptHandler). Either way the event goes to logs.jsonl and report.md is written for what was
trained, then errors.TrainingFault (exit 4) or errors.Interrupted (130/143) tells the caller.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...errors import Interrupted, TrainingFault
from ..plan import Plan
from ..rundir.checkpoints import newest_usable
from ..rundir.outputs import write_run_report
from .callbacks import ResumeNotice

if TYPE_CHECKING:
    from .callbacks import InterruptHandler, JSONLLogger, NaNGuard


@dataclass
class Session:
    plan: Plan
    trainer: Any  # run_trainer.RunTrainer, built with the callbacks below
    log: JSONLLogger
    interrupt: InterruptHandler
    guard: NaNGuard
    config_path: str | None = None  # the config file, for report.md
    started: float = field(default_factory=time.time)  # reset when training starts

    @property
    def run_dir(self) -> Path:
        return self.plan.run_dir


def fit(session: Session, checkpoint: Path | None, resume_hint: str, restart_hint: str) -> dict[str, Any]:
    """Train, from `checkpoint` when given; the trainer's metrics (train_runtime, train_loss, ...).

    Raises:
        TrainingFault: a NaN/inf loss, gradient norm or weight stopped training; `restart_hint` is the command to
            start over with (a resume may not change the learning rate, and would meet the same NaN).
        Interrupted: SIGINT/SIGTERM stopped training after a checkpoint; `resume_hint` is the command to continue.
    """
    session.started = time.time()
    if checkpoint is not None:
        session.trainer.add_callback(ResumeNotice(checkpoint, session.log))
    session.interrupt.install()
    try:
        output = session.trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    finally:
        session.interrupt.uninstall()
    _stop_on_non_finite(session, restart_hint)
    _stop_on_signal(session, resume_hint)
    return dict(output.metrics)


def _stop_on_non_finite(session: Session, restart_hint: str) -> None:
    fault = session.guard.fault or session.trainer.non_finite_weights
    if fault is None:
        return
    session.log.write({"event": "non_finite", "step": fault.step, "objective": fault.objective, "what": fault.what})
    write_run_report(session.run_dir, session.config_path)
    kept = newest_usable(session.run_dir)
    saved = f"The last good checkpoint ({kept.name}, finite weights) is kept" if kept else "No checkpoint was saved"
    raise TrainingFault(
        f"{fault}; training stopped. {saved} in {session.run_dir}. Lower args.learning_rate or check the "
        f"objective's data, then start over: {restart_hint}"
    )


def _stop_on_signal(session: Session, resume_hint: str) -> None:
    if session.interrupt.signum is None:
        return
    stopped = Interrupted(session.interrupt.signum, session.trainer.state.global_step)
    session.log.write({"event": "interrupted", "step": stopped.step, "resume": resume_hint})
    write_run_report(session.run_dir, session.config_path)
    print(f"{stopped}; checkpoint saved in {session.run_dir}. Resume with: {resume_hint}", flush=True)
    raise stopped
