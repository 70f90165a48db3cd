"""Pair shapes for training: n-tuples (anchor, positive, negative...) and scored pairs (sentence1, sentence2, score).

- `pairs` (pairs, triplets, n-tuples) pass through to contrastive objectives: texts are validated and stripped,
  negative columns are renamed negative_1..k, and a row whose negative equals its anchor or positive is dropped
  (it would teach the model that a text is unlike itself). A row whose anchor equals its positive is kept, as a
  sentence-transformers script keeps it, unless `drop_identical_pairs: true`; each drop is counted by its reason.
- A `group` column, when present, says which rows are false negatives for each other (else: rows that share
  their anchor text); `batch_sampler: one_per_group` keeps one row per group in a batch.
- `scored-pairs` become similarity rows (anchor, candidate, label = score), optionally rescaled from
  `score_range: [min, max]` to [0, 1] (ASSIN 2's 1-5 scale, for example).
"""

from __future__ import annotations

import re
from functools import partial

import numpy as np
from pydantic import Field

from ...errors import DataError
from ..args import DataArgs, MinedRows
from ..groups import text_keys
from ..rows import Drop
from .base import Recipe
from .common import IRData, clean_text, text_column

NEGATIVE = re.compile(r"^negative_?(\d*)$")
GROUP = "group"  # optional column: rows with one value are in-batch false negatives for each other


def negative_columns(dataset, k: int | None, where: str) -> list[str]:
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
    if k is not None and k > len(columns):
        raise DataError(
            f"{where}.preprocess_args.negative_samples: {k} requested but the data has "
            f"{len(columns)} negative column(s) ({', '.join(columns) or 'none'}); lower it or add "
            "negatives with preprocess_args.mine_hard_negatives"
        )
    return columns if k is None else columns[:k]


def tuples_batch(batch, indices, *, negatives: list[str], drop_identical: bool, where: str):
    """Batched Arrow map: validated (anchor, positive, negative_1..k); `_drop` marks SELF_NEGATIVE rows and (with
    `drop_identical`) IDENTICAL_PAIR rows, whose anchor equals their positive."""
    import pyarrow as pa
    import pyarrow.compute as pc

    rows = np.asarray(indices, dtype=np.int64)
    out = {name: text_column(batch, name, rows, where) for name in ("anchor", "positive")}
    clash = np.zeros(len(rows), dtype=bool)
    for j, column in enumerate(negatives):
        text = out[f"negative_{j + 1}"] = text_column(batch, column, rows, where)
        same = pc.or_(pc.equal(text, out["anchor"]), pc.equal(text, out["positive"]))
        clash |= np.asarray(same.to_numpy(zero_copy_only=False), dtype=bool)
    identical = np.asarray(pc.equal(out["anchor"], out["positive"]).to_numpy(zero_copy_only=False), dtype=bool)
    codes = np.where(clash, Drop.SELF_NEGATIVE, np.where(identical & drop_identical, Drop.IDENTICAL_PAIR, Drop.KEPT))
    return pa.table({**out, "_drop": pa.array(codes.astype(np.int8)), "_group": pa.array(group_keys(batch, out))})


def group_keys(batch, out) -> np.ndarray:
    """Per row: its `group` cell when the data has that column and the cell is set, else its anchor text."""
    anchors = out["anchor"].to_pylist()
    if GROUP not in batch.column_names:
        return text_keys(anchors)
    cells = batch.column(GROUP).to_pylist()
    return text_keys([f"{GROUP}:{c}" if c is not None else a for c, a in zip(cells, anchors, strict=True)])


def retrieval(dataset, args: PairsRetrievalArgs, *, where: str) -> IRData:
    """Anchors are queries, positives their relevant documents, negatives distractors; one id per distinct text.

    Query texts never enter the corpus (a query would find itself, a non-relevant hit, at rank 1).
    """
    negatives = negative_columns(dataset, args.negative_samples, where)
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


NEGATIVE_SAMPLES = Field(
    None, ge=0, description="Negative columns kept per row (the first k of negative, negative_2, ...); null = all."
)


class PairsRankingArgs(MinedRows):
    negative_samples: int | None = NEGATIVE_SAMPLES
    drop_identical_pairs: bool = Field(
        False,
        description="Drop rows whose anchor equals their positive (counted in `preprocess` and the banner). "
        "false: kept, as a sentence-transformers script keeps them.",
    )


class PairsRetrievalArgs(DataArgs):
    negative_samples: int | None = NEGATIVE_SAMPLES


class Pairs:
    name = "pairs"
    columns = ("anchor", "positive")
    args = {"contrastive": PairsRankingArgs, "retrieval": PairsRetrievalArgs}
    cannot = "pairs have no scores; use scored-pairs or labeled data for similarity"

    def check_columns(self, raw, where: str) -> None:
        negative_columns(raw, None, where)

    def rows(self, raw, use: str, args, *, seed: int, where: str) -> Recipe:
        negatives = negative_columns(raw, args.negative_samples, where)
        return Recipe(
            partial(tuples_batch, negatives=negatives, drop_identical=args.drop_identical_pairs, where=where)
        )

    def retrieval(self, raw, args, *, seed: int, where: str) -> IRData:
        return retrieval(raw, args, where=where)
