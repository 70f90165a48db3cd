"""Apply a dataset spec's `filter` (config/filters.py) to the loaded split, before any preprocessing.

Vectorised Arrow comparisons, no expressions. The result is a `datasets` filter with a fingerprint derived from the
input's fingerprint and the filter, so the filtered rows are cached and every later step's cache key changes
with the filter. The count of rows filtered out travels with the dataset object (`filtered_out`), for
`embedding preprocess` and the banner.
"""

from __future__ import annotations

from typing import Any

from ..config.filters import RowFilter, describe
from ..errors import DataError
from .rows import MAP_BATCH_SIZE, fingerprint

FILTER_VERSION = "filter-v1"  # bump when the rows a filter keeps change for the same inputs


def check_filter_columns(dataset, row_filter: RowFilter, where: str) -> None:
    """Every filtered column exists, has a type its conditions can compare, and `in` / `not_in` values of that
    type; else a DataError naming the key path and the fix."""
    import pyarrow as pa

    for column, spec in row_filter.items():
        at = f"{where}.filter.{column}"
        if column not in dataset.column_names:
            raise DataError(
                f"{at}: no column `{column}` in the dataset; it has {', '.join(dataset.column_names)}. The filter "
                "names the dataset's own columns (before preprocess_args.columns renames them)"
            )
        kind = dataset.data.schema.field(column).type
        numeric = pa.types.is_integer(kind) or pa.types.is_floating(kind)
        text = pa.types.is_string(kind) or pa.types.is_large_string(kind)
        for key, value in spec.conditions().items():
            if key in ("min", "max") and not numeric:
                raise DataError(f"{at}.{key}: column `{column}` holds {kind}, not numbers; {key} compares numbers")
            if key in ("min_length", "max_length") and not text:
                raise DataError(f"{at}.{key}: column `{column}` holds {kind}, not text; {key} counts characters")
            if key in ("in", "not_in"):
                try:
                    _value_set(value, kind)
                except ValueError as error:
                    raise DataError(f"{at}.{key}: {error}") from None


def _keep(table, row_filter: RowFilter):
    """The boolean mask of the rows of an Arrow table that pass every condition."""
    import pyarrow as pa
    import pyarrow.compute as pc

    keep = pa.array([True] * table.num_rows)
    for column, spec in row_filter.items():
        col = table.column(column)
        for key, value in spec.conditions().items():
            if key == "min":
                test = pc.greater_equal(col, value)
            elif key == "max":
                test = pc.less_equal(col, value)
            elif key == "min_length":
                test = pc.greater_equal(pc.utf8_length(col), value)
            elif key == "max_length":
                test = pc.less_equal(pc.utf8_length(col), value)
            else:
                member = pc.fill_null(pc.is_in(col, value_set=_value_set(value, col.type)), False)
                test = member if key == "in" else pc.invert(member)
            keep = pc.and_(keep, pc.fill_null(test, False))  # a null cell meets no condition
    return keep


def _value_set(values: list[Any], kind):
    """`in` / `not_in` values as an Arrow array of the column's type (1 and 1.0 match a float column alike)."""
    import pyarrow as pa

    try:
        return pa.array(values).cast(kind)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as error:
        raise ValueError(f"{values} cannot be compared with a {kind} column ({error})") from None


def apply_filter(dataset, row_filter: RowFilter | None, where: str):
    """The rows of `dataset` that pass `row_filter` (in their order), with `filtered_out` = (count, description)."""
    if not row_filter:
        return dataset
    check_filter_columns(dataset, row_filter, where)
    spec = {column: conditions.conditions() for column, conditions in row_filter.items()}
    kept = dataset.with_format("arrow").filter(
        lambda table: _keep(table, row_filter),
        batched=True,
        batch_size=MAP_BATCH_SIZE,
        new_fingerprint=fingerprint(dataset._fingerprint, spec, FILTER_VERSION),
        desc=f"filter {where}",
    )
    kept = kept.with_format(None)
    kept.filtered_out = (len(dataset) - len(kept), describe(row_filter))
    if len(kept) == 0:
        raise DataError(
            f"{where}.filter: no row of the {len(dataset):,} passes `{describe(row_filter)}`; loosen the filter"
        )
    return kept


def filtered_out(dataset) -> tuple[int, str] | None:
    """(rows filtered out, the filter as text) when `dataset` came through `apply_filter`, else None."""
    return getattr(dataset, "filtered_out", None)
