"""Compose report.md from a run dir and draw its plots next to it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from . import plots
from .rundir import RunData, flat_metrics, load_run

PLOTS = {  # file name -> (section title, what it shows)
    "loss.png": ("Training loss", "per objective and loss component; dashed: the objective's validation loss"),
    "eval_metrics.png": ("Evaluator metrics during training", "one panel per metric family"),
    "before_after.png": ("Before and after training", "the evaluator on the base model and on the final model"),
    "matryoshka.png": ("Per Matryoshka dimension", "the same, with embeddings truncated to each size"),
    "resources.png": ("Memory", "process RSS (and GPU memory when recorded) at each log event"),
}


def _when(seconds: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(seconds)) if seconds else "-"


def _duration(seconds: Any) -> str:
    if not isinstance(seconds, (int, float)):
        return "-"
    minutes, secs = divmod(float(seconds), 60)
    return f"{int(minutes)} min {secs:.0f} s" if minutes else f"{secs:.1f} s"


def _status(run: RunData) -> str:
    for record in reversed(run.logs):
        event = record.get("event")
        if event == "run_end":
            return "finished"
        if event == "interrupted":
            return f"interrupted at step {record.get('step')} (resume: `{record.get('resume', '--resume')}`)"
        if event == "non_finite":
            return f"stopped at step {record.get('step')}: non-finite loss (objective `{record.get('objective')}`)"
    return "incomplete: no end event (still running, or the process died)"


def _objective_rows(config: dict[str, Any]) -> list[str]:
    from ..config.checks import objective_default_name

    objectives = [o for o in config.get("objectives") or [] if isinstance(o, dict)]
    lines = ["| objective | type | training data | loss | weight | Matryoshka dims |", "|---|---|---|---|---:|---|"]
    for i, obj in enumerate(objectives):
        train = (obj.get("datasets") or {}).get("train") or {}
        split = (train.get("args") or {}).get("split")
        dims = (obj.get("matryoshka") or {}).get("matryoshka_dims")
        loss = obj.get("loss") or ("ranking" if obj.get("type") == "contrastive" else "cosine")
        extras = [name for name in ("distillation", "variation_penalty") if obj.get(name)]
        lines.append(
            f"| {objective_default_name(objectives, i)} | {obj.get('type', '-')} | "
            f"`{train.get('name', '-')}`{f' [{split}]' if split else ''} | "
            f"{' + '.join([loss, *extras])} | {obj.get('weight', 1.0)} | {dims or '-'} |"
        )
    return lines


def _loss_summary(run: RunData) -> list[str]:
    keys = sorted({k for r in run.train_events for k in r if k.startswith("loss/")}) or ["loss"]
    lines = ["| loss | first | last | points |", "|---|---:|---:|---:|"]
    for key in keys:
        values = [r[key] for r in run.train_events if isinstance(r.get(key), (int, float))]
        if values:
            lines.append(f"| {key} | {values[0]:.4f} | {values[-1]:.4f} | {len(values)} |")
    return lines if len(lines) > 2 else []


def _metrics(run: RunData) -> tuple[dict[str, float], dict[str, float], str | None, str]:
    """(before, after, main metric, where the numbers come from)."""
    evaluation = run.evaluation or {}
    before, after = flat_metrics(evaluation.get("before")), flat_metrics(evaluation.get("after"))
    main = evaluation.get("main_metric") or (run.config.get("args") or {}).get("metric_for_best_model")
    if after or before:
        return before, after, main, "evaluation.json (evaluator on the base model and on the final model)"
    last = next((r for r in reversed(run.eval_events)), None)
    if last is None:
        return {}, {}, main, ""
    metrics = {
        k[5:]: v
        for k, v in last.items()
        if k.startswith("eval_") and isinstance(v, (int, float)) and not plots.SKIP_EVAL.search(k)
    }
    return {}, metrics, main, f"last evaluation during training (step {last.get('step')}); no evaluation.json"


def _task_lines(rows: list[dict[str, Any]]) -> list[str]:
    """A markdown before/after table of the `evaluation.tasks` rows stored in evaluation.json."""
    from ..evaluation.results import ResultRow
    from ..evaluation.table import comparison_rows, short

    try:
        models, lines = comparison_rows([ResultRow(**row) for row in rows])
    except TypeError:  # rows of another version: the JSON keeps them, the report skips them
        return []
    out = [
        "| task | dataset | split | dim | metric | "
        + " | ".join(models)
        + (" | change |" if len(models) == 2 else " |"),
        "|---|---|---|---|---|" + "---:|" * (len(models) + (len(models) == 2)),
    ]
    for task, dataset, split, dim, metric, *cells in lines:
        values = ["" if c is None else f"{c:.4f}" for c in cells]
        if len(cells) == 2:
            values.append("" if None in cells else f"{cells[1] - cells[0]:+.4f}")
        out.append(
            f"| {task} | {short(dataset)} | {split} | {'full' if dim is None else dim} | {metric} | "
            + " | ".join(values)
            + " |"
        )
    return out


def write_report(run_dir: str | Path, *, config_path: str | None = None) -> Path:
    """Write `report.md` and its PNG plots into a run dir.

    Args:
        run_dir: the run's folder (output_dir/run_name).
        config_path: the config file the run was started from, when known (else a run_start event's
            `config_path` in logs.jsonl, else only config.resolved.yaml is named).

    Returns:
        The path of report.md.

    Raises:
        UserError: the folder is not a run dir (names what is missing).
    """
    from ..training.card import metrics_table

    run = load_run(run_dir)
    out = run.run_dir
    start = next(iter(run.events("run_start")), {})
    config_path = config_path or start.get("config_path")
    before, after, main, source = _metrics(run)
    for name in PLOTS:  # a regenerated report never links a stale plot
        (out / name).unlink(missing_ok=True)
    drawn = [
        p.name
        for p in (
            plots.plot_losses(run, out / "loss.png"),
            plots.plot_eval_metrics(run, out / "eval_metrics.png", main),
            plots.plot_before_after(before, after, out / "before_after.png", main) if run.evaluation else None,
            plots.plot_matryoshka(before, after, out / "matryoshka.png", main),
            plots.plot_resources(run, out / "resources.png"),
        )
        if p is not None
    ]

    config = run.config
    evaluation = run.evaluation or {}
    train_metrics = evaluation.get("train_metrics") or next(
        (r for r in reversed(run.logs) if "train_runtime" in r), {}
    )
    steps = max((r.get("step", 0) for r in run.logs if isinstance(r.get("step"), int)), default=0)
    epoch = max((r.get("epoch", 0) for r in run.logs if isinstance(r.get("epoch"), (int, float))), default=0)
    times = [r["time"] for r in run.logs if isinstance(r.get("time"), (int, float))]
    # The resolved config is written as the run starts; a copied run dir has newer mtimes than its log times.
    started = start.get("time") or min([(out / "config.resolved.yaml").stat().st_mtime, *times])
    finished = (
        (out / "evaluation.json").stat().st_mtime
        if (out / "evaluation.json").exists()
        else (max(times) if times else None)
    )
    model = (config.get("base_model") or {}).get("name", "-")
    facts = [
        ("run", f"`{config.get('run_name', out.name)}`"),
        ("model", f"`{model}`" + (f" ({start['model']})" if start.get("model") else "")),
        ("config", (f"`{config_path}` (resolved copy: " if config_path else "(") + "`config.resolved.yaml`)"),
        ("run dir", f"`{out}`"),
        ("started", _when(started)),
        ("finished", _when(finished)),
        ("status", _status(run)),
        ("train time", _duration(evaluation.get("train_seconds") or train_metrics.get("train_runtime"))),
        ("steps", f"{steps} (epoch {epoch:.2f})"),
        ("final model", "`final/` (load with `SentenceTransformer(path)`)" if (out / "final").is_dir() else "-"),
    ]
    lines = [f"# Run report: {config.get('run_name', out.name)}", "", "| | |", "|---|---|"]
    lines += [f"| {key} | {value} |" for key, value in facts]
    lines += ["", "## Objectives", "", *_objective_rows(config), ""]
    if after or before:
        lines += ["## Final metrics", "", f"From {source}." + (f" Main metric: **{main}**." if main else ""), ""]
        lines += [*metrics_table(before, after, main), ""]
    else:
        lines += [
            "## Final metrics",
            "",
            "No evaluator metrics in this run (no `evaluator` configured, or the run stopped before evaluating).",
            "",
        ]
    tasks = _task_lines(evaluation.get("tasks") or [])
    if tasks:
        lines += [
            "## Extra evaluation tasks",
            "",
            "`evaluation.tasks` on the base model and the final model "
            "(all rows with full model names: `evaluation/results.json`, `.csv`).",
            "",
            *tasks,
            "",
        ]
    summary = _loss_summary(run)
    if summary:
        lines += ["## Loss", "", *summary, ""]
    for name in drawn:
        title, what = PLOTS[name]
        lines += [f"## {title}", "", f"{what[0].upper()}{what[1:]}.", "", f"![{title}]({name})", ""]
    lines += [
        "---",
        f"Written by `embedding report` on {_when(time.time())}; regenerate with `embedding report {out}`.",
        "",
    ]
    report = out / "report.md"
    report.write_text("\n".join(lines), encoding="utf-8")
    return report
