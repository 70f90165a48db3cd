"""The report's PNG plots (matplotlib, Agg backend: no display needed). Each returns its path, or None without data."""

from __future__ import annotations

import io
import math
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from ..safe_files import refuse_link, write_bytes
from .rundir import RunData, split_dim

DPI = 110
SKIP_EVAL = re.compile(r"(runtime|samples_per_second|steps_per_second|epoch)$")
FAMILY = re.compile(r"(accuracy|precision|recall|ndcg|mrr|map|spearman|pearson|f1|ap)(?=@|_|$)")
BEFORE_AFTER = ("before", "after")  # the model names of the run's `evaluation.tasks` rows
PREFERRED = ("ndcg", "map", "mrr", "recall", "accuracy", "spearman", "precision", "pearson")


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # before pyplot: servers and CI have no display
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> Path:
    """The PNG drawn in memory, then written whole (never through a link planted at `path`: safe_files)."""
    fig.tight_layout()
    png = io.BytesIO()
    fig.savefig(png, dpi=DPI, format="png")
    _pyplot().close(fig)
    return write_bytes(path, png.getvalue())


def remove_stale(path: Path) -> None:
    """Remove a plot an earlier report drew, so that a regenerated report never links it; a link is refused."""
    refuse_link(path)
    path.unlink(missing_ok=True)


def _integer_steps(ax) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # steps are whole numbers, never 2.25


def _series(records: list[dict[str, Any]], key: str) -> tuple[list[float], list[float]]:
    points = [(r["step"], r[key]) for r in records if isinstance(r.get(key), (int, float)) and "step" in r]
    return [p[0] for p in points], [p[1] for p in points]


def _is_eval_loss(key: str) -> bool:
    return key.startswith("eval_") and (key.endswith("loss") or key.startswith("eval_loss/"))


def plot_losses(run: RunData, path: Path) -> Path | None:
    """Training loss per objective and component (`loss/<objective>/<term>`), eval losses dashed; else `loss`."""
    train, evals = run.train_events, run.eval_events
    groups: dict[str, list[tuple[str, list[dict[str, Any]], str]]] = defaultdict(list)
    train_keys = sorted({k for r in train for k in r if k.startswith("loss/")})
    eval_keys = sorted({k for r in evals for k in r if k.startswith("eval_loss/")})
    for key in train_keys:
        _, objective, term = key.split("/", 2) if key.count("/") >= 2 else ("", key[5:], "loss")
        groups[objective].append((f"{term} (train)", train, key))
    for key in eval_keys:
        _, objective, term = key.split("/", 2) if key.count("/") >= 2 else ("", key[10:], "loss")
        groups[objective].append((f"{term} (eval)", evals, key))
    if not train_keys:  # runs without component logging: the trainer's total loss
        groups["all objectives"].append(("loss (train)", train, "loss"))
        for key in sorted({k for r in evals for k in r if _is_eval_loss(k) and "/" not in k}):
            groups["all objectives"].append((f"{key[5:]} (eval)", evals, key))
    groups = {g: lines for g, lines in groups.items() if any(_series(recs, k)[0] for _, recs, k in lines)}
    if not groups:
        return None
    plt = _pyplot()
    fig, axes = plt.subplots(len(groups), 1, figsize=(9, max(3.6, 3.0 * len(groups))), sharex=True, squeeze=False)
    for ax, (objective, lines) in zip(axes[:, 0], groups.items(), strict=True):
        for label, records, key in lines:
            steps, values = _series(records, key)
            ax.plot(steps, values, "--" if "(eval)" in label else "-", marker="o", markersize=3, label=label)
        ax.set_title(f"objective: {objective}" if objective != "all objectives" else "loss")
        ax.set_ylabel("loss")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    axes[-1, 0].set_xlabel("step")
    _integer_steps(axes[-1, 0])
    return _save(fig, path)


MIN_SPAN = 0.05  # a y-axis narrower than this turns a 0.005 change into a cliff


def _honest_ylim(ax, values: list[float]) -> None:
    """At least MIN_SPAN wide around the values, inside [0, 1] when they are scores."""
    low, high = min(values), max(values)
    if high - low >= MIN_SPAN:
        return
    middle = (low + high) / 2
    low, high = middle - MIN_SPAN / 2, middle + MIN_SPAN / 2
    if 0 <= min(values) and max(values) <= 1:
        low, high = (0.0, MIN_SPAN) if low < 0 else (1 - MIN_SPAN, 1.0) if high > 1 else (low, high)
    ax.set_ylim(low, high)


def plot_eval_metrics(
    run: RunData, path: Path, main_metric: str | None = None, before: dict[str, float] | None = None
) -> Path | None:
    """Evaluator metrics over steps, one panel per metric family (ndcg, map, recall...); the base model's
    values (`before`, keys without `eval_`) as the step-0 point."""
    before = before or {}
    evals = [{"step": 0, **{f"eval_{k}": v for k, v in before.items()}}] * bool(before) + run.eval_events
    keys = sorted(
        {
            k
            for r in evals
            for k, v in r.items()
            if k.startswith("eval_")
            and not SKIP_EVAL.search(k)
            and not _is_eval_loss(k)
            and isinstance(v, (int, float))
        }
    )
    if not keys:
        return None
    families: dict[str, list[str]] = defaultdict(list)
    for key in keys:
        match = FAMILY.search(split_dim(key[5:])[0].rsplit("_", 1)[-1]) or FAMILY.search(key[5:])
        families[match.group(1) if match else "other"].append(key)
    order = sorted(families, key=lambda f: PREFERRED.index(f) if f in PREFERRED else len(PREFERRED))
    cols = min(3, len(order))
    rows = math.ceil(len(order) / cols)
    plt = _pyplot()
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols + 1, 3.4 * rows + 0.3), squeeze=False)
    for ax, family in zip(axes.flat, order, strict=False):
        shown: list[float] = []
        for key in families[family]:
            steps, values = _series(evals, key)
            shown += values
            bold = main_metric is not None and key == f"eval_{main_metric}"
            ax.plot(
                steps,
                values,
                marker="o",
                markersize=3,
                linewidth=2.5 if bold else 1.2,
                label=key[5:] + (" (main)" if bold else ""),
            )
        ax.set_title(family)
        ax.set_xlabel("step" + (" (0: base model)" if before else ""))
        ax.set_ylabel(family)
        _honest_ylim(ax, shown)
        _integer_steps(ax)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(order) :]:
        ax.set_visible(False)
    fig.suptitle("evaluator metrics during training")
    return _save(fig, path)


def _bars(ax, labels: list[str], before: list[float | None], after: list[float | None], legend: bool = True) -> None:
    import numpy as np

    y = np.arange(len(labels))
    height = 0.38 if any(b is not None for b in before) else 0.7
    bars = []
    if any(b is not None for b in before):
        bars.append(ax.barh(y - height / 2, [b or 0 for b in before], height, label="before", color="#9aa5b1"))
        bars.append(ax.barh(y + height / 2, [a or 0 for a in after], height, label="after", color="#2f6fbf"))
    else:
        bars.append(ax.barh(y, [a or 0 for a in after], height, label="after", color="#2f6fbf"))
    for group, values in zip(bars, [before, after] if len(bars) == 2 else [after], strict=True):
        ax.bar_label(group, labels=["n/a" if v is None else f"{v:.3f}" for v in values], fontsize=7, padding=2)
    ax.margins(x=0.12)  # room for the value labels
    ax.set_yticks(y, labels, fontsize=8)
    ax.invert_yaxis()
    ax.grid(axis="x", alpha=0.3)
    if legend:
        ax.legend(fontsize=8, loc="best")


def plot_before_after(
    before: dict[str, float], after: dict[str, float], path: Path, main_metric: str | None = None
) -> Path | None:
    """Before/after bars per metric (metrics without a Matryoshka size; else those at the largest size)."""
    keys = [k for k in dict.fromkeys([*after, *before]) if split_dim(k)[1] is None]
    if not keys:
        sized = [(split_dim(k), k) for k in dict.fromkeys([*after, *before])]
        if not sized:
            return None
        top = max(dim for (_, dim), _ in sized)
        keys = [k for (_, dim), k in sized if dim == top]
    labels = [k + (" *" if k == main_metric else "") for k in keys]
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, max(3.4, 0.42 * len(keys) + 1.2)))
    _bars(ax, labels, [before.get(k) for k in keys], [after.get(k) for k in keys])
    ax.set_title("evaluation before and after training" + (" (* main metric)" if main_metric in keys else ""))
    return _save(fig, path)


def task_sizes(rows: list[dict[str, Any]]) -> tuple[dict[str, float], dict[str, float]]:
    """(before, after) of the `evaluation.tasks` rows (model `before` / `after`) measured at an embedding size,
    keyed `dim_<size>_<task>: <metric>` as plot_matryoshka reads them; headline metrics only."""
    from ..evaluation.table import headline, short

    sized = [r for r in rows if isinstance(r, dict) and r.get("dim") is not None and r.get("model") in BEFORE_AFTER]
    metrics = {r.get("metric", "") for r in sized}
    sides: dict[str, dict[str, float]] = {"before": {}, "after": {}}
    for row in sized:
        if headline(row["metric"], metrics):
            name = f"{short(str(row.get('dataset') or row.get('task')))}: {row.get('similarity', '')}_{row['metric']}"
            sides[row["model"]][f"dim_{row['dim']}_{name}"] = row["value"]
    return sides["before"], sides["after"]


def plot_matryoshka(
    before: dict[str, float], after: dict[str, float], path: Path, main_metric: str | None = None, limit: int = 6
) -> Path | None:
    """Before/after bars per Matryoshka size, one panel per metric (the main metric first); None without sizes."""
    table: dict[str, dict[int, tuple[float | None, float | None]]] = defaultdict(dict)
    for key in dict.fromkeys([*after, *before]):
        base, dim = split_dim(key)
        if dim is not None:
            table[base][dim] = (before.get(key), after.get(key))
    if not table:
        return None
    main_base = split_dim(main_metric)[0] if main_metric else None

    def rank(name: str) -> tuple[int, int]:
        family = FAMILY.search(name)
        score = PREFERRED.index(family.group(1)) if family and family.group(1) in PREFERRED else len(PREFERRED)
        return (0 if name == main_base else 1, score)

    names = sorted(table, key=rank)[:limit]
    cols = min(3, len(names))
    rows = math.ceil(len(names) / cols)
    plt = _pyplot()
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols + 1, 3.4 * rows + 0.4), squeeze=False)
    for ax, name in zip(axes.flat, names, strict=False):
        dims = sorted(table[name])
        _bars(
            ax,
            [str(d) for d in dims],
            [table[name][d][0] for d in dims],
            [table[name][d][1] for d in dims],
            legend=False,
        )
        ax.set_title(name, fontsize=9)
        ax.set_ylabel("dimension")
    for ax in list(axes.flat)[len(names) :]:
        ax.set_visible(False)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper right", fontsize=8)  # one legend: the panels stay readable
    fig.suptitle("before and after training, per Matryoshka dimension")
    return _save(fig, path)


def plot_resources(run: RunData, path: Path) -> Path | None:
    """Process memory (RSS) over steps, and GPU memory where it was recorded."""
    lines = [
        (label, *_series(run.resources, key))
        for label, key in (
            ("RSS (MiB)", "used_memory_mb"),
            ("GPU reserved (MiB)", "used_vram_mb"),
            ("GPU max allocated (MiB)", "max_allocated_vram_mb"),
        )
    ]
    lines = [line for line in lines if line[1]]
    if not lines:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 3.6))
    for label, steps, values in lines:
        ax.plot(steps, values, marker="o", markersize=3, label=label)
    ax.set_xlabel("step")
    _integer_steps(ax)
    ax.set_ylabel("MiB")
    ax.set_ylim(bottom=0)  # memory from 0: a 2 % rise is not a cliff
    ax.set_title("memory")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, path)
