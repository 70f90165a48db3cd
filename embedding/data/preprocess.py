"""Raw dataset -> training rows or IR data, per input format. Deterministic and cached by content.

Training rows are produced with a batched `datasets.map` whose fingerprint is derived from
(raw dataset fingerprint, format, preprocess args, seed), so a second run with the same inputs reuses the
Arrow cache file instead of recomputing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from ..errors import DataError
from .formats import efaq
from .formats.common import IRData

MAP_BATCH_SIZE = 1000


@dataclass
class TrainingData:
    """Preprocessed rows of one objective split, with what happened on the way."""

    dataset: Any
    format: str
    raw_rows: int
    cache_hit: bool = False
    notes: list[str] = field(default_factory=list)


def detect_format(columns: list[str]) -> str | None:
    cols = set(columns)
    if {"sentence", "similar"} <= cols:
        return "efaq"
    if {"text", "label"} <= cols:
        return "labeled"
    if {"sentence1", "sentence2", "score"} <= cols:
        return "scored-pairs"
    if {"anchor", "positive"} <= cols:
        return "pairs"
    return None


def _prepare(raw, args: dict[str, Any], where: str) -> tuple[Any, str]:
    """Apply `columns` renames and `limit`, then decide the format."""
    columns = args.get("columns") or {}
    missing = [theirs for theirs in columns.values() if theirs not in raw.column_names]
    if missing:
        raise DataError(f"{where}.preprocess_args.columns: column(s) {', '.join(missing)} not in the dataset; "
                        f"it has {', '.join(raw.column_names)}")
    renames = {theirs: ours for ours, theirs in columns.items() if theirs != ours}
    if renames:
        raw = raw.remove_columns([c for c in renames.values() if c in raw.column_names and c not in renames])
        raw = raw.rename_columns(renames)
    if args.get("limit"):
        raw = raw.select(range(min(int(args["limit"]), len(raw))))
    fmt = args.get("format") or detect_format(raw.column_names)
    if fmt is None:
        raise DataError(f"{where}: cannot tell the data format from the columns {', '.join(raw.column_names)}; "
                        "set preprocess_args.format (efaq, labeled, pairs, scored-pairs) and, if needed, "
                        "preprocess_args.columns")
    return raw, fmt


def fingerprint(*parts: Any) -> str:
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.blake2b(blob, digest_size=16).hexdigest()


def training_rows(raw, kind: str, args: dict[str, Any], *, seed: int, where: str) -> TrainingData:
    """Rows for a `contrastive` or `similarity` objective."""
    raw, fmt = _prepare(raw, args, where)
    if fmt != "efaq":
        raise DataError(f"{where}.preprocess_args.format: format `{fmt}` is not available for training yet; "
                        "convert the data to the e-faq shape (sentence, similar[], almost_similar[], dissimilar[])")
    efaq.check_columns(raw, where)
    key = fingerprint(raw._fingerprint, fmt, kind, args, seed, "v1")
    hit = _cache_exists(raw, key)
    if kind == "contrastive":
        k = int(args.get("negative_samples", 0))
        pool = efaq.negative_pool(raw) if k else []
        if k and len(pool) < k:
            raise DataError(f"{where}.preprocess_args.negative_samples: {k} negatives per row requested but the "
                            f"dataset has only {len(pool)} distinct negative texts; lower negative_samples")
        fn = partial(efaq.ranking_batch, k=k, seed=seed, pool=pool, where=where)
    else:
        mapping = {c: float(v) for c, v in (args.get("name_to_label") or efaq.DEFAULT_LABELS).items()}
        for column in mapping:
            if column not in raw.column_names:
                raw = raw.add_column(column, [[]] * len(raw))
        fn = partial(efaq.similarity_batch, name_to_label=mapping, where=where)
    rows = raw.map(fn, batched=True, batch_size=MAP_BATCH_SIZE, with_indices=True,
                   remove_columns=raw.column_names, new_fingerprint=key, desc=f"preprocess {where}")
    data = TrainingData(rows, fmt, len(raw), cache_hit=hit)
    if "_dropped" in rows.column_names:
        dropped = sum(rows["_dropped"])
        if dropped:
            data.notes.append(f"{dropped} rows dropped: fewer than {k} distinct negatives available")
            rows = rows.filter(lambda b: [d == 0 for d in b["_dropped"]], batched=True,
                               new_fingerprint=fingerprint(key, "filter"))
        data.dataset = rows.remove_columns("_dropped")
    if len(data.dataset) == 0:
        raise DataError(f"{where}: preprocessing produced no rows ({len(raw)} raw rows); contrastive data needs "
                        "rows with at least one `similar` text")
    return data


def _cache_exists(dataset, key: str) -> bool:
    """Whether `datasets` already holds the map result for this fingerprint (it names files cache-<fp>.arrow)."""
    from pathlib import Path

    files = getattr(dataset, "cache_files", None) or []
    return bool(files) and (Path(files[0]["filename"]).parent / f"cache-{key}.arrow").exists()


def cache_location(data: TrainingData) -> str | None:
    files = getattr(data.dataset, "cache_files", None) or []
    return files[0]["filename"] if files else None


def retrieval_data(raw, args: dict[str, Any], *, seed: int, where: str) -> IRData:
    """Queries/corpus/relevant_docs for the IR evaluator."""
    raw, fmt = _prepare(raw, args, where)
    if fmt != "efaq":
        raise DataError(f"{where}.preprocess_args.format: format `{fmt}` is not available for the evaluator "
                        "yet; use e-faq shaped data")
    efaq.check_columns(raw, where)
    return efaq.retrieval(raw, negative_samples=int(args.get("negative_samples", -1)), seed=seed, where=where)
