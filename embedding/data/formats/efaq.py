"""The e-faq shape: rows of `sentence`, `similar[]`, `almost_similar[]`, `dissimilar[]`.

Three views of it:
- ranking rows for `contrastive` objectives: (anchor, positive, negative_1..k);
- similarity rows for `similarity` objectives: (anchor, candidate, label);
- retrieval data for the IR evaluator: (queries, corpus, relevant_docs).

Randomness is drawn per raw row from a generator seeded by (seed, row index), so results do not depend on
batch boundaries, process count or PYTHONHASHSEED. A negative is never the anchor itself or one of its
positives, and no loop can run forever (seed-spec §8.12).
"""

from __future__ import annotations

import random
from typing import Any

from ...errors import DataError
from .common import IRData, clean_list, clean_text, row_rng

COLUMNS = ("sentence", "similar", "almost_similar", "dissimilar")
DEFAULT_LABELS = {"similar": 1.0, "almost_similar": 0.0, "dissimilar": -1.0}


class _Row:
    """One validated e-faq row: anchor, unique positives and unique negatives (none equal to anchor/positives)."""

    __slots__ = ("anchor", "positives", "negatives")

    def __init__(self, row: dict[str, Any], index: int, where: str, negative_columns=("almost_similar", "dissimilar")):
        self.anchor = clean_text(row.get("sentence"), index, "sentence", where)
        seen = {self.anchor}
        self.positives = [t for t in dict.fromkeys(clean_list(row.get("similar"), index, "similar", where))
                          if t not in seen]
        seen.update(self.positives)
        negatives: list[str] = []
        for column in negative_columns:
            negatives.extend(clean_list(row.get(column), index, column, where))
        self.negatives = [t for t in dict.fromkeys(negatives) if t not in seen]


def negative_pool(dataset) -> list[str]:
    """Every distinct negative text of the dataset, sorted (a set's order would depend on the hash seed)."""
    pool: set[str] = set()
    for column in ("almost_similar", "dissimilar"):
        if column in dataset.column_names:
            for items in dataset[column]:
                pool.update(t.strip() for t in items or () if isinstance(t, str) and t.strip())
    return sorted(pool)


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


def ranking_batch(batch: dict[str, list], indices: list[int], *, k: int, seed: int, pool: list[str],
                  where: str) -> dict[str, list]:
    """Batched `datasets.map` function: one output row per (anchor, positive), with k sampled negatives."""
    names = ["anchor", "positive", *(f"negative_{j + 1}" for j in range(k))]
    out: dict[str, list] = {name: [] for name in names}
    out["_dropped"] = []
    keys = list(batch)
    for offset, index in enumerate(indices):
        row = _Row({key: batch[key][offset] for key in keys}, index, where)
        if not row.positives:
            continue
        rng = row_rng(seed, index)
        candidates = row.negatives
        if len(candidates) < k:
            exclude = {row.anchor, *row.positives, *candidates}
            candidates = candidates + _fill_from_pool(rng, pool, exclude, k - len(candidates))
        if len(candidates) < k:
            # Cannot get k distinct negatives: emit a marker row the caller counts and removes.
            for name in names:
                out[name].append("")
            out["_dropped"].append(1)
            continue
        for positive in row.positives:
            texts = [row.anchor, positive, *(rng.sample(candidates, k) if k else ())]
            for name, text in zip(names, texts):
                out[name].append(text)
            out["_dropped"].append(0)
    return out


def similarity_batch(batch: dict[str, list], indices: list[int], *, name_to_label: dict[str, float],
                     where: str) -> dict[str, list]:
    """Batched map: (anchor, candidate, label) for each candidate of each labelled column, in mapping order."""
    out: dict[str, list] = {"anchor": [], "candidate": [], "label": []}
    for offset, index in enumerate(indices):
        anchor = clean_text(batch["sentence"][offset], index, "sentence", where)
        seen = {anchor}
        for column, label in name_to_label.items():
            for text in dict.fromkeys(clean_list(batch[column][offset], index, column, where)):
                if text in seen:
                    continue  # the same text cannot carry two labels for one anchor; first mapping wins
                seen.add(text)
                out["anchor"].append(anchor)
                out["candidate"].append(text)
                out["label"].append(float(label))
    return out


def retrieval(dataset, *, negative_samples: int = -1, seed: int = 42, where: str = "evaluator.dataset") -> IRData:
    """IR data: one id per distinct text; query texts never enter the corpus.

    In e-faq data, `almost_similar`/`dissimilar` items are mostly other FAQs' own questions. Left in the
    corpus, every query would find its own text at rank 1 as a non-relevant hit, so query texts are kept out.
    `negative_samples`: hard negatives per query added to the corpus (-1 = all of them).
    """
    rows = [_Row(raw, i, where) for i, raw in enumerate(dataset)]
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
        raise DataError(f"{where}: column(s) {', '.join(missing)} missing for the e-faq format; the dataset has "
                        f"{', '.join(dataset.column_names)}. Map yours with preprocess_args.columns "
                        f"(e.g. columns: {{sentence: question}}) or choose another preprocess_args.format")
