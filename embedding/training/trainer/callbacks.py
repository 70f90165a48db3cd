"""Trainer callbacks: JSONL training log, resource monitor, SIGINT/SIGTERM handling, NaN/inf guard, the checkpoint
where training ends, the resume notice.

Only the main process writes.
"""

from __future__ import annotations

import json
import math
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import torch
from transformers import TrainerCallback

from ...safe_files import open_append, scrub
from ..distributed.coordination import is_main


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


class JSONLLogger(TrainerCallback):
    """One JSON object per log event, appended (never truncated, so a resumed run keeps its history), flushed."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def write(self, record: dict[str, Any]) -> None:
        if not is_main():
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open_append(self.path) as handle:  # never through a planted link (safe_files)
            handle.write(scrub(json.dumps({k: _jsonable(v) for k, v in record.items()}, ensure_ascii=False)) + "\n")

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not state.is_world_process_zero or not logs:
            return
        self.write({**logs, "step": state.global_step, "epoch": state.epoch, "time": round(time.time(), 3)})


class ResourceMonitor(TrainerCallback):
    """Process RSS (and GPU memory where CUDA exists) at every log event, in resources.jsonl."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def snapshot(self) -> dict[str, Any]:
        rss = psutil.Process().memory_info().rss
        record: dict[str, Any] = {
            "used_memory_mb": round(rss / 2**20, 2),
            "used_memory_percentage": round(100 * rss / psutil.virtual_memory().total, 2),
        }
        if torch.cuda.is_available():  # the torch.cuda memory calls fail on machines without CUDA
            device = torch.cuda.current_device()
            reserved = torch.cuda.memory_reserved(device)
            record["used_vram_mb"] = round(reserved / 2**20, 2)
            record["max_allocated_vram_mb"] = round(torch.cuda.max_memory_allocated(device) / 2**20, 2)
            record["used_vram_percentage"] = round(
                100 * reserved / torch.cuda.get_device_properties(device).total_memory, 2
            )
        return record

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not state.is_world_process_zero:
            return
        record = {"step": state.global_step, "epoch": state.epoch, **self.snapshot()}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open_append(self.path) as handle:  # never through a planted link (safe_files)
            handle.write(json.dumps(record) + "\n")


class InterruptHandler(TrainerCallback):
    """SIGINT/SIGTERM: finish the current step, save a checkpoint, stop. A second signal kills at once."""

    def __init__(self):
        self.signum: int | None = None
        self._previous: dict[int, Any] = {}

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._previous[signum] = signal.signal(signum, self._handle)

    def uninstall(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    def _handle(self, signum, frame) -> None:
        if self.signum is not None:  # second signal: the user really wants out
            self.uninstall()
            raise KeyboardInterrupt
        self.signum = signum

    def on_step_end(self, args, state, control, **kwargs):
        if self.signum is not None:
            control.should_save = True  # even with save_strategy: no, so that --resume can continue
            control.should_training_stop = True


@dataclass(frozen=True)
class NonFiniteLoss:
    """Where training met a NaN/inf: the run turns it into errors.TrainingFault once the trainer has stopped."""

    step: int
    objective: str
    what: str

    def __str__(self) -> str:
        where = f" (objective `{self.objective}`)" if self.objective != "all" else ""
        return f"step {self.step}: {self.what} is not finite{where}"


class NaNGuard(TrainerCallback):
    """Stop on a NaN/inf loss or gradient norm, naming the step and objective; the last good checkpoint stays.

    The trainer's own logging replaces non-finite losses by the running mean (`logging_nan_inf_filter`), so the
    losses are watched directly with forward hooks. The check accumulates a device flag and reads it only at
    log events, so it adds no per-step host synchronisation.
    """

    def __init__(self):
        self.bad: dict[str, Any] = {}
        self.fault: NonFiniteLoss | None = None

    def watch(self, name: str, loss_module) -> None:
        def hook(module, inputs, output):
            values = output.values() if isinstance(output, dict) else [output]
            finite = torch.stack([torch.isfinite(v.detach()).all() for v in values]).all()
            self.bad[name] = ~finite if name not in self.bad else (self.bad[name] | ~finite)

        loss_module.register_forward_hook(hook)

    def on_step_end(self, args, state, control, **kwargs):
        due = control.should_save or control.should_log or control.should_evaluate or control.should_training_stop
        if not due and state.global_step % max(1, int(args.logging_steps or 1)) != 0:
            return  # read the device flag only when something is about to be written
        for name, flag in list(self.bad.items()):
            if bool(flag):
                self.fault = NonFiniteLoss(state.global_step, name, "the loss")
                control.should_save = False
                control.should_training_stop = True
                control.should_evaluate = False
            self.bad.pop(name)

    def on_log(self, args, state, control, logs=None, **kwargs):
        grad = (logs or {}).get("grad_norm")
        if isinstance(grad, float) and not math.isfinite(grad) and self.fault is None:
            self.fault = NonFiniteLoss(state.global_step, "all", "the gradient norm")
            control.should_save = False
            control.should_training_stop = True


class FinalCheckpoint(TrainerCallback):
    """Save a checkpoint where training ends (max_steps, early stopping), also when that step is no save step.

    A run killed while it writes the final model or evaluates it afterwards then resumes from there and only
    finishes (run_trainer.RunTrainer._run_epoch): the same weights as without the kill. Not after a NaN/inf, which
    `guard` vetoes. Goes after the guard and early stopping in the callback list: it reads what they decided.
    """

    def __init__(self, guard: NaNGuard):
        self.guard = guard

    def on_step_end(self, args, state, control, **kwargs):
        if args.save_strategy != "epoch":  # epoch saves: the trainer saves when the cut-short epoch ends anyway
            self._save_if_ending(control)

    def on_evaluate(self, args, state, control, **kwargs):
        self._save_if_ending(control)

    def _save_if_ending(self, control) -> None:
        if control.should_training_stop and self.guard.fault is None:
            control.should_save = True


class ResumeNotice(TrainerCallback):
    """Say where a resumed run continues: `resuming from checkpoint-N (step N of M)`, printed and in logs.jsonl."""

    def __init__(self, checkpoint: Path, log: JSONLLogger):
        self.checkpoint, self.log = Path(checkpoint), log

    def on_train_begin(self, args, state, control, **kwargs):
        if not state.is_world_process_zero:
            return
        line = f"resuming from {self.checkpoint.name} (step {state.global_step} of {state.max_steps})"
        if state.global_step >= state.max_steps:
            line += ": training is complete; writing the final model, its evaluation, the card and the report"
        print(line, flush=True)
        self.log.write(
            {"event": "resume", "checkpoint": str(self.checkpoint), "step": state.global_step, "of": state.max_steps}
        )
