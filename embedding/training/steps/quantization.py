"""After training: what the trained model's stored embeddings cost and retrieve (`evaluation.quantization`).

For each embedding size x precision, the nDCG@k of the run's first `retrieval` evaluator and the bytes per vector
(export.quantization.cost_table), written to the run dir's quantization.json, which report.md shows as a table
and quantization.png. int8 ranges are calibrated on training texts, not on the corpus being searched: a deployed
index is calibrated before the documents it will hold are known.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ...config.evaluator_schema import evaluator_entries
from ...export.quantization import PRECISIONS, RESCORE_MULTIPLIER
from ...safe_files import write_json
from ..distributed.ranks import main_only
from ..plan import Plan
from ..rundir.result import RunResult
from ..trainer.session import Session

logger = logging.getLogger(__name__)

FILE_NAME = "quantization.json"
CALIBRATION_TEXTS = 1000


def asked_precisions(plan: Plan) -> list[str]:
    """The precisions `evaluation.quantization` asks for, in the table's order ([] when off)."""
    asked = plan.config.evaluation.quantization
    if asked is True:
        return list(PRECISIONS)
    return [p for p in PRECISIONS if asked and p in asked]


def retrieval_evaluator(plan: Plan) -> tuple[Any, str] | None:
    """(the built evaluator, its key path) of the config's first `retrieval` evaluator; None without one."""
    entries = evaluator_entries(plan.config.evaluator)
    if plan.evaluator is None or not entries:
        return None
    built = plan.evaluator.evaluators if isinstance(plan.config.evaluator, list) else [plan.evaluator]
    for (where, _, spec), evaluator in zip(entries, built, strict=True):
        if spec.type == "retrieval":
            return evaluator, where
    return None


def table_dims(plan: Plan, full: int) -> list[int]:
    """`evaluation.dimensions`, else every objective's Matryoshka dims; those below `full`, then `full` itself."""
    config = plan.config
    asked = config.evaluation.dimensions or [
        d for o in config.objectives if o.matryoshka for d in o.matryoshka.matryoshka_dims
    ]
    return sorted({d for d in asked if d < full}) + [full]


def calibration_texts(plan: Plan, limit: int = CALIBRATION_TEXTS) -> list[str]:
    """Up to `limit` distinct texts of the first objective's training rows, in row order (every text column)."""
    dataset = plan.objectives[0].train.dataset
    text = ("string", "large_string")
    columns = [name for name, feature in dataset.features.items() if getattr(feature, "dtype", None) in text]
    rows = dataset.select(range(min(len(dataset), limit))).select_columns(columns)
    texts = [text for row in rows for text in row.values() if isinstance(text, str) and text]
    return list(dict.fromkeys(texts))[:limit]


def reference_metric(evaluator, after: dict[str, float], k: int) -> tuple[str | None, float | None]:
    """The evaluator's own cosine nDCG@k after training, which the float32 full-size row reproduces."""
    name = getattr(evaluator, "name", "") or ""
    key = f"{name}_cosine_ndcg@{k}" if name else f"cosine_ndcg@{k}"
    return (key, after[key]) if key in after else (None, None)


@main_only
def write_quantization_table(session: Session, result: RunResult) -> Path | None:
    """quantization.json in the run dir when `evaluation.quantization` asks for it; its path (None: not asked,
    or no retrieval evaluator to measure on, which is logged as a warning)."""
    from ...export.quantization import cost_table, encode_for

    plan = session.plan
    precisions = asked_precisions(plan)
    if not precisions:
        return None
    found = retrieval_evaluator(plan)
    if found is None:
        logger.warning("evaluation.quantization: the run has no `retrieval` evaluator to measure on; table skipped")
        return None
    evaluator, where = found
    model = session.trainer.model  # the model evaluate_after measured (the best one with load_best_model_at_end)
    batch_size = evaluator.batch_size
    queries, corpus = encode_for(evaluator, model, batch_size)
    full = queries.shape[1]
    texts = calibration_texts(plan)
    calibration = model.encode(texts, batch_size=batch_size, convert_to_numpy=True, show_progress_bar=False)
    rows = cost_table(evaluator, queries, corpus, table_dims(plan, full), precisions, calibration)
    key, value = reference_metric(evaluator, result.after, evaluator.ndcg_at_k[0])
    table = {
        "evaluator": where,
        "metric": rows[0].metric,
        "evaluator_metric": key,
        "evaluator_value": value,
        "full_dim": full,
        "queries": len(queries),
        "corpus": len(corpus),
        "calibration": f"{len(texts)} texts of {plan.objectives[0].name}'s training rows",
        "rescore_multiplier": RESCORE_MULTIPLIER,
        "rows": [asdict(row) for row in rows],
    }
    path = plan.run_dir / FILE_NAME
    write_json(path, table)  # whole, never through a planted link (safe_files)
    logger.info("quantization: %d sizes x %d precisions -> %s", len(rows) // len(precisions), len(precisions), path)
    return path
