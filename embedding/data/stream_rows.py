"""Streamed training rows of one objective: the format decided from the first batch, then counted and streamed.

The in-memory counterpart is preprocess.training_rows; the formats and their seeded per-row map functions are
the same. Formats whose rows need the whole dataset at once (labeled groups, BEIR folders) are refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import DataError
from .checks import typed_args
from .formats import FORMATS, detect
from .preprocess import _undetected, typed_common
from .rows import DROP_REASONS, TrainingData, fingerprint
from .streaming import Part, Recipe, RowStream, raw_batches

# Formats whose map function needs one batch at a time (efaq reads the whole data only for rows short of negatives).
STREAMABLE = ("efaq", "pairs", "scored-pairs")


@dataclass(frozen=True)
class Columns:
    """The raw data as a format's `rows` sees it: its column names, and (rarely, e.g. efaq's pool of negatives
    for rows short of them) a full read of a few columns, one batch at a time."""

    column_names: list
    parts: tuple
    renames: tuple
    limit: int | None

    def with_format(self, kind: str, columns: list[str] | None = None) -> _Whole:
        return _Whole(self, columns or self.column_names)


@dataclass(frozen=True)
class _Whole:
    raw: Columns
    columns: list

    def __getitem__(self, key: slice):
        """`[:]`, the only read a format makes of it: every row of the chosen columns."""
        import pyarrow as pa

        tables = [t.select(self.columns) for part in self.raw.parts for _, t in self._batches(part)]
        return pa.concat_tables(tables)

    def _batches(self, part: Part):
        return raw_batches(part, self.raw.renames, self.raw.limit)


def streamed_rows(parts: list[Part], kind: str, args: dict[str, Any], *, seed: int, where: str) -> TrainingData:
    """Training rows of `parts` for a `contrastive` or `similarity` objective, as a RowStream (exact `len`)."""
    from .streaming import count

    common = typed_common(args, where)
    first = next(raw_batches(parts[0]), None)
    if first is None:
        raise DataError(f"{where}: {parts[0].file} has no rows; point `name` at data with rows")
    names = first[1].column_names
    missing = [theirs for theirs in common.columns.values() if theirs not in names]
    if missing:
        raise DataError(
            f"{where}.preprocess_args.columns: column(s) {', '.join(missing)} not in the dataset; "
            f"it has {', '.join(names)}"
        )
    renames = tuple((theirs, ours) for ours, theirs in common.columns.items() if theirs != ours)
    raw = Columns(list(_renamed(names, renames)), tuple(parts), renames, common.limit)
    fmt = common.format or detect(raw.column_names)
    if fmt is None:
        raise _undetected(raw.column_names, kind, where)
    if fmt not in STREAMABLE:
        raise DataError(
            f"{where}.streaming: the `{fmt}` format needs the whole dataset at once and cannot be streamed "
            f"(streamable: {', '.join(STREAMABLE)}); set streaming: false"
        )
    typed = typed_args(kind, fmt, args, where)
    FORMATS[fmt].check_columns(raw, where)
    recipe = Recipe(FORMATS[fmt].rows(raw, kind, typed, seed=seed, where=where).fn, renames, common.limit)
    parts, stats, features = count(parts, recipe, where)
    rows = RowStream(parts, recipe, features, seed=seed)
    rows._fingerprint = fingerprint([(p.file, p.raw, p.rows) for p in parts], fmt, kind, typed.model_dump(), seed)
    data = TrainingData(rows, fmt, sum(p.raw for p in parts), stats=stats)
    data.notes = [f"{stats[text]} {text}" for _, text in sorted(DROP_REASONS.items()) if stats[text]]
    if not len(rows):
        raise DataError(
            f"{where}: preprocessing produced no rows ({data.raw_rows} raw rows); "
            + "; ".join(data.notes or ["check the data and preprocess_args"])
        )
    return data


def _renamed(names: list[str], renames: tuple) -> list[str]:
    mapping = dict(renames)
    ours = set(mapping.values())
    return [mapping.get(c, c) for c in names if c in mapping or c not in ours]
