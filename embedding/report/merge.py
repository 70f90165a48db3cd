"""The `merge_with_base` alpha table (merge.json): a report.md section and the model card's section."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..evaluation.results import ResultRow
from ..evaluation.table import comparison_rows, short

MERGE_JSON = "merge.json"
UNMERGED = "final-unmerged"


def _valid(record: Any) -> bool:
    rows = record.get("rows") if isinstance(record, dict) else None
    return bool(rows) and all(
        isinstance(r, dict) and "alpha" in r and isinstance(r.get("metrics"), dict) for r in rows
    )


def alpha_lines(record: dict[str, Any]) -> list[str]:
    """One line per alpha with the evaluator's main metric; the chosen one marked."""
    main = record.get("main_metric")
    lines = [f"| alpha | {main or 'evaluator main metric'} | |", "|---:|---:|---|"]
    for row in record["rows"]:
        value = row["metrics"].get(main) if main else None
        cell = f"{value:.4f}" if isinstance(value, (int, float)) else "-"
        mark = "**chosen** (final/)" if row["alpha"] == record.get("chosen") else ""
        mark += " = the trained model" if row["alpha"] == 1 else " = the base model" if row["alpha"] == 0 else ""
        lines.append(f"| {row['alpha']} | {cell} | {mark.strip()} |")
    return lines


def task_lines(record: dict[str, Any]) -> list[str]:
    """`evaluation.tasks` with one column per alpha (headline metrics); [] without tasks."""
    try:
        models, lines = comparison_rows([ResultRow(**row) for row in record.get("tasks") or []])
    except TypeError:  # rows of another version: the JSON keeps them, the report skips them
        return []
    if not models:
        return []
    out = ["| task | dataset | split | dim | metric | " + " | ".join(models) + " |", "|---|---|---|---|---|"]
    out[-1] += "---:|" * len(models)
    for task, dataset, split, dim, metric, *cells in lines:
        values = " | ".join("" if c is None else f"{c:.4f}" for c in cells)
        out.append(f"| {task} | {short(dataset)} | {split} | {'-' if dim is None else dim} | {metric} | {values} |")
    return out


def _intro(record: dict[str, Any]) -> str:
    return (
        f"W = alpha x W_trained + (1 - alpha) x W_base for alpha in {record.get('alphas')}; chosen: "
        f"**{record.get('chosen')}**, on {record.get('chosen_on')}. final/ holds the merged model, "
        f"{record.get('unmerged', UNMERGED)}/ the trained model before merging."
    )


def card_section(record: dict[str, Any]) -> list[str]:
    """The model card's section (markdown lines)."""
    lines = ["## Merged with the base model", "", _intro(record), "", *alpha_lines(record), ""]
    tasks = task_lines(record)
    return [*lines, *(["Extra evaluation tasks per alpha:", "", *tasks, ""] if tasks else [])]


def merge_section(run_dir: Path) -> list[str]:
    """report.md's section; [] without a readable merge.json."""
    path = run_dir / MERGE_JSON
    try:
        record = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        record = None
    if not _valid(record):
        return []
    lines = ["## Merge with the base model", "", _intro(record) + f" From `{MERGE_JSON}`.", ""]
    lines += [*alpha_lines(record), ""]
    tasks = task_lines(record)
    if tasks:
        lines += ["`evaluation.tasks` per alpha:", "", *tasks, ""]
    return lines
