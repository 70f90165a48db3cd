"""Pair shapes for training: n-tuples (anchor, positive, negative...) and scored pairs (sentence1, sentence2, score).

- `pairs` (pairs, triplets, n-tuples) pass through to contrastive objectives: texts are validated and stripped,
  negative columns are renamed negative_1..k, and a row whose negative equals its anchor or positive is dropped
  (it would teach the model that a text is unlike itself).
- `scored-pairs` become similarity rows (anchor, candidate, label = score), optionally rescaled from
  `score_range: [min, max]` to [0, 1] (ASSIN 2's 1-5 scale, for example).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from ...errors import DataError
from .common import IRData, clean_text, first_true, python_cells, text_column

NEGATIVE = re.compile(r"^negative_?(\d*)$")


def negative_columns(dataset, args: dict[str, Any], where: str) -> list[str]:
    """The dataset's negative columns in order (negative, negative_1, negative_2, ...), cut to negative_samples."""
    missing = [c for c in ("anchor", "positive") if c not in dataset.column_names]
    if missing:
        raise DataError(
            f"{where}: column(s) {', '.join(missing)} missing for the pairs format; the dataset has "
            f"{', '.join(dataset.column_names)}. Map yours with preprocess_args.columns "
            "(e.g. columns: {anchor: query, positive: answer, negative: hard_negative})"
        )
    found = [(int(m.group(1) or 0), c) for c in dataset.column_names if (m := NEGATIVE.match(c))]
    columns = [c for _, c in sorted(found)]
    k = args.get("negative_samples")
    if k is not None and int(k) > len(columns):
        raise DataError(
            f"{where}.preprocess_args.negative_samples: {k} requested but the data has "
            f"{len(columns)} negative column(s) ({', '.join(columns) or 'none'}); lower it or add "
            "negatives with preprocess_args.mine_hard_negatives"
        )
    return columns if k is None else columns[: int(k)]


def tuples_batch(batch, indices, *, negatives: list[str], where: str):
    """Batched Arrow map: validated (anchor, positive, negative_1..k); `_drop` 7 marks self-negatives."""
    import pyarrow as pa
    import pyarrow.compute as pc

    rows = np.asarray(indices, dtype=np.int64)
    out = {name: text_column(batch, name, rows, where) for name in ("anchor", "positive")}
    clash = pc.equal(out["anchor"], out["positive"])
    for j, column in enumerate(negatives):
        text = out[f"negative_{j + 1}"] = text_column(batch, column, rows, where)
        clash = pc.or_(clash, pc.or_(pc.equal(text, out["anchor"]), pc.equal(text, out["positive"])))
    return pa.table({**out, "_drop": pc.multiply(clash.cast(pa.int8()), pa.scalar(7, pa.int8()))})


def check_scored_columns(dataset, where: str) -> None:
    from .scored_pairs import check_columns

    check_columns(dataset, where)


def _scores(batch, rows, name_to_label: dict[str, float] | None, where: str) -> np.ndarray:
    import pyarrow as pa
    import pyarrow.compute as pc

    col = batch.column("score").combine_chunks()
    if (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)) and name_to_label:
        unknown = first_true(pc.invert(pc.fill_null(pc.is_in(col, pa.array(list(name_to_label))), False)))
        if unknown is not None:
            raise DataError(
                f"{where}: row {rows[unknown]}, column `score`: label {col[unknown].as_py()!r} is not in "
                f"preprocess_args.name_to_label ({', '.join(name_to_label)}); add it there"
            )
        return np.array([float(name_to_label[v]) for v in col.to_pylist()])
    if not (pa.types.is_integer(col.type) or pa.types.is_floating(col.type)) or col.null_count:
        values = python_cells(col)
        bad = next((i for i, v in enumerate(values) if isinstance(v, bool) or not isinstance(v, (int, float))), 0)
        hint = (
            "; map text labels to numbers with preprocess_args.name_to_label" if isinstance(values[bad], str) else ""
        )
        raise DataError(
            f"{where}: row {rows[bad]}, column `score`: expected a finite number, got {values[bad]!r}{hint}"
        )
    scores = col.cast(pa.float64()).to_numpy(zero_copy_only=False)
    bad = first_true(~np.isfinite(scores))
    if bad is not None:
        raise DataError(
            f"{where}: row {rows[bad]}, column `score`: expected a finite number, got {float(scores[bad])!r}"
        )
    return scores


def scored_batch(
    batch, indices, *, score_range: list[float] | None, name_to_label: dict[str, float] | None, where: str
):
    """Batched Arrow map: (anchor, candidate, label) from (sentence1, sentence2, score)."""
    import pyarrow as pa

    rows = np.asarray(indices, dtype=np.int64)
    anchor, candidate = text_column(batch, "sentence1", rows, where), text_column(batch, "sentence2", rows, where)
    scores = _scores(batch, rows, name_to_label, where)
    if score_range:
        low, high = (float(v) for v in score_range)
        bad = first_true((scores < low) | (scores > high))
        if bad is not None:
            raise DataError(
                f"{where}: row {rows[bad]}, column `score`: {float(scores[bad])} is outside "
                f"preprocess_args.score_range [{low}, {high}]; fix the row or the range"
            )
        scores = (scores - low) / (high - low)
    return pa.table({"anchor": anchor, "candidate": candidate, "label": pa.array(scores, pa.float64())})


def retrieval(dataset, args: dict[str, Any], *, where: str) -> IRData:
    """Anchors are queries, positives their relevant documents, negatives distractors; one id per distinct text.

    Query texts never enter the corpus (a query would find itself, a non-relevant hit, at rank 1).
    """
    negatives = negative_columns(dataset, args, where)
    rows = []
    for i, item in enumerate(dataset):
        texts = [clean_text(item.get(c), i, c, where) for c in ("anchor", "positive", *negatives)]
        rows.append(texts)
    queries = {texts[0] for texts in rows}
    ir = IRData()
    for anchor, positive, *others in rows:
        qid = ir.query_id(anchor)
        if positive in queries:
            ir.stats["positives_dropped_as_query_texts"] += 1
        else:
            ir.relevant_docs.setdefault(qid, set()).add(ir.doc_id(positive))
        for text in others:
            if text not in queries:
                ir.doc_id(text)
    ir.drop_queries_without_relevant()
    return ir
