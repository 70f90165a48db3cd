"""sweep.md in the sweep's run dir: the trials table, the best trial, and Optuna's plots (matplotlib).

Plots: optimization history, each parameter against the metric (slice plot), parameter importances. Test
scores (`evaluation.tasks`) are shown for every trial; the best is chosen on the validation metric alone.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

logger = logging.getLogger(__name__)

REPORT = "sweep.md"
STATE_NAMES = {TrialState.COMPLETE: "finished", TrialState.PRUNED: "pruned", TrialState.FAIL: "failed"}


def shown_trials(study: optuna.Study) -> list[FrozenTrial]:
    """Every trial but those that only found the budget spent; retried trials show once, as their retry."""
    trials = [t for t in study.get_trials(deepcopy=False) if not t.user_attrs.get("skipped")]
    retried = {n for t in trials for n in (t.system_attrs.get("retry_history") or [])}
    return [t for t in trials if t.number not in retried]


def trial_row(trial: FrozenTrial) -> dict[str, Any]:
    attrs = trial.user_attrs
    state = STATE_NAMES.get(trial.state, trial.state.name.lower())
    if trial.state == TrialState.FAIL and attrs.get("interrupted"):
        state = "interrupted"
    metric = f"{trial.value:.4f}" if trial.value is not None else ""
    if trial.state == TrialState.PRUNED and trial.intermediate_values:
        metric = f"({trial.intermediate_values[max(trial.intermediate_values)]:.4f})"
    seconds = attrs.get("wall_s")
    return {
        "number": trial.number,
        "trial": str(attrs.get("dir", f"{trial.number:03d}")),
        "state": state,
        "params": {k: (f"{v:.4g}" if isinstance(v, float) else str(v)) for k, v in trial.params.items()},
        "metric": metric,
        "tasks": {k: f"{v:.4f}" for k, v in (attrs.get("tasks") or {}).items()},
        "time": f"{seconds:.0f} s" if seconds is not None else "",
        "cpu_s": attrs.get("cpu_s"),
        "error": attrs.get("error", ""),
    }


def write_sweep_report(sweep, best: FrozenTrial | None) -> Path:
    study, run_dir = sweep.study, sweep.run_dir
    rows = [trial_row(t) for t in shown_trials(study)]
    tasks = sorted({k for r in rows for k in r["tasks"]})
    spec = sweep.config.sweep
    lines = [
        f"# Sweep `{sweep.config.run_name}`",
        "",
        f"{len(rows)} trials of {sweep.budget}; {spec.direction} validation `{spec.metric}`; sampler {spec.sampler}, "
        f"pruner {spec.pruner}; study in `{_shown_url(sweep.storage_url)}`.",
        "Test scores (`evaluation.tasks`) are reported for every trial and never used to choose.",
        "",
        "| trial | state | "
        + " | ".join(f"`{k}`" for k in sweep.space)
        + " | validation | "
        + "".join(f"{t} (test) | " for t in tasks)
        + "time | CPU s | note |",
        "|" + "---|" * (len(sweep.space) + len(tasks) + 6),
    ]
    for row in rows:
        mark = " **best**" if best is not None and row["number"] == best.number else ""
        cells = [row["trial"] + mark, row["state"], *(row["params"].get(k, "") for k in sweep.space), row["metric"]]
        cells += [row["tasks"].get(t, "") for t in tasks] + [row["time"], str(row["cpu_s"] or ""), _note(row)]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", *_best_section(sweep, best), "", *_plots(study, run_dir)]
    path = run_dir / REPORT
    partial = path.with_name(f".{REPORT}.{os.getpid()}")
    partial.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(partial, path)
    return path


def _note(row: dict[str, Any]) -> str:
    return row["error"].replace("|", "/").replace("\n", " ")[:200]


def _shown_url(url: str) -> str:
    """The storage without its password."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        return f"{scheme}://{credentials.split(':', 1)[0]}@{host}"
    return url


def _best_section(sweep, best: FrozenTrial | None) -> list[str]:
    if best is None:
        return ["## Best trial", "", "No trial finished."]
    params = "\n".join(f"- `{k}`: {v}" for k, v in best.params.items())
    return [
        "## Best trial",
        "",
        f"Trial {best.user_attrs.get('dir', best.number)}: validation {best.value:.4f}.",
        "",
        params,
        "",
        "The model is in `best/`; `best.yaml` is a plain training config that trains it again: "
        f"`embedding train --config {sweep.run_dir / 'best.yaml'}`.",
    ]


def _plots(study: optuna.Study, run_dir: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from optuna.visualization import matplotlib as plots

    lines = ["## Plots", ""]
    for name, title, draw in (
        ("sweep_history.png", "Optimization history", plots.plot_optimization_history),
        ("sweep_params.png", "Each parameter against the metric", plots.plot_slice),
        ("sweep_importances.png", "Parameter importances (Optuna, fANOVA)", plots.plot_param_importances),
    ):
        try:
            with warnings.catch_warnings():  # experimental-API and empty-legend notices: not the user's concern
                warnings.simplefilter("ignore")
                draw(study)
            plt.gcf().set_size_inches(10, 5)
            plt.savefig(run_dir / name, bbox_inches="tight", dpi=90)
            lines += [f"### {title}", "", f"![{title}]({name})", ""]
        except Exception as exc:  # e.g. importances need two finished trials with different values
            logger.debug("%s not drawn: %s", name, exc)
            lines += [f"### {title}", "", f"(not drawn: {exc})", ""]
        finally:
            plt.close("all")
    return lines
