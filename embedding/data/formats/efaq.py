"""The e-faq shape: rows of `sentence`, `similar[]`, `almost_similar[]`, `dissimilar[]`.

Three views of it:
- ranking rows for `contrastive` objectives: (anchor, positive, negative_1..k);
- similarity rows for `similarity` objectives: (anchor, candidate, label);
- retrieval data for the IR evaluator: (queries, corpus, relevant_docs).

Training rows are built per Arrow batch with numpy (flattening, per-row dedup, sampling): no Python loop per
row except for the rare rows that need the global pool. Randomness is keyed by (seed, raw row index), so
results do not depend on batch boundaries, process count or PYTHONHASHSEED. A negative is never the anchor
itself or one of its positives, and no loop can run forever (the pool refill draws without replacement).
"""

from __future__ import annotations

import random
from functools import partial
from typing import Any, Literal, NamedTuple

import numpy as np
from pydantic import Field

from ...errors import DataError
from ..args import DataArgs, MinedRows
from ..rows import Drop
from .base import Recipe
from .common import (
    IRData,
    random_picks,
    row_keys,
    row_rank,
    row_rng,
    text_column,
    text_lists,
    text_lists_and_blanks,
    with_markers,
)
from .efaq_dedup import EfaqRow, dedup_batch

COLUMNS = ("sentence", "similar", "almost_similar", "dissimilar")
DEFAULT_LABELS = {"similar": 1.0, "almost_similar": 0.0, "dissimilar": -1.0}


class _Batch(NamedTuple):
    """A deduplicated batch: texts[0:n] are the anchors, then every list item; see `dedup_batch`."""

    rows: np.ndarray  # raw row index of each anchor
    texts: Any
    kept: list  # per list: (batch-local row, position in texts) of the kept items
    item_rows: np.ndarray
    lead: np.ndarray
    bounds: list[int]
    blanks: list  # per list: the batch-local row of each blank item (empty, whitespace-only or null) left out


def _read(batch, indices, columns, where) -> _Batch:
    rows = np.asarray(indices, dtype=np.int64)
    anchors = text_column(batch, "sentence", rows, where)
    lists = [text_lists_and_blanks(batch, c, rows, where) for c in columns]
    texts, kept, (item_rows, lead, bounds) = dedup_batch(anchors, [(values, at) for values, at, _ in lists])
    return _Batch(rows, texts, kept, item_rows, lead, bounds, [blank for _, _, blank in lists])


def _markers(positives, blank_positives) -> np.ndarray:
    """`_drop` codes of a batch's marker rows: NO_POSITIVE per raw row without a positive, BLANK_LIST_ITEM per
    blank positive left out.

    A row whose only positives were blank counts under BLANK_LIST_ITEM alone: one reason per lost row, so the
    total is true.
    """
    lonely = np.flatnonzero((positives == 0) & (np.bincount(blank_positives, minlength=len(positives)) == 0))
    lost = [np.full(len(lonely), Drop.NO_POSITIVE), np.full(len(blank_positives), Drop.BLANK_LIST_ITEM)]
    return np.concatenate(lost).astype(np.int8)


def negative_pool(dataset) -> list[str]:
    """Every distinct negative text of the dataset, sorted (a set's order would depend on the hash seed)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = [c for c in ("almost_similar", "dissimilar") if c in dataset.column_names]
    if not columns:
        return []
    table = dataset.with_format("arrow", columns=columns)[:]
    values = [text_lists(table, c, np.arange(len(table)), "dataset")[0] for c in columns]
    unique = pc.unique(pa.concat_arrays(values))
    return unique.take(pc.array_sort_indices(unique)).to_pylist()


class LazyPool:
    """The global negative pool, computed only if some row is short of negatives (it costs a full pass)."""

    def __init__(self, dataset):
        self.dataset, self._pool = dataset, None

    def get(self) -> list[str]:
        if self._pool is None:
            self._pool = negative_pool(self.dataset)
        return self._pool


def _fill_from_pool(rng: random.Random, pool: list[str], exclude: set[str], need: int) -> list[str]:
    """Up to `need` distinct pool texts outside `exclude`; bounded work, never loops forever."""
    picked: list[str] = []
    if not pool or need <= 0:
        return picked
    for text in rng.sample(pool, min(len(pool), need * 4 + 8)):
        if text not in exclude and text not in picked:
            picked.append(text)
            if len(picked) == need:
                break
    return picked


def ranking_batch(batch, indices: list[int], *, k: int, seed: int, pool: LazyPool, where: str):
    """Batched, Arrow-level `datasets.map` function: one row per (anchor, positive) with k sampled negatives.

    Also emits marker rows (`_drop`: TOO_FEW_NEGATIVES, NO_POSITIVE, BLANK_LIST_ITEM) that the caller
    counts and removes, `_false_negatives` (negative-list items equal to the anchor or a positive) and `_group`
    (the raw FAQ row). Negatives: the row's own almost_similar then dissimilar; rows with fewer than k are
    completed from the global pool (per-row Python, rare), seeded by (seed, row).
    """
    import pyarrow as pa

    b = _read(batch, indices, COLUMNS[1:], where)
    n, (pos_rows, pos_at), (alm_rows, alm_at), (dis_rows, dis_at) = len(b.rows), *b.kept
    after = b.bounds[1]  # items from here on come from the negative lists
    refused = np.bincount(b.item_rows[after:][b.lead[after:] < after], minlength=n)
    (alm_rank, a), (dis_rank, d) = row_rank(alm_rows, n), row_rank(dis_rows, n)
    p, m = np.bincount(pos_rows, minlength=n), a + d
    neg_start, pos_start = np.cumsum(m) - m, np.cumsum(p) - p
    neg_at = np.empty(int(m.sum()), dtype=np.int64)  # per row: its almost_similar, then its dissimilar
    neg_at[neg_start[alm_rows] + alm_rank] = alm_at
    neg_at[neg_start[dis_rows] + a[dis_rows] + dis_rank] = dis_at
    draw = np.arange(len(pos_rows)) - pos_start[pos_rows]  # which positive of its row
    negs = np.zeros((len(pos_rows), k), dtype=np.int64)
    drop = np.zeros(len(pos_rows), dtype=np.int8)
    extra: list[str] = []
    served = m[pos_rows] >= k
    r = pos_rows[served]
    negs[served] = neg_at[neg_start[r][:, None] + random_picks(row_keys(seed, b.rows[r]), draw[served], m[r], k)]
    if not served.all() and len(pool.get()) < k:
        raise DataError(
            f"{where}.preprocess_args.negative_samples: {k} negatives per row requested but the "
            f"dataset has only {len(pool.get())} distinct negative texts; lower negative_samples"
        )
    for row in np.unique(pos_rows[~served]):
        mine = np.flatnonzero(pos_rows == row)
        own = b.texts.take(np.concatenate([[row], pos_at[mine], neg_at[neg_start[row] : neg_start[row] + m[row]]]))
        own = own.to_pylist()
        rng = row_rng(seed, int(b.rows[row]))
        candidates = own[1 + len(mine) :] + _fill_from_pool(rng, pool.get(), set(own), k - m[row])
        if len(candidates) < k:
            drop[mine] = Drop.TOO_FEW_NEGATIVES
            continue
        for out in mine:
            negs[out] = len(b.texts) + len(extra) + np.arange(k)
            extra.extend(rng.sample(candidates, k))
    codes = _markers(p, b.blanks[0])  # one marker row per raw row without a positive and per blank positive
    vocab = b.texts
    if extra or len(codes):  # copying every text is costly: only when there is something to add
        vocab = pa.concat_arrays([b.texts, pa.array([*extra, ""], pa.string())])
    blank = np.full(len(codes), len(vocab) - 1)
    columns = {
        "anchor": vocab.take(np.concatenate([pos_rows, blank])),
        "positive": vocab.take(np.concatenate([pos_at, blank])),
    }
    for j in range(k):
        columns[f"negative_{j + 1}"] = vocab.take(np.concatenate([negs[:, j], blank]))
    columns["_drop"] = pa.array(np.concatenate([drop, codes]))
    columns["_group"] = pa.array(np.concatenate([b.rows[pos_rows], np.full(len(codes), -1)]))  # the FAQ row
    first = np.zeros(len(pos_rows) + len(codes), dtype=np.int32)  # each row's count, on its first output row
    first[pos_start[p > 0]] = refused[p > 0]
    return pa.table({**columns, "_false_negatives": pa.array(first)})


def similarity_batch(batch, indices: list[int], *, name_to_label: dict[str, float], where: str):
    """Batched Arrow map: (anchor, candidate, label) for each candidate of each labelled column, in mapping order.

    A text already seen for this anchor (the anchor itself or an earlier column's item) is skipped: the same
    text cannot carry two labels for one anchor; the first mapping wins. A blank candidate is a marker row (8).
    """
    import pyarrow as pa

    b = _read(batch, indices, list(name_to_label), where)
    out_rows = np.concatenate([r for r, _ in b.kept])
    order = np.argsort(out_rows, kind="stable")  # row-major: per anchor, columns in mapping order
    at = np.concatenate([c for _, c in b.kept])[order]
    labels = np.concatenate(
        [np.full(len(r), float(v)) for (r, _), v in zip(b.kept, name_to_label.values(), strict=True)]
    )
    out = pa.table(
        {
            "anchor": b.texts.take(out_rows[order]),
            "candidate": b.texts.take(at),
            "label": pa.array(labels[order], pa.float64()),
            "_drop": pa.array(np.zeros(len(order), np.int8)),
            "_group": pa.array(b.rows[out_rows[order]]),  # the FAQ row
        }
    )
    return with_markers(out, np.full(sum(len(blank) for blank in b.blanks), 8))


def retrieval(dataset, *, negative_samples: int = -1, seed: int = 42, where: str = "evaluator.dataset") -> IRData:
    """IR data: one id per distinct text; query texts never enter the corpus.

    In e-faq data, `almost_similar`/`dissimilar` items are mostly other FAQs' own questions. Left in the
    corpus, every query would find its own text at rank 1 as a non-relevant hit, so query texts are kept out.
    `negative_samples`: hard negatives per query added to the corpus (-1 = all of them).
    """
    rows = [EfaqRow(raw, i, where) for i, raw in enumerate(dataset)]
    query_texts = {row.anchor for row in rows}
    ir = IRData()
    for i, row in enumerate(rows):
        qid = ir.query_id(row.anchor)
        for text in row.positives:
            if text in query_texts:
                ir.stats["positives_dropped_as_query_texts"] += 1
                continue
            ir.relevant_docs.setdefault(qid, set()).add(ir.doc_id(text))
        negatives = [t for t in row.negatives if t not in query_texts]
        if negative_samples >= 0 and len(negatives) > negative_samples:
            negatives = row_rng(seed, i).sample(negatives, negative_samples)
        for text in negatives:
            ir.doc_id(text)
    ir.drop_queries_without_relevant()
    return ir


def check_columns(dataset, where: str, required=("sentence", "similar")) -> None:
    missing = [c for c in required if c not in dataset.column_names]
    if missing:
        raise DataError(
            f"{where}: column(s) {', '.join(missing)} missing for the e-faq format; the dataset has "
            f"{', '.join(dataset.column_names)}. Map yours with preprocess_args.columns "
            f"(e.g. columns: {{sentence: question}}) or choose another preprocess_args.format"
        )


class EfaqRankingArgs(MinedRows):
    negative_samples: int = Field(
        0,
        ge=0,
        description="Hard negatives per (anchor, positive) row: the row's almost_similar/dissimilar texts, "
        "completed from other rows.",
    )


class EfaqSimilarityArgs(DataArgs):
    name_to_label: dict[Literal["similar", "almost_similar", "dissimilar"], float] = Field(
        default_factory=lambda: dict(DEFAULT_LABELS),
        description="Label of each (sentence, text) pair by the text's column; only the listed columns make pairs.",
    )


class EfaqRetrievalArgs(DataArgs):
    negative_samples: int = Field(
        -1, ge=-1, description="Listed negatives per query put in the corpus (seeded draw); -1 = all of them."
    )


class Efaq:
    name = "efaq"
    columns = ("sentence", "similar")
    args = {"contrastive": EfaqRankingArgs, "similarity": EfaqSimilarityArgs, "retrieval": EfaqRetrievalArgs}
    cannot = ""

    def check_columns(self, raw, where: str) -> None:
        check_columns(raw, where)

    def rows(self, raw, use: str, args, *, seed: int, where: str) -> Recipe:
        if use == "contrastive":
            pool = LazyPool(raw)
            return Recipe(
                partial(ranking_batch, k=args.negative_samples, seed=seed, pool=pool, where=where), corpus=pool.get
            )
        return Recipe(partial(similarity_batch, name_to_label=dict(args.name_to_label), where=where))

    def retrieval(self, raw, args, *, seed: int, where: str) -> IRData:
        return retrieval(raw, negative_samples=args.negative_samples, seed=seed, where=where)
