"""report.md sections on shipping the model: the size x precision cost table (quantization.json, with
quantization.png) and the ONNX exports of the config's `export` block (export.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .plots import _pyplot, _save, remove_stale
from .tables import cell

QUANTIZATION = "quantization.json"
EXPORTS = "export.json"
PLOT = "quantization.png"
MARKERS = {"float32": "o", "int8": "s", "ubinary": "^"}


def _read(path: Path) -> Any:
    """The JSON in `path`; None when it is missing or unreadable (the report then leaves its section out)."""
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None


def _cost_rows(table: Any) -> list[dict[str, Any]]:
    rows = table.get("rows") if isinstance(table, dict) else None
    keys = ("dim", "precision", "bytes_per_vector", "value")
    return [r for r in rows or [] if isinstance(r, dict) and all(k in r for k in keys)]


def plot_quantization(rows: list[dict[str, Any]], metric: str, path: Path) -> Path | None:
    """Metric against bytes per vector (log x): one marker and line per precision, each point labelled with its
    size; None without rows."""
    if not rows:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.6))
    for precision in dict.fromkeys(r["precision"] for r in rows):
        points = sorted((r["bytes_per_vector"], r["value"], r["dim"]) for r in rows if r["precision"] == precision)
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        ax.plot(xs, ys, marker=MARKERS.get(precision, "x"), linewidth=1, label=precision)
        for x, y, dim in points:
            ax.annotate(str(dim), (x, y), textcoords="offset points", xytext=(4, 4), fontsize=7)
    ax.set_xscale("log")
    sizes = sorted({r["bytes_per_vector"] for r in rows})
    ax.set_xticks(sizes, [str(size) for size in sizes], fontsize=8)  # the byte counts themselves, not 10^k
    ax.minorticks_off()
    ax.set_xlabel("bytes per vector (log scale)")
    ax.set_ylabel(metric)
    ax.set_title("retrieval quality against storage per vector (labels: embedding size)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, title="precision")
    return _save(fig, path)


def quantization_section(run_dir: Path) -> list[str]:
    """The cost table, cheapest vector first, with quantization.png; [] without quantization.json."""
    remove_stale(run_dir / PLOT)  # a regenerated report never links a stale plot
    table = _read(run_dir / QUANTIZATION)
    rows = _cost_rows(table)
    if not rows:
        return []
    metric = str(table.get("metric") or "metric")
    full = max(rows, key=lambda r: (r["dim"], r["bytes_per_vector"]))
    reference = full["value"] if full["precision"] == "float32" else None
    lines = [
        "## Embedding size and precision",
        "",
        f"The trained model on `{table.get('evaluator', 'evaluator')}` ({table.get('queries', '?')} queries, "
        f"{table.get('corpus', '?')} documents) with stored embeddings cut to each size and quantized: int8 "
        f"calibrated on {table.get('calibration', 'training texts')}; int8 and ubinary fetch "
        f"{table.get('rescore_multiplier', '?')} x k candidates and rescore them with the float32 query. "
        f"From `{QUANTIZATION}`.",
        "",
        f"| dim | precision | bytes / vector | {metric} |" + (" vs float32 full size |" if reference else ""),
        "|---:|---|---:|---:|" + ("---:|" if reference else ""),
    ]
    for r in sorted(rows, key=lambda r: (r["bytes_per_vector"], r["dim"])):
        change = f" {r['value'] - reference:+.4f} |" if reference is not None else ""
        lines.append(f"| {r['dim']} | {r['precision']} | {r['bytes_per_vector']} | {r['value']:.4f} |{change}")
    if plot_quantization(rows, metric, run_dir / PLOT):
        lines += ["", f"![{metric} against bytes per vector]({PLOT})"]
    return [*lines, ""]


def _export_row(outcome: dict[str, Any]) -> str:
    name, folder = cell(outcome.get("format", "?")), cell(outcome.get("folder", "?"))
    if "error" in outcome:
        return f"| {name} | `{folder}` | - | - | - | - | - | **failed**: {cell(outcome['error'])} |"
    failed = "; ".join(outcome.get("failures") or [f"drop > max_drop {outcome.get('max_drop')}"])
    verdict = "ok" if outcome.get("passed") else f"**FAILED**: {cell(failed)}"
    difference = outcome.get("max_cosine_difference")
    shown = "n/a" if difference is None else f"{difference:.1e}"
    return (
        f"| {name} | `{folder}` | {outcome['metric_torch']:.4f} | {outcome['metric_export']:.4f} | "
        f"{outcome['metric_export'] - outcome['metric_torch']:+.4f} | {shown} | "
        f"{outcome['texts_per_second_torch']:.0f} -> {outcome['texts_per_second_export']:.0f} "
        f"(x{outcome['speedup']:.2f}) | {verdict} |"
    )


def export_section(run_dir: Path) -> list[str]:
    """One row per export of the config's `export` block; [] without export.json."""
    outcomes = _read(run_dir / EXPORTS)
    outcomes = [o for o in outcomes if isinstance(o, dict)] if isinstance(outcomes, list) else []
    if not outcomes:
        return []
    checked = next((o for o in outcomes if "metric" in o), {})
    lines = [
        "## Exports",
        "",
        "`final/` exported as the config's `export` block asks and checked against the torch model"
        + (
            f" on {cell(checked.get('task'))} ({checked.get('split')}, {checked.get('texts')} texts, "
            f"{checked.get('metric')}); throughput on this CPU, same texts and batch size"
            if checked
            else ""
        )
        + f". Each folder holds `export_report.json`; all of them: `{EXPORTS}`.",
        "",
        "| format | folder | torch | export | change | max cosine difference | texts/s | check |",
        "|---|---|---:|---:|---:|---:|---|---|",
    ]
    try:
        lines += [_export_row(outcome) for outcome in outcomes]
    except (KeyError, TypeError, ValueError):  # a file of another version: the JSON keeps it, the report skips it
        return []
    return [*lines, ""]
