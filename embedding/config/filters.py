"""Row filters of a dataset spec: `filter: {score: {min: 4.0}, label: {in: [a, b]}, text: {max_length: 200}}`.

A small fixed vocabulary, no expressions: a config never runs code. Every condition on a column must hold for a
row to stay (all columns, all their conditions). Pydantic and the standard library only (`validate` is instant);
the data layer applies them (`embedding.data.filtering`).
"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field, model_validator

from ..errors import did_you_mean
from .strict import Strict

Value = str | int | float | bool


class ColumnFilter(Strict):
    """Conditions on one column; a row is kept when all of them hold (null cells never meet a condition,
    except `not_in`)."""

    # `in` is a Python keyword: the field is `in_`, but configs and dumps (config.resolved.yaml) say `in`.
    model_config = ConfigDict(**Strict.model_config, serialize_by_alias=True)

    min: float | None = Field(None, description="Keep rows whose value is >= min (a numeric column).")
    max: float | None = Field(None, description="Keep rows whose value is <= max (a numeric column).")
    in_: list[Value] | None = Field(
        None, alias="in", min_length=1, description="Keep rows whose value is one of these."
    )
    not_in: list[Value] | None = Field(None, min_length=1, description="Drop rows whose value is one of these.")
    min_length: int | None = Field(None, ge=0, description="Keep texts of at least this many characters.")
    max_length: int | None = Field(None, ge=0, description="Keep texts of at most this many characters.")

    @model_validator(mode="before")
    @classmethod
    def check_known_conditions(cls, data: Any) -> Any:
        # Said here, not by `extra="forbid"`: the generic message cannot list the keys under a column name.
        known = [field.alias or name for name, field in cls.model_fields.items()]
        unknown = [key for key in data if key not in known] if isinstance(data, dict) else []
        if unknown:
            raise ValueError(
                f"unknown condition `{unknown[0]}`{did_you_mean(str(unknown[0]), known)}; valid: {', '.join(known)}"
            )
        return data

    @model_validator(mode="after")
    def check_consistent(self) -> ColumnFilter:
        if not self.conditions():
            raise ValueError("give at least one of min, max, in, not_in, min_length, max_length")
        for low, high in (("min", "max"), ("min_length", "max_length")):
            a, b = getattr(self, low), getattr(self, high)
            if a is not None and b is not None and a > b:
                raise ValueError(f"{low} ({a}) is larger than {high} ({b}): no row could pass")
        return self

    def conditions(self) -> dict[str, Any]:
        """The conditions given, by their config names (`in`, not `in_`)."""
        return self.model_dump(by_alias=True, exclude_none=True)


RowFilter = dict[str, ColumnFilter]


def describe(row_filter: RowFilter) -> str:
    """`score.min=4.0, label.in=[a, b]`: the filter as the banner and `preprocess` name it."""

    def show(value: Any) -> str:
        return "[" + ", ".join(map(str, value)) + "]" if isinstance(value, list) else str(value)

    return ", ".join(
        f"{column}.{key}={show(value)}"
        for column, spec in row_filter.items()
        for key, value in spec.conditions().items()
    )
