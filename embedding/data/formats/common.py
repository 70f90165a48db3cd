"""Shared pieces of the data formats: text validation (per cell and per Arrow column), seeded per-row
randomness (a `random.Random` and a vectorised counter-based hash), IR data."""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...errors import DataError

# Exactly the characters Python's str.strip() removes, so the Arrow path trims like clean_text/clean_list.
PY_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def clean_text(value: Any, row: int, column: str, where: str) -> str:
    """A required text cell: a non-empty string (stripped)."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    got = (
        "an empty string"
        if value == "" or (isinstance(value, str) and not value.strip())
        else ("None" if value is None else f"a {type(value).__name__} ({str(value)[:40]!r})")
    )
    raise DataError(
        f"{where}: row {row}, column `{column}`: expected a non-empty string, got {got}; fix or drop that row"
    )


def clean_list(value: Any, row: int, column: str, where: str) -> list[str]:
    """A list-of-texts cell. None means empty; empty strings inside the list are skipped."""
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise DataError(
            f"{where}: row {row}, column `{column}`: expected a list of strings, got a "
            f"{type(value).__name__} ({str(value)[:40]!r}); wrap single texts in a list"
        )
    out = []
    for item in value:
        if item is None or (isinstance(item, str) and not item.strip()):
            continue
        if not isinstance(item, str):
            raise DataError(
                f"{where}: row {row}, column `{column}`: expected strings in the list, got a "
                f"{type(item).__name__} ({str(item)[:40]!r})"
            )
        out.append(item.strip())
    return out


def row_rng(seed: int, row: int) -> random.Random:
    """A generator that depends only on (seed, row): identical across runs, processes and batch sizes."""
    digest = hashlib.blake2b(f"{seed}:{row}".encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "little"))


def mix64(values) -> np.ndarray:
    """splitmix64 finaliser over a uint64 array: a cheap, well-mixed hash (wrapping arithmetic is intended)."""
    z = np.asarray(values, dtype=np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def text_fingerprints(texts) -> np.ndarray:
    """A 64-bit fingerprint per string of an Arrow string array, from its length and 3 x 8 bytes (start, middle,
    end) read straight from the Arrow buffers: far cheaper than hashing every byte. Equal texts always get equal
    fingerprints; callers must confirm a match by comparing the texts (different texts can share one).
    """
    count = len(texts)
    offsets = np.frombuffer(texts.buffers()[1], dtype=np.int32, count=count + 1, offset=texts.offset * 4)
    buffer = texts.buffers()[2]
    data = np.zeros(int(offsets[-1]) + 8, dtype=np.uint8)
    if buffer is not None:
        data[: offsets[-1]] = np.frombuffer(buffer, dtype=np.uint8, count=int(offsets[-1]))
    # Every byte offset seen as the start of a little-endian uint64 (an unaligned, overlapping view).
    words = np.ndarray(shape=(len(data) - 7,), dtype=np.uint64, buffer=data, strides=(1,))
    starts, lengths = offsets[:-1].astype(np.int64), np.diff(offsets).astype(np.int64)
    short = np.minimum(lengths, 7).astype(np.uint64) * np.uint64(8)  # bits of a text shorter than a word
    mask = np.where(lengths >= 8, np.uint64(0xFFFFFFFFFFFFFFFF), (np.uint64(1) << short) - np.uint64(1))
    fingerprint = lengths.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    for begin, factor in (
        (starts, 1),
        (starts + np.maximum(lengths // 2 - 4, 0), 0xBF58476D1CE4E5B9),
        (starts + np.maximum(lengths - 8, 0), 0x94D049BB133111EB),
    ):
        fingerprint ^= (words[begin] & mask) * np.uint64(factor)  # odd factors: no byte is lost
    return fingerprint


def row_keys(seed: int, rows) -> np.ndarray:
    """One 64-bit stream key per raw row index, depending only on (seed, row): the vectorised row_rng."""
    base = mix64(np.array([seed & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64))
    return mix64(base ^ np.asarray(rows, dtype=np.uint64))


def _sequential_picks(keys, draw, sizes, k: int) -> np.ndarray:
    """Draw j is uniform over the size - j slots not chosen yet, mapped past the chosen ones (any pool size)."""
    out = np.full((len(sizes), k), -1, dtype=np.int64)
    chosen: list[np.ndarray] = []  # ascending columns, so a draw can skip over the taken slots
    stream = mix64(np.asarray(keys, dtype=np.uint64) ^ mix64(np.asarray(draw, dtype=np.uint64) << np.uint64(32)))
    for j in range(k):
        left = sizes - j
        pick = (mix64(stream + np.uint64(j)) % np.maximum(left, 1).astype(np.uint64)).astype(np.int64)
        for taken in chosen:
            pick += pick >= taken
        out[:, j] = np.where(left > 0, pick, -1)
        carry = np.where(left > 0, pick, np.iinfo(np.int64).max)
        for c, taken in enumerate(chosen):  # insert into the sorted columns without a sort
            chosen[c], carry = np.minimum(taken, carry), np.maximum(taken, carry)
        chosen.append(carry)
    return out


def random_picks(keys, draw, sizes, k: int) -> np.ndarray:
    """Per output row i, min(k, sizes[i]) distinct positions in [0, sizes[i]) in random order; -1 pads the rest.

    Positions come from hashes of (row key, draw number, pick number), so the result depends only on the row's
    own key and data, never on batch boundaries or worker count. Exactly uniform up to the modulo bias of a
    64-bit hash; k(k+1)/2 vector passes, cheap for the k of negatives and positives per row.
    """
    keys, draw, sizes = np.asarray(keys), np.asarray(draw), np.asarray(sizes, dtype=np.int64)
    if not len(sizes) or k <= 0:
        return np.full((len(sizes), max(k, 0)), -1, dtype=np.int64)
    return _sequential_picks(keys, draw, sizes, k)


def first_of_group(keys: np.ndarray) -> np.ndarray:
    """For each item, the smallest index holding the same key (itself when it is the first)."""
    order = np.argsort(keys)  # an unstable sort is enough: the minimum of each run is taken explicitly
    ranked = keys[order]
    starts = np.flatnonzero(np.concatenate([[True], ranked[1:] != ranked[:-1]]))
    lead = np.empty(len(keys), dtype=np.int64)
    lead[order] = np.repeat(np.minimum.reduceat(order, starts), np.diff(np.append(starts, len(keys))))
    return lead


def row_rank(rows, n: int):
    """Position of each item within its row (rows sorted), and the item count per row."""
    counts = np.bincount(rows, minlength=n)
    return np.arange(len(rows)) - (np.cumsum(counts) - counts)[rows], counts


def _column(table, column: str):
    import pyarrow as pa

    col = table.column(column)
    if isinstance(col, pa.ChunkedArray):
        return col.chunk(0) if col.num_chunks == 1 else col.combine_chunks()
    return col


def python_cells(col) -> list:
    """Cells as Python values. datasets stores a column of mixed JSON types as JSON text (`Json` feature,
    Arrow extension `arrow.json`), whole cells or list items: those are decoded, so errors show the real value."""
    import json

    import pyarrow as pa

    def is_json(kind) -> bool:
        return getattr(kind, "extension_name", None) == "arrow.json"

    cells = col.to_pylist()
    if is_json(col.type):
        return [None if c is None else json.loads(c) for c in cells]
    if (pa.types.is_list(col.type) or pa.types.is_large_list(col.type)) and is_json(col.type.value_type):
        return [None if c is None else [None if x is None else json.loads(x) for x in c] for c in cells]
    return cells


def first_true(mask) -> int | None:
    hits = np.flatnonzero(np.asarray(mask.to_numpy(zero_copy_only=False) if hasattr(mask, "to_numpy") else mask))
    return int(hits[0]) if len(hits) else None


def text_column(table, column: str, rows, where: str):
    """Stripped texts of a required text column (Arrow); the first bad cell raises clean_text's DataError."""
    import pyarrow as pa
    import pyarrow.compute as pc

    col = _column(table, column)
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        # Not a text column (numbers, lists, mixed JSON): clean_text names the first bad cell and its type.
        return pa.array(
            [clean_text(v, int(rows[i]), column, where) for i, v in enumerate(python_cells(col))], pa.string()
        )
    col = col.cast(pa.string()) if pa.types.is_large_string(col.type) else col
    stripped = pc.utf8_trim(col, characters=PY_WHITESPACE)
    bad = first_true(pc.fill_null(pc.equal(pc.binary_length(stripped), 0), True))
    if bad is not None:
        clean_text(col[bad].as_py(), int(rows[bad]), column, where)
    return stripped


def text_lists(table, column: str, rows, where: str):
    """(stripped non-empty items, batch-local row of each) of a list-of-texts column; None lists are empty."""
    values, parents, _ = text_lists_and_blanks(table, column, rows, where)
    return values, parents


def text_lists_and_blanks(table, column: str, rows, where: str):
    """`text_lists`, plus the batch-local row of every item left out as blank (empty, whitespace-only or null)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if column not in table.column_names:
        return pa.array([], pa.string()), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    col = _column(table, column)
    ok = (pa.types.is_list(col.type) or pa.types.is_large_list(col.type)) and (
        pa.types.is_string(col.type.value_type)
        or pa.types.is_large_string(col.type.value_type)
        or pa.types.is_null(col.type.value_type)
    )
    skipped = np.zeros(0, dtype=np.int64)
    if not ok:  # a str, a number, nested lists...: clean_list names the first bad cell (and skips blanks)
        raw = python_cells(col)
        cells = [clean_list(v, int(rows[i]), column, where) for i, v in enumerate(raw)]
        skipped = np.repeat(np.arange(len(raw)), [len(v or ()) - len(c) for v, c in zip(raw, cells, strict=True)])
        col = pa.array(cells, pa.list_(pa.string()))
    values = pc.list_flatten(col)
    values = values if pa.types.is_string(values.type) else values.cast(pa.string())
    parents = pc.list_parent_indices(col).to_numpy(zero_copy_only=False).astype(np.int64)
    values = pc.utf8_trim(values, characters=PY_WHITESPACE)
    keep = pc.fill_null(pc.greater(pc.binary_length(values), 0), False)
    kept = np.asarray(keep.to_numpy(zero_copy_only=False))
    return values.filter(keep), parents[kept], np.sort(np.concatenate([skipped, parents[~kept]]))


def with_markers(out, codes):
    """Append one marker row (`_drop` = its code) per entry of `codes` to `out`, in `out`'s schema."""
    import pyarrow as pa

    n = len(codes)
    blank = {
        f.name: pa.array([""] * n, f.type) if pa.types.is_string(f.type) else pa.array(np.zeros(n), f.type)
        for f in out.schema
    }
    blank["_drop"] = pa.array(np.asarray(codes, dtype=np.int8))
    return pa.concat_tables([out, pa.table(blank, schema=out.schema)])


@dataclass
class IRData:
    """Queries, corpus and relevance for an InformationRetrievalEvaluator; one id per distinct text."""

    queries: dict[str, str] = field(default_factory=dict)
    corpus: dict[str, str] = field(default_factory=dict)
    relevant_docs: dict[str, set[str]] = field(default_factory=dict)
    stats: Counter = field(default_factory=Counter)
    _qids: dict[str, str] = field(default_factory=dict, repr=False)
    _dids: dict[str, str] = field(default_factory=dict, repr=False)

    def query_id(self, text: str) -> str:
        if text not in self._qids:
            self._qids[text] = f"q{len(self._qids)}"
            self.queries[self._qids[text]] = text
        return self._qids[text]

    def doc_id(self, text: str) -> str:
        if text not in self._dids:
            self._dids[text] = f"d{len(self._dids)}"
            self.corpus[self._dids[text]] = text
        return self._dids[text]

    def drop_queries_without_relevant(self) -> None:
        for qid in [q for q in self.queries if not self.relevant_docs.get(q)]:
            del self.queries[qid]
            self.stats["queries_without_relevant_docs"] += 1

    def as_evaluator_kwargs(self) -> dict[str, Any]:
        return {"queries": self.queries, "corpus": self.corpus, "relevant_docs": self.relevant_docs}

    def summary(self) -> str:
        return (
            f"{len(self.queries)} queries, {len(self.corpus)} documents, "
            f"{sum(len(v) for v in self.relevant_docs.values())} relevant pairs"
        )
