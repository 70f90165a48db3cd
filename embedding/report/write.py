"""Compose report.md from a run dir and draw its plots next to it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from ..errors import UserError
from ..safe_files import write_text
from . import merge, mining, plots, shipping
from .rundir import RunData, flat_metrics, load_run, split_dim
from .tables import loss_summary, metrics_table, objective_rows, task_lines

PLOTS = {  # file name -> (section title, what it shows)
    "loss.png": (
        "Training loss",
        "per objective and loss component, raw as logged (the terminal and the model card show them smoothed); "
        "dashed: the objective's validation loss",
    ),
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


def _run_name(run: RunData) -> str:
    return run.config.run_name if run.config else run.run_dir.name


def _status(run: RunData) -> str:
    for record in reversed(run.logs):
        event = record.get("event")
        if event == "run_end":
            return "finished"
        if event == "interrupted":
            step, during = record.get("step"), record.get("during")
            at = f"during {during}" if step is None else f"at step {step}" + (f", during {during}" if during else "")
            return f"interrupted {at} (resume: `{record.get('resume', '--resume')}`)"
        if event == "non_finite":
            return f"stopped at step {record.get('step')}: non-finite loss (objective `{record.get('objective')}`)"
    return "incomplete: no end event (still running, or the process died)"


def _metrics(run: RunData) -> tuple[dict[str, float], dict[str, float], str | None, str]:
    """(before, after, main metric, where the numbers come from)."""
    evaluation = run.evaluation or {}
    before, after = flat_metrics(evaluation.get("before")), flat_metrics(evaluation.get("after"))
    main = evaluation.get("main_metric") or (run.config.args.get("metric_for_best_model") if run.config else None)
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


def _draw_plots(run: RunData, before: dict[str, float], after: dict[str, float], main: str | None) -> list[str]:
    """Draw the plots that have data; returns their file names. A regenerated report never links a stale plot."""
    out = run.run_dir
    for name in PLOTS:
        plots.remove_stale(out / name)
    sized = [k for k in [*before, *after] if split_dim(k)[1] is not None]
    # Sizes come from the evaluator when its keys carry one, else from `evaluation.tasks` (run at every size).
    by_size = (before, after) if sized else plots.task_sizes((run.evaluation or {}).get("tasks") or [])
    drawn = (
        plots.plot_losses(run, out / "loss.png"),
        plots.plot_eval_metrics(run, out / "eval_metrics.png", main, before=before),
        plots.plot_before_after(before, after, out / "before_after.png", main) if run.evaluation else None,
        plots.plot_matryoshka(*by_size, out / "matryoshka.png", main),
        plots.plot_resources(run, out / "resources.png"),
    )
    return [path.name for path in drawn if path is not None]


def _times(run: RunData, start: dict[str, Any]) -> tuple[float | None, float | None]:
    """(started, finished) as epoch seconds."""
    out = run.run_dir
    times = [r["time"] for r in run.logs if isinstance(r.get("time"), (int, float))]
    # The resolved config is written as the run starts; a copied run dir has newer mtimes than its log times.
    started = start.get("time") or min([(out / "config.resolved.yaml").stat().st_mtime, *times])
    if (out / "evaluation.json").exists():
        return started, (out / "evaluation.json").stat().st_mtime
    return started, (max(times) if times else None)


def _model_cell(name: str, described: str | None) -> str:
    """`name` (where it was found): the run_start event's description starts with the name; said once."""
    if not described:
        return f"`{name}`"
    where = described.removeprefix(name).strip() if described.startswith(name) else f"({described})"
    return f"`{name}` {where}".rstrip()


def _facts(run: RunData, start: dict[str, Any], config_path: str | None) -> list[tuple[str, str]]:
    """The report's key/value table: run, model, config, run dir, times, status, steps, final model."""
    out, config = run.run_dir, run.config
    evaluation = run.evaluation or {}
    train_metrics = evaluation.get("train_metrics") or next(
        (r for r in reversed(run.logs) if "train_runtime" in r), {}
    )
    steps = max((r.get("step", 0) for r in run.logs if isinstance(r.get("step"), int)), default=0)
    epoch = max((r.get("epoch", 0) for r in run.logs if isinstance(r.get("epoch"), (int, float))), default=0)
    started, finished = _times(run, start)
    model = config.base_model.name if config else "-"
    return [
        ("run", f"`{_run_name(run)}`"),
        ("model", _model_cell(model, start.get("model"))),
        ("config", (f"`{config_path}` (resolved copy: " if config_path else "(") + "`config.resolved.yaml`)"),
        ("run dir", f"`{out}`"),
        ("started", _when(started)),
        ("finished", _when(finished)),
        ("status", _status(run)),
        ("train time", _duration(evaluation.get("train_seconds") or train_metrics.get("train_runtime"))),
        ("steps", f"{steps} (epoch {epoch:.2f})"),
        ("final model", "`final/` (load with `SentenceTransformer(path)`)" if (out / "final").is_dir() else "-"),
    ]


def _metrics_section(run: RunData) -> tuple[list[str], tuple[dict[str, float], dict[str, float], str | None]]:
    """The "Final metrics" section, and the (before, after, main metric) it shows."""
    before, after, main, source = _metrics(run)
    lines = ["## Final metrics", ""]
    if after or before:
        lines += [f"From {source}." + (f" Main metric: **{main}**." if main else ""), ""]
        lines += [*metrics_table(before, after, main), ""]
    else:
        lines += [
            "No evaluator metrics in this run (no `evaluator` configured, or the run stopped before evaluating).",
            "",
        ]
    return lines, (before, after, main)


def _optional_sections(run: RunData, drawn: list[str]) -> list[str]:
    """Extra evaluation tasks, the loss summary and one section per drawn plot, each only when it has content."""
    lines = []
    tasks = task_lines((run.evaluation or {}).get("tasks") or [])
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
    summary = loss_summary(run.train_events)
    if summary:
        lines += ["## Loss", "", *summary, ""]
    for name in drawn:
        title, what = PLOTS[name]
        lines += [f"## {title}", "", f"{what[0].upper()}{what[1:]}.", "", f"![{title}]({name})", ""]
    return lines


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
    run = load_run(run_dir)
    try:
        return _write(run, config_path)
    except OSError as exc:  # a read-only run dir, a full disk: the user's to fix
        raise UserError(
            f"{run.run_dir}: cannot write the report there ({exc.strerror or exc}: {exc.filename or run.run_dir}); "
            "make the run dir writable (or free space), or copy it and report the copy"
        ) from None


def _write(run: RunData, config_path: str | None) -> Path:
    """report.md and its plots for a loaded run."""
    out = run.run_dir
    start = next(iter(run.events("run_start")), {})
    metrics, (before, after, main) = _metrics_section(run)
    drawn = _draw_plots(run, before, after, main)
    facts = _facts(run, start, config_path or start.get("config_path"))
    lines = [f"# Run report: {_run_name(run)}", "", "| | |", "|---|---|"]
    lines += [f"| {key} | {value} |" for key, value in facts]
    lines += ["", "## Objectives", "", *objective_rows(run.config), "", *metrics]
    lines += _optional_sections(run, drawn)
    lines += [*shipping.quantization_section(out), *shipping.export_section(out)]
    lines += [*mining.mining_section(out), *merge.merge_section(out)]
    lines += [
        "---",
        f"Written by `embedding report` on {_when(time.time())}; regenerate with `embedding report {out}`.",
        "",
    ]
    report = out / "report.md"
    write_text(report, "\n".join(lines))  # whole, never through a planted link, secrets as ***
    return report
