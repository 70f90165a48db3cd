"""`embedding evaluate --quantization`: the size x precision cost table of every model on every `ir` task."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from ..config.schema import ModelSpec
from ..errors import UserError
from .quantization import PRECISIONS, CostRow

FILE_NAME = "quantization.json"


def parse_precisions(text: str) -> list[str]:
    """`float32,int8,ubinary` -> the list; an unknown name is the user's to fix."""
    asked = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [p for p in asked if p not in PRECISIONS]
    if unknown or not asked:
        raise UserError(
            f"--quantization {text!r}: unknown precision {', '.join(unknown) or '(none given)'}; "
            f"use a comma-separated subset of {','.join(PRECISIONS)}"
        )
    return list(dict.fromkeys(asked))


def model_costs(spec: ModelSpec, where: str, data, precisions: list[str], config) -> list[CostRow]:
    """One model on one ir task: encode once at full size, then every size x precision."""
    from ..evaluation.run import resolve_dims
    from ..models import load_model
    from .check import evaluator_for
    from .quantization import cost_table, encode_for

    model, resolution = load_model(spec, where)
    full = model.get_embedding_dimension() or len(model.encode("size probe"))
    dims, _ = resolve_dims(config.dimensions, full, resolution.location, where)
    evaluator = evaluator_for(data, config.batch_size)
    queries, corpus = encode_for(evaluator, model, config.batch_size)
    return cost_table(evaluator, queries, corpus, dims, precisions)


def quantization_costs(config, precisions: list[str], *, log: Callable[[str], None] = lambda _: None) -> list[dict]:
    """Rows {model, task, dim, precision, bytes_per_vector, metric, value} for every model (not bm25) x ir task."""
    from ..evaluation.models import is_bm25
    from ..evaluation.tasks import load_task

    tasks = [(i, task) for i, task in enumerate(config.tasks) if task.type == "ir"]
    if not tasks:
        raise UserError("--quantization: no `ir` task to measure retrieval on; add one (e.g. --task ir)")
    loaded = [load_task(task, i, seed=config.seed) for i, task in tasks]
    rows = []
    for m, spec in enumerate(config.models):
        if is_bm25(spec.name):
            continue
        for data in loaded:
            log(f"quantization: {spec.name} on {data.task.label}")
            for row in model_costs(spec, f"models[{m}]", data, precisions, config):
                rows.append({"model": spec.name, "task": data.task.label, **asdict(row)})
    return rows


def format_costs(rows: list[dict]) -> str:
    """One line per model, task, size and precision, cheapest first within a model and task."""
    from ..evaluation.table import short

    table = [("model", "task", "dim", "precision", "bytes", "metric", "value")]
    for r in sorted(rows, key=lambda r: (r["model"], r["task"], r["bytes_per_vector"], r["dim"])):
        table.append(
            (short(r["model"]), short(r["task"]), str(r["dim"]), r["precision"], str(r["bytes_per_vector"]))
            + (r["metric"], f"{r['value']:.4f}")
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in table)


def write_costs(output_dir: str | Path, rows: list[dict]) -> Path:
    path = Path(output_dir) / FILE_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return path
