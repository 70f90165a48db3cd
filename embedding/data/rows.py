"""Preprocessed rows of one split and their bookkeeping: drop markers, counts, the Arrow cache.

Rows a format cannot use are emitted as marker rows (`_drop` > 0) that are counted here and filtered out; the
counts therefore survive a cache hit.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Any

# Rows per map batch: large enough that the per-batch Arrow/numpy work dominates the Python overhead.
# One process by default: on the 2-core reference machine `num_proc: 2` was no faster (the vectorised map is
# bound by writing the output), so it stays an opt-in `preprocess_args.num_proc`; rows never depend on it.
MAP_BATCH_SIZE = 10_000
# Rows per Arrow record batch in the cache file: fewer, larger writes (the default 1,000 costs ~15 % here).
WRITER_BATCH_SIZE = 10_000
# Bump whenever the rows produced for the same inputs change, so stale caches are not reused.
VERSION = "v5"  # v5: the `_group` column (groups.py)


class Drop(IntEnum):
    """Why a format emitted a marker row instead of a training row: the `_drop` column's int8 value (0: kept).

    The values are stored in cached Arrow files: add new reasons at the end, never renumber (or bump VERSION).
    """

    KEPT = 0
    TOO_FEW_NEGATIVES = 1
    NO_POSITIVE = 2
    LABEL_ALONE = 3
    REPEATED_TEXT = 4
    MINING_LEFT_SHORT = 5
    TEXT_UNDER_SEVERAL_LABELS = 6
    SELF_NEGATIVE = 7
    BLANK_LIST_ITEM = 8
    IDENTICAL_PAIR = 9


DROP_REASONS = {
    Drop.TOO_FEW_NEGATIVES: "rows dropped: fewer than negative_samples distinct negatives available",
    Drop.NO_POSITIVE: "raw rows without a positive (empty `similar` list; a contrastive row needs at least one "
    "similar text)",
    Drop.LABEL_ALONE: "raw rows dropped: their label has no other text",
    Drop.REPEATED_TEXT: "raw rows dropped: repeated text (kept once)",
    Drop.MINING_LEFT_SHORT: "rows dropped by mining: fewer than num_negatives negatives left after filtering",
    Drop.TEXT_UNDER_SEVERAL_LABELS: "raw rows dropped: text listed under several labels",
    Drop.SELF_NEGATIVE: "rows dropped: a negative equals the anchor or the positive",
    Drop.BLANK_LIST_ITEM: "rows dropped: a blank (empty, whitespace-only or null) text in a list column",
    Drop.IDENTICAL_PAIR: "rows dropped: the anchor equals the positive (preprocess_args.drop_identical_pairs: true)",
}
FALSE_NEGATIVES = "negatives dropped as false negatives"


@dataclass
class TrainingData:
    """Preprocessed rows of one objective split, with what happened on the way."""

    dataset: Any
    format: str
    raw_rows: int  # as loaded, before the dataset's `filter`
    cache_hit: bool = False
    filtered: str = ""  # "filtered out: N rows by filter score.min=4.0" when the dataset's `filter` removed rows
    notes: list[str] = field(default_factory=list)
    stats: Counter = field(default_factory=Counter)
    related: Any = None  # () -> {text: texts that must never be its negative}, beyond the rows' own positives
    corpus: Any = None  # () -> texts of the raw data that the rows may lack (mining candidates)
    mining: dict[str, Any] | None = None  # mining statistics (data/mining.py), also stored beside the cached rows
    groups: Any = None  # np.ndarray: the group key of each row (groups.py), aligned with `dataset`


def fingerprint(*parts: Any) -> str:
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.blake2b(blob, digest_size=16).hexdigest()


def drop_markers(data: TrainingData, key: str, column: str = "_drop") -> None:
    """Count the marker rows by reason, note them, and filter them out (cached like the rows); move the rows'
    group keys into `data.groups` (kept aligned when a later step, mining, drops rows)."""
    import pyarrow.compute as pc

    rows = data.dataset
    if "_false_negatives" in rows.column_names:
        refused = pc.sum(rows.with_format("arrow", columns=["_false_negatives"])[:]["_false_negatives"]).as_py()
        data.stats[FALSE_NEGATIVES] += int(refused or 0)
        rows = data.dataset = rows.remove_columns("_false_negatives")
    if column not in rows.column_names:
        _take_groups(data)
        return
    reasons = rows.with_format("arrow", columns=[column])[:][column]
    counts = pc.value_counts(reasons).to_pylist()
    dropped = {int(c["values"]): int(c["counts"]) for c in counts if c["values"]}
    for code, count in sorted(dropped.items()):
        data.stats[DROP_REASONS[code]] += count
        data.notes.append(f"{count} {DROP_REASONS[code]}")
    if dropped:
        if data.groups is not None:
            data.groups = data.groups[pc.equal(reasons, 0).to_numpy(zero_copy_only=False)]
        rows = rows.with_format("arrow").filter(
            lambda t: pc.equal(t[column], 0),
            batched=True,
            batch_size=MAP_BATCH_SIZE,
            new_fingerprint=fingerprint(key, "filter"),
        )
        rows = rows.with_format(None)
    data.dataset = rows.remove_columns(column)
    _take_groups(data)


def _take_groups(data: TrainingData) -> None:
    from .groups import COLUMN

    if COLUMN in data.dataset.column_names:
        keys = data.dataset.with_format("arrow", columns=[COLUMN])[:][COLUMN]
        data.groups = keys.to_numpy(zero_copy_only=False).astype("int64")
        data.dataset = data.dataset.remove_columns(COLUMN)


def cache_exists(dataset, key: str) -> bool:
    """Whether `datasets` already holds the map result for this fingerprint (it names files cache-<fp>.arrow)."""
    files = getattr(dataset, "cache_files", None) or []
    return bool(files) and any(Path(files[0]["filename"]).parent.glob(f"cache-{key}*.arrow"))


def cache_location(data: TrainingData) -> str | None:
    files = getattr(data.dataset, "cache_files", None) or []
    return files[-1]["filename"] if files else None
