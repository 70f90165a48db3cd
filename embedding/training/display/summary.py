"""Terminal output at the end of a run: where things are and the before/after table."""

from __future__ import annotations

import sys

from ...evaluation.table import print_comparison


def print_result(result, console=None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = console or (Console() if sys.stdout.isatty() else Console(width=160))  # logs: no wrapped cells
    if result.after:
        table = Table(title="evaluation (before -> after training)", title_justify="left")
        for column in ("metric", "before", "after", "change"):
            table.add_column(column, justify="right" if column != "metric" else "left")
        for key in sorted(result.after):
            after, before = result.after[key], result.before.get(key)
            change = f"{after - before:+.4f}" if before is not None else ""
            mark = " *" if key == result.main_metric else ""
            table.add_row(key + mark, f"{before:.4f}" if before is not None else "-", f"{after:.4f}", change)
        console.print(table)
    if result.task_rows:  # evaluation.tasks: one comparison table, columns before / after
        print_comparison(result.task_rows, console=console, title="evaluation.tasks (before -> after training)")
    console.print(f"model saved to [bold]{result.model_dir}[/bold] (load with SentenceTransformer(path))")
    extra = ", evaluation/results.json|csv" if result.task_rows else ""
    console.print(
        f"run dir: {result.run_dir} (logs.jsonl, resources.jsonl, evaluation.json{extra}, report.md, "
        "config.resolved.yaml)"
    )
