"""One training session: the trainer and the callbacks that watch it; `fit` trains and turns a stop into a fault.

A NaN/inf loss or gradient norm stops training (NaNGuard) without saving a checkpoint, so the last good one stays;
SIGINT/SIGTERM stops it after a checkpoint (InterruptHandler). Either way the event goes to logs.jsonl and
report.md is written for what was trained, then errors.TrainingFault (exit 4) or errors.Interrupted (130/143)
tells the caller.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import Interrupted, TrainingFault
from .outputs import write_run_report
from .plan import Plan

if TYPE_CHECKING:
    from .callbacks import InterruptHandler, JSONLLogger, NaNGuard


@dataclass
class Session:
    plan: Plan
    trainer: Any  # trainer.EmbeddingTrainer, built with the callbacks below
    log: JSONLLogger
    interrupt: InterruptHandler
    guard: NaNGuard
    config_path: str | None = None  # the config file, for report.md
    started: float = field(default_factory=time.time)  # reset when training starts

    @property
    def run_dir(self) -> Path:
        return self.plan.run_dir


def fit(session: Session, checkpoint: Path | None, resume_hint: str) -> dict[str, Any]:
    """Train, from `checkpoint` when given; the trainer's metrics (train_runtime, train_loss, ...).

    Raises:
        TrainingFault: a NaN/inf loss or gradient norm stopped training.
        Interrupted: SIGINT/SIGTERM stopped training after a checkpoint; `resume_hint` is the command to continue.
    """
    session.started = time.time()
    session.interrupt.install()
    try:
        output = session.trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    finally:
        session.interrupt.uninstall()
    _stop_on_non_finite(session)
    _stop_on_signal(session, resume_hint)
    return dict(output.metrics)


def _stop_on_non_finite(session: Session) -> None:
    fault = session.guard.fault
    if fault is None:
        return
    session.log.write({"event": "non_finite", "step": fault.step, "objective": fault.objective})
    write_run_report(session.run_dir, session.config_path)
    raise TrainingFault(
        f"{fault}; training stopped. The last good checkpoint is kept in {session.run_dir}; "
        "lower args.learning_rate or check the objective's data, then --resume"
    )


def _stop_on_signal(session: Session, resume_hint: str) -> None:
    if session.interrupt.signum is None:
        return
    stopped = Interrupted(session.interrupt.signum, session.trainer.state.global_step)
    session.log.write({"event": "interrupted", "step": stopped.step, "resume": resume_hint})
    write_run_report(session.run_dir, session.config_path)
    print(f"{stopped}; checkpoint saved in {session.run_dir}. Resume with: {resume_hint}", flush=True)
    raise stopped
