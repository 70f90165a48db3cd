"""Training progress: one line per log event off a terminal; on a terminal one bar with the losses in it.

transformers' own bar writes every log event above itself as a raw dict (`{'loss': '9.815', ...}`); `QuietBar`
keeps the bar and drops those, and `ProgressLines` writes one readable line per evaluation instead.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from transformers import TrainerCallback
from transformers.trainer_callback import ProgressCallback

from ...report.objective_losses import SmoothedLosses


class QuietBar(ProgressCallback):
    """transformers' training bar without the raw log dicts and without a second bar at each evaluation."""

    def on_log(self, args, state, control, logs=None, **kwargs):
        return None

    def on_prediction_step(self, args, state, control, eval_dataloader=None, **kwargs):
        return None  # the evaluation's own line (ProgressLines) says when it is done


def _duration(seconds: float) -> str:
    seconds = int(max(0, seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class ProgressLines(TrainerCallback):
    """One line per log event (step/total, loss, lr, eval metric, ETA) — or, given a tqdm bar owner, the
    latest loss in that bar's postfix instead. With several objectives the loss is shown as the combined value
    and each objective's smoothed loss.

    Args:
        metric: the evaluator metric to show (without `eval_`), e.g. `cosine_ndcg@10`.
        bar: the trainer's ProgressCallback on a terminal; None prints lines.
        objectives: how many objectives train (several: the loss is labelled combined from the start).
    """

    def __init__(self, metric: str | None = None, bar=None, objectives: int = 1):
        self.metric = metric.removeprefix("eval_") if metric else None
        self.bar = bar
        self.started = time.time()
        self.first_step = 0
        self.losses = SmoothedLosses()
        self.several = objectives > 1  # label the loss `combined` from the first step on

    def on_train_begin(self, args, state, control, **kwargs):
        self.started, self.first_step = time.time(), state.global_step  # a resumed run starts mid-way

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not state.is_world_process_zero or not logs:
            return
        if self.bar is not None:
            training_bar = getattr(self.bar, "training_bar", None)
            if training_bar is not None and "loss" in logs:
                losses = self.losses.update(logs)
                postfix = {"combined": f"{logs['loss']:.4f}"} | {
                    f"{k} (smoothed)": f"{v:.4f}" for k, v in losses.items()
                }
                several = bool(losses) and (self.several or len(losses) > 1)
                training_bar.set_postfix(postfix if several else {"loss": postfix["combined"]}, refresh=False)
            elif any(k.startswith("eval_") for k in logs) or "train_runtime" in logs:
                write = training_bar.write if training_bar is not None else print
                write(self.line(state, logs))  # above the bar, which stays at the bottom
            return
        print(self.line(state, logs), file=sys.stdout, flush=True)

    def line(self, state, logs: dict[str, Any]) -> str:
        step, total = state.global_step, state.max_steps
        if "train_runtime" in logs:
            return f"done: {step}/{total} steps in {_duration(logs['train_runtime'])}" + (
                f", mean loss {logs['train_loss']:.4f}" if "train_loss" in logs else ""
            )
        parts = [f"step {step}/{total}" + (f" ({step / total:.0%})" if total else "")]
        evaluation = any(k.startswith("eval_") for k in logs)
        if evaluation:
            parts[0] = "eval " + parts[0]
            if self.metric and f"eval_{self.metric}" in logs:
                parts.append(f"{self.metric} {logs[f'eval_{self.metric}']:.4f}")
            parts += [
                f"{k[5:]} {v:.4f}"
                for k, v in logs.items()
                if k.startswith("eval_") and k.endswith("loss") and isinstance(v, (int, float))
            ]
        if "loss" in logs:
            losses = self.losses.update(logs)
            if losses and (self.several or len(losses) > 1):  # one objective: its loss is the combined loss
                parts.append(f"loss combined {logs['loss']:.4f}")
                parts += [f"{name} (smoothed) {value:.4f}" for name, value in losses.items()]
            else:
                parts.append(f"loss {logs['loss']:.4f}")
        if "learning_rate" in logs:
            parts.append(f"lr {logs['learning_rate']:.2e}")
        done = step - self.first_step
        if total and 0 < done and step < total:
            parts.append(f"ETA {_duration((time.time() - self.started) / done * (total - step))}")
        return " | ".join(parts)
