"""Markdown tables of a run: metrics before/after, objectives, losses, extra evaluation tasks.

Shared by report.md and the model card (training.card), which both show the before/after metrics table.
"""

from __future__ import annotations

from typing import Any

from ..config.schema import TrainConfig
from ..evaluation.results import ResultRow
from ..evaluation.table import comparison_rows, short


def cell(value: Any) -> str:
    """A value as a table cell: pipes escaped, one line."""
    return str(value).replace("|", "\\|").replace("\n", " ")


def number(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, (int, float)) else "-"


def metrics_table(before: dict[str, float], after: dict[str, float], main_metric: str | None) -> list[str]:
    """Markdown rows: metric | before | after | change; the main metric in bold."""
    keys = list(after) + [k for k in before if k not in after]
    lines = ["| metric | before | after | change |", "|---|---:|---:|---:|"]
    for key in keys:
        b, a = before.get(key), after.get(key)
        change = f"{a - b:+.4f}" if isinstance(a, (int, float)) and isinstance(b, (int, float)) else "-"
        name = f"**{key}** (main)" if key == main_metric else key
        lines.append(f"| {cell(name)} | {number(b)} | {number(a)} | {change} |")
    return lines


def objective_rows(config: TrainConfig | None) -> list[str]:
    """One row per objective: name, type, training data, loss (+ extra terms), weight, Matryoshka dims.

    `None` (an empty config, or one this version no longer validates, e.g. from an older run) gives a note.
    """
    if config is None:
        return ["Not shown: `config.resolved.yaml` is empty or does not match this version's config schema."]
    lines = ["| objective | type | training data | loss | weight | Matryoshka dims |", "|---|---|---|---|---:|---|"]
    for name, obj in zip(config.objective_names(), config.objectives, strict=True):
        train = obj.datasets.train
        split = train.args.get("split")
        dims = obj.matryoshka.matryoshka_dims if obj.matryoshka else None
        loss = obj.loss or ("ranking" if obj.type == "contrastive" else "cosine")
        extras = [term for term in ("distillation", "variation_penalty") if getattr(obj, term) is not None]
        lines.append(
            f"| {name} | {obj.type} | `{train.name}`{f' [{split}]' if split else ''} | "
            f"{' + '.join([loss, *extras])} | {obj.weight} | {dims or '-'} |"
        )
    return lines


def loss_summary(train_events: list[dict[str, Any]]) -> list[str]:
    """First and last value of each logged loss (and its components); [] when none was logged."""
    keys = sorted({k for r in train_events for k in r if k.startswith("loss/")}) or ["loss"]
    lines = ["| loss | first | last | points |", "|---|---:|---:|---:|"]
    for key in keys:
        values = [r[key] for r in train_events if isinstance(r.get(key), (int, float))]
        if values:
            lines.append(f"| {key} | {values[0]:.4f} | {values[-1]:.4f} | {len(values)} |")
    return lines if len(lines) > 2 else []


def task_lines(rows: list[dict[str, Any]]) -> list[str]:
    """A before/after table of the `evaluation.tasks` rows stored in evaluation.json."""
    try:
        models, lines = comparison_rows([ResultRow(**row) for row in rows])
    except TypeError:  # rows of another version: the JSON keeps them, the report skips them
        return []
    if not models:  # a run without `evaluation.tasks`: no section rather than a table without columns
        return []
    two = len(models) == 2
    out = [
        "| task | dataset | split | dim | metric | " + " | ".join(models) + (" | change |" if two else " |"),
        "|---|---|---|---|---|" + "---:|" * (len(models) + two),
    ]
    for task, dataset, split, dim, metric, *cells in lines:
        values = ["" if c is None else f"{c:.4f}" for c in cells]
        if len(cells) == 2:
            values.append("" if None in cells else f"{cells[1] - cells[0]:+.4f}")
        out.append(
            f"| {task} | {short(dataset)} | {split} | {'-' if dim is None else dim} | {metric} | "
            + " | ".join(values)
            + " |"
        )
    return out
