"""What a sweep prints: one line per trial as it ends, and at the end the table of trials and the best config."""

from __future__ import annotations

import sys

from optuna.trial import FrozenTrial, TrialState
from rich.console import Console
from rich.table import Table

from .report import shown_trials, trial_row
from .study import counts

STATES = {TrialState.COMPLETE: "finished", TrialState.PRUNED: "pruned", TrialState.FAIL: "failed"}


def params_text(params: dict) -> str:
    return ", ".join(f"{key}={_value(value)}" for key, value in params.items())


def _value(value) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def print_trial(study, trial: FrozenTrial, budget: int) -> None:
    """`trial 003 [4/16] finished | args.learning_rate=0.0001 | cosine_ndcg@10 0.6123 | 12 s`."""
    if trial.user_attrs.get("skipped"):
        return
    row = trial_row(trial)
    done = sum(counts(t) and t.state in STATES for t in study.get_trials(deepcopy=False))
    state = STATES.get(trial.state, trial.state.name.lower())
    metric = row["metric"]
    if trial.state == TrialState.PRUNED and trial.intermediate_values:
        step = max(trial.intermediate_values)
        state += f" at step {step}"
        metric = f"{trial.intermediate_values[step]:.4f} (last evaluation)"
    parts = [f"trial {row['trial']} [{done}/{budget}] {state}", params_text(trial.params) or "-"]
    if trial.state == TrialState.FAIL:
        parts.append(str(trial.user_attrs.get("error", "interrupted" if trial.user_attrs.get("interrupted") else "")))
    else:
        parts.append(f"{trial.user_attrs.get('metric', 'metric')} {metric}")
    parts.append(f"{row['time']}")
    print(" | ".join(p for p in parts if p), flush=True)


def print_table(sweep, best: FrozenTrial | None, best_here: bool, report) -> None:
    console = Console() if sys.stdout.isatty() else Console(width=200)
    table = Table(title=f"sweep {sweep.config.run_name}: {sweep.config.sweep.direction} validation metric")
    rows = [trial_row(t) for t in shown_trials(sweep.study)]
    tasks = sorted({k for r in rows for k in r["tasks"]})
    for column in ["trial", "state", *sweep.space, "validation", *(f"{t} (test)" for t in tasks), "time"]:
        table.add_column(column, overflow="fold")
    for row in rows:
        mark = " *" if best is not None and row["number"] == best.number else ""
        params = [row["params"].get(k, "") for k in sweep.space]
        scores = [row["tasks"].get(k, "") for k in tasks]
        table.add_row(row["trial"] + mark, row["state"], *params, row["metric"], *scores, row["time"])
    console.print(table)
    if best is None:
        console.print("no trial finished: nothing to choose from (see the failed trials' messages above)")
        return
    run_dir = sweep.run_dir
    name = trial_row(best)["trial"]
    console.print(f"best trial {name}: {params_text(best.params)} -> {best.value:.4f}", soft_wrap=True)
    model = run_dir / "best" if best_here else f"trials/{name}/final on {best.user_attrs.get('host')}"
    console.print(f"best model: {model}; best config: {run_dir / 'best.yaml'}; report: {report}", soft_wrap=True)
