"""Terminal output at the end of a run: where things are and the before/after table."""

from __future__ import annotations


def print_result(result) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
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
    console.print(f"model saved to [bold]{result.model_dir}[/bold] (load with SentenceTransformer(path))")
    console.print(f"run dir: {result.run_dir} (logs.jsonl, resources.jsonl, evaluation.json, config.resolved.yaml)")
