"""Per-row de-duplication of e-faq lists, vectorised over an Arrow batch (and its plain-Python reference)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .common import clean_list, clean_text, first_of_group, text_fingerprints


class EfaqRow:
    """One validated e-faq row: anchor, unique positives and unique negatives (none equal to anchor/positives)."""

    __slots__ = ("anchor", "positives", "negatives")

    def __init__(self, row: dict[str, Any], index: int, where: str, negative_columns=("almost_similar", "dissimilar")):
        self.anchor = clean_text(row.get("sentence"), index, "sentence", where)
        seen = {self.anchor}
        self.positives = [
            t for t in dict.fromkeys(clean_list(row.get("similar"), index, "similar", where)) if t not in seen
        ]
        seen.update(self.positives)
        negatives: list[str] = []
        for column in negative_columns:
            negatives.extend(clean_list(row.get(column), index, column, where))
        self.negatives = [t for t in dict.fromkeys(negatives) if t not in seen]


def dedup_batch(anchors, lists):
    """Per row, keep the first occurrence of each text in priority order: anchor, then `lists` in order.

    `lists` are (values, rows) pairs from `text_lists`. Returns (texts, [(rows, positions) kept per list],
    (row, first equal position, list bounds) per item) where `texts` holds the anchors (positions 0..n-1) followed
    by every list item, so outputs are `texts.take(...)`.
    A text equal to the anchor or to an earlier item of its row is dropped. Matches are found on cheap
    fingerprints, then confirmed by comparing the texts; a row with a fingerprint clash is redone exactly.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    texts = pa.concat_arrays([anchors, *(values for values, _ in lists)])
    n = len(anchors)
    rows = np.concatenate([np.arange(n, dtype=np.int64), *(parents for _, parents in lists)])
    keys = text_fingerprints(texts) ^ (rows.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15))
    lead = first_of_group(keys) if len(keys) else np.zeros(0, dtype=np.int64)
    candidates = np.flatnonzero(lead != np.arange(len(rows)))
    if len(candidates):
        same = pc.equal(texts.take(candidates), texts.take(lead[candidates])).to_numpy(zero_copy_only=False)
        same &= rows[candidates] == rows[lead[candidates]]
        for row in np.unique(rows[candidates[~same]]):  # fingerprint clash: redo this row exactly
            positions = np.flatnonzero(rows == row)
            seen: dict[str, int] = {}
            for position, text in zip(positions, texts.take(positions).to_pylist(), strict=True):
                lead[position] = seen.setdefault(text, position)
    dup = lead != np.arange(len(rows))
    kept, bounds = [], [n]
    for values, parents in lists:
        start, end = bounds[-1], bounds[-1] + len(values)
        keep = ~dup[start:end]
        kept.append((parents[keep], np.arange(start, end)[keep]))
        bounds.append(end)
    return texts, kept, (rows, lead, bounds)
