"""One trial = one normal run in `<sweep run dir>/trials/NNN/`, with the trial's values written into the config.

The trial's config is the sweep's config (the `sweep:` block left out) with each suggested value at its key path,
validated by the same loader as any config before anything trains, so `embedding train --config
trials/NNN/config.resolved.yaml` repeats it. The evaluator's value at each evaluation goes to the pruner; a pruned
trial stops at that evaluation and keeps its run dir (logs, checkpoints, report.md). A trial that fails by its
values (NaN stop, a combination the schema could not see, out of memory) is recorded with its message.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import socket
import time
from pathlib import Path
from typing import Any

import optuna
from transformers import TrainerCallback

from ..errors import Interrupted, UserError
from ..training.rundir.outputs import write_run_report
from ..validation import validate_mapping
from ..validation.sweep import with_value
from .metric import metric_key, task_scores

OUTPUT_LOG = "output.log"


class TrialFailed(Exception):
    """A trial that failed by its own values: recorded as failed with its message, the sweep goes on."""


def trial_config(base: dict[str, Any], values: dict[str, Any], trials_dir: Path, name: str) -> dict[str, Any]:
    """The sweep's config with the trial's values, run in trials_dir/name."""
    data = copy.deepcopy(base)
    for key, value in values.items():
        data = with_value(data, key, value)
    return {**data, "output_dir": str(trials_dir), "run_name": name}


def suggest(trial: optuna.Trial, space: dict[str, Any]) -> dict[str, Any]:
    """The trial's values from Optuna's sampler, in the order of the `parameters` block."""
    values = {}
    for key, param in space.items():
        if param.type == "categorical":
            values[key] = trial.suggest_categorical(key, param.choices)
        elif param.type == "int":
            values[key] = trial.suggest_int(key, param.low, param.high, step=param.step, log=param.log)
        else:
            values[key] = trial.suggest_float(key, param.low, param.high, step=param.step, log=param.log)
    return values


class ReportToPruner(TrainerCallback):
    """Each evaluation's metric goes to the trial (its intermediate values); a pruned trial stops right there."""

    def __init__(self, trial: optuna.Trial, metric: str, run_dir: Path):
        self.trial, self.metric, self.run_dir = trial, metric, run_dir
        self.key: str | None = None
        self.step = 0

    def on_step_end(self, args, state, control, **kwargs):
        self.step = state.global_step  # the trial's length, for the CPU time pruning saved (benchmarks/sweep.py)

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        self.key = self.key or metric_key(self.metric, metrics or {})
        value = float(metrics[f"eval_{self.key}"] if f"eval_{self.key}" in metrics else metrics[self.key])
        self.trial.report(value, state.global_step)
        # At its last step a trial has done its work: pruning it would only drop a finished result, maybe the best
        # (a 3-epoch trial's last value compared with the median of the others' values at that step).
        if state.global_step < state.max_steps and self.trial.should_prune():
            _log_event(self.run_dir, {"event": "pruned", "step": state.global_step, self.key: value})
            write_run_report(self.run_dir, None)
            raise optuna.TrialPruned(f"pruned at step {state.global_step} ({self.key} {value:.4f})")


def run_trial(trial: optuna.Trial, base: dict[str, Any], run_dir: Path, name: str, space, metric: str) -> float:
    """Train the trial's config; its validation metric (the objective's value). Records times and test scores."""
    from ..training.run import train

    values = suggest(trial, space)
    trial_dir = run_dir / "trials" / name
    trial.set_user_attr("dir", name)
    trial.set_user_attr("host", socket.gethostname())
    trial.set_user_attr("interrupted", False)  # a retry starts with the attributes of the trial it repeats
    try:
        config = validate_mapping(trial_config(base, values, run_dir / "trials", name), check_paths=True)
    except UserError as exc:
        raise _failed(trial, f"bad value combination: {exc}") from None
    pruning = ReportToPruner(trial, metric, trial_dir)
    resume = any(trial_dir.glob("checkpoint-*"))  # a retried trial continues from its newest checkpoint
    started, cpu = time.time(), time.process_time()
    try:
        with trial_output(trial_dir):
            result = train(config, resume=resume or None, overwrite=not resume, callbacks=[pruning])
    except optuna.TrialPruned:
        _times(trial, started, cpu)
        raise
    except (Interrupted, KeyboardInterrupt):
        trial.set_user_attr("interrupted", True)
        raise
    except UserError as exc:  # a NaN stop is a TrainingFault (not a UserError): below
        raise _failed(trial, str(exc)) from None
    except Exception as exc:  # NaN stop, out of memory, a library's error on these values: this trial's fault
        _times(trial, started, cpu)
        raise _failed(trial, f"{type(exc).__name__}: {exc}") from None
    _times(trial, started, cpu)
    key = pruning.key or metric_key(metric, result.after)
    trial.set_user_attr("metric", key)
    trial.set_user_attr("tasks", task_scores(result.task_rows))
    trial.set_user_attr("steps", pruning.step)
    return float(result.after[key])


def _failed(trial: optuna.Trial, message: str) -> TrialFailed:
    trial.set_user_attr("error", message[:2000])
    return TrialFailed(message)


def _times(trial: optuna.Trial, started: float, cpu: float) -> None:
    trial.set_user_attr("wall_s", round(time.time() - started, 2))
    trial.set_user_attr("cpu_s", round(time.process_time() - cpu, 2))


def _log_event(run_dir: Path, record: dict[str, Any]) -> None:
    record = {**record, "time": round(time.time(), 3)}
    with open(run_dir / "logs.jsonl", "a", encoding="utf-8") as log:
        log.write(json.dumps(record) + "\n")


@contextlib.contextmanager
def trial_output(trial_dir: Path):
    """The trial's terminal output (banner, progress, summary) goes to trials/NNN/output.log: the sweep prints
    one line per trial instead."""
    if os.environ.get("EMBEDDING_SWEEP_TRIAL_OUTPUT") == "show":
        yield
        return
    trial_dir.mkdir(parents=True, exist_ok=True)
    with open(trial_dir / OUTPUT_LOG, "a", encoding="utf-8") as out:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            yield
