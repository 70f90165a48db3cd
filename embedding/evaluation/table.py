"""The comparison table on the terminal: one row per (task, dataset, split, dim, metric), one column per model."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import PurePath

from .results import ResultRow

HEADLINE_PREFIXES = ("ndcg@", "mrr@", "map@")
HEADLINE_METRICS = {"accuracy@1", "spearman", "pearson"}


def headline(metric: str, metrics: Iterable[str]) -> bool:
    """The metrics shown by default: nDCG/MRR/MAP@k, accuracy@1, the largest recall@k, Spearman/Pearson."""
    if metric.startswith(HEADLINE_PREFIXES) or metric in HEADLINE_METRICS:
        return True
    if metric.startswith("recall@"):
        largest = max(int(m.split("@")[1]) for m in metrics if m.startswith("recall@"))
        return metric == f"recall@{largest}"
    return False


def short(label: str, keep: int = 2) -> str:
    """A long name as its last `keep` path parts (the results files keep it whole)."""
    parts = PurePath(label).parts
    if len(label) <= 24 or len(parts) <= keep:
        return label
    tail = "/".join(parts[-keep:])
    return tail if keep == 1 else f".../{tail}"


def headers(models: list[str]) -> list[str]:
    """Short column titles (`all-MiniLM-L6-v2`, `.../my-run/final`); full names if the short ones collide."""
    titles = [short(m, keep=1 if len(PurePath(m).parts) == 2 else 2) for m in models]
    return titles if len(set(titles)) == len(titles) else models


def comparison_rows(rows: list[ResultRow], *, all_metrics: bool = False) -> tuple[list[str], list[tuple]]:
    """Models (in order of appearance) and table lines (task, dataset, split, dim, metric, values...).

    A BM25 row (dim None) has no embedding size: it gets one line of its own (dim None) after the task's sizes,
    never a copy on each of them.
    """
    models = list(dict.fromkeys(r.model for r in rows))
    tasks = list(dict.fromkeys((r.task, r.dataset, r.split) for r in rows))
    lines = []
    for task in tasks:
        mine = [r for r in rows if (r.task, r.dataset, r.split) == task]
        dims = sorted({r.dim for r in mine if r.dim is not None}) + (
            [None] if any(r.dim is None for r in mine) else []
        )
        metrics = list(dict.fromkeys(r.metric for r in mine))
        shown = [m for m in metrics if all_metrics or headline(m, metrics)]
        values = {(r.model, r.dim, r.metric): r.value for r in mine}
        for dim in dims:
            for metric in shown:
                cells = [values.get((m, dim, metric)) for m in models]
                if any(c is not None for c in cells):
                    lines.append((*task, dim, metric, *cells))
    return models, lines


def print_comparison(
    rows: list[ResultRow], *, all_metrics: bool = False, console=None, title: str = "evaluation results"
) -> None:
    """Print the comparison table with rich; the best value of each line in bold."""
    from rich.console import Console
    from rich.table import Table

    console = console or (Console() if sys.stdout.isatty() else Console(width=160))  # logs: no wrapped cells
    models, lines = comparison_rows(rows, all_metrics=all_metrics)
    if not lines:
        console.print("no results")
        return
    table = Table(title=title, title_justify="left", show_lines=False)
    for name in ("task", "dataset", "split", "dim", "metric"):
        table.add_column(name, overflow="fold")
    for title in headers(models):
        table.add_column(title, justify="right", overflow="fold")
    previous = None
    for task, dataset, split, dim, metric, *cells in lines:
        present = [c for c in cells if c is not None]
        best = max(present) if len(present) > 1 else None  # bold only where there is something to compare
        shown = ["" if c is None else (f"[bold]{c:.4f}[/bold]" if c == best else f"{c:.4f}") for c in cells]
        head = (task, short(dataset), split, "-" if dim is None else str(dim))  # None: BM25, no embedding size
        table.add_row(*(head if head != previous else ("", "", "", "")), metric, *shown)
        previous = head
    console.print(table)
