"""report.md's section on hard-negative mining: per mined split (run_dir/mining/*.json) the candidates, the
negatives kept and those each rule refused, and a histogram of positive, kept and refused scores."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .plots import _pyplot, _save, remove_stale
from .tables import cell

FOLDER = "mining"
COLORS = {"positive": "tab:green", "kept": "tab:blue", "dropped": "tab:red"}
LABELS = {"positive": "positives", "kept": "kept negatives", "dropped": "refused candidates"}


def _runs(run_dir: Path) -> list[tuple[str, dict[str, Any]]]:
    """(split name, statistics) of each readable file, by name; files of another shape are left out."""
    runs = []
    for path in sorted((run_dir / FOLDER).glob("*.json")):
        try:
            stats = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            continue
        if isinstance(stats, dict) and isinstance(stats.get("dropped"), dict) and "candidates" in stats:
            runs.append((path.stem, stats))
    return runs


def plot_mining(name: str, histogram: dict[str, Any], path: Path) -> Path | None:
    """Step histograms of the three score series over their shared bins; None without scores."""
    edges = histogram.get("edges") or []
    if len(edges) < 2:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 3.6))
    for series, color in COLORS.items():
        counts = histogram.get(series) or []
        if len(counts) == len(edges) - 1 and any(counts):
            ax.stairs(counts, edges, color=color, linewidth=1.5, label=LABELS[series])
    ax.set_xlabel("score (the mining model's, or the cross-encoder's)")
    ax.set_ylabel("count")
    ax.set_title(f"mining scores: {name}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, path)


def _table_row(name: str, stats: dict[str, Any]) -> str:
    dropped = stats["dropped"]
    rules = ", ".join(f"{rule.replace('_', ' ')} {count}" for rule, count in dropped.items() if count) or "none"
    margin = (stats.get("options") or {}).get("relative_margin")
    return (
        f"| {cell(name)} | {cell(stats.get('scorer', '-'))} | {margin} | {stats.get('rows', '-')} | "
        f"{stats.get('rows_kept', '-')} | {stats['candidates']} | {stats.get('kept', '-')} | {rules} | "
        f"{stats.get('rows_dropped_short', '-')} |"
    )


def mining_section(run_dir: Path) -> list[str]:
    """The table and one histogram per mined split; [] when nothing was mined."""
    for stale in run_dir.glob("mining-*.png"):
        remove_stale(stale)  # a regenerated report never links a stale plot
    runs = _runs(run_dir)
    if not runs:
        return []
    lines = [
        "## Hard-negative mining",
        "",
        "Candidates ranked by the mining model (rescored by the cross-encoder when one is named); each refused "
        "candidate is counted under the first rule that refused it. From `mining/*.json`.",
        "",
        "| split | scored by | relative_margin | rows | rows kept | candidates | negatives kept | refused by | "
        "rows left short |",
        "|---|---|---:|---:|---:|---:|---:|---|---:|",
        *(_table_row(name, stats) for name, stats in runs),
        "",
    ]
    for name, stats in runs:
        plot = plot_mining(name, stats.get("histogram") or {}, run_dir / f"mining-{name}.png")
        if plot is not None:
            lines += [f"![mining scores of {name}]({plot.name})", ""]
    return lines
