"""Scored pairs: rows of `sentence1`, `sentence2`, `score` (STS-B, ASSIN 2, ...) for the STS evaluator."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
from pydantic import Field, field_validator

from ...errors import DataError
from ..args import DataArgs
from ..groups import text_keys
from .base import Recipe
from .common import IRData, clean_text, first_true, python_cells, text_column

COLUMNS = ("sentence1", "sentence2", "score")


@dataclass
class ScoredPairs:
    """Parallel lists of sentence pairs and their gold similarity."""

    sentences1: list[str] = field(default_factory=list)
    sentences2: list[str] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.scores)

    def summary(self) -> str:
        distinct = len(set(self.sentences1) | set(self.sentences2))
        return f"{len(self)} pairs, {distinct} distinct sentences"


def check_columns(dataset, where: str) -> None:
    """Raise a DataError naming the missing columns and how to map them."""
    missing = [c for c in COLUMNS if c not in dataset.column_names]
    if missing:
        raise DataError(
            f"{where}: column(s) {', '.join(missing)} missing for the scored-pairs format; the dataset "
            f"has {', '.join(dataset.column_names)}. Map yours with preprocess_args.columns "
            "(e.g. columns: {sentence1: premise, sentence2: hypothesis, score: similarity})"
        )


def _score(value: Any, row: int, labels: dict[str, float] | None, where: str) -> float:
    if isinstance(value, str) and labels is not None:
        if value not in labels:
            raise DataError(
                f"{where}: row {row}, column `score`: label {value!r} is not in "
                f"preprocess_args.name_to_label ({', '.join(labels)}); add it there"
            )
        return float(labels[value])
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        hint = "; map text labels to numbers with preprocess_args.name_to_label" if isinstance(value, str) else ""
        raise DataError(f"{where}: row {row}, column `score`: expected a finite number, got {value!r}{hint}")
    return float(value)


def scored_pairs(dataset, *, where: str, name_to_label: dict[str, float] | None = None) -> ScoredPairs:
    """Validate and collect the pairs of a `datasets.Dataset` (or any iterable of row dicts).

    Args:
        dataset: Rows with `sentence1`, `sentence2` and `score`.
        where: Config key path for error messages.
        name_to_label: Optional mapping for text scores, e.g. {similar: 1, dissimilar: 0}.

    Returns:
        The pairs, texts stripped, scores as floats.

    Raises:
        DataError: An empty text, a non-numeric score, or fewer than two pairs (a correlation needs them).
    """
    pairs = ScoredPairs()
    for row, item in enumerate(dataset):
        pairs.sentences1.append(clean_text(item.get("sentence1"), row, "sentence1", where))
        pairs.sentences2.append(clean_text(item.get("sentence2"), row, "sentence2", where))
        pairs.scores.append(_score(item.get("score"), row, name_to_label, where))
    if len(pairs) < 2:
        raise DataError(f"{where}: {len(pairs)} pair(s); a correlation needs at least 2")
    if len(set(pairs.scores)) < 2:
        raise DataError(
            f"{where}: every pair has the same score ({pairs.scores[0]}); Spearman/Pearson are "
            "undefined for constant scores"
        )
    return pairs


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
    return pa.table(
        {
            "anchor": anchor,
            "candidate": candidate,
            "label": pa.array(scores, pa.float64()),
            "_group": pa.array(text_keys(anchor)),  # the anchor text
        }
    )


class ScoredPairsArgs(DataArgs):
    score_range: list[float] | None = Field(
        None, description="[min, max] of the scores, rescaled to 0-1 (ASSIN 2: [0.2, 1.0]); null = used as given."
    )
    name_to_label: dict[str, float] | None = Field(
        None, description="Numbers for text scores, e.g. {entailment: 1, neutral: 0}; null = scores are numbers."
    )

    @field_validator("score_range")
    @classmethod
    def check_range(cls, value: list[float] | None) -> list[float] | None:
        if value is not None and not (len(value) == 2 and value[0] < value[1]):
            raise ValueError(f"expected [min, max] with min < max, got {value}")
        return value


class ScoredPairsFormat:
    name = "scored-pairs"
    columns = COLUMNS
    args = {"similarity": ScoredPairsArgs}
    cannot = "scored pairs have no positives/negatives; use pairs, labeled or e-faq data"

    def check_columns(self, raw, where: str) -> None:
        check_columns(raw, where)

    def rows(self, raw, use: str, args, *, seed: int, where: str) -> Recipe:
        check_columns(raw, where)
        batch = partial(scored_batch, score_range=args.score_range, name_to_label=args.name_to_label, where=where)
        return Recipe(batch)

    def retrieval(self, raw, args, *, seed: int, where: str) -> IRData:
        raise NotImplementedError("scored pairs feed no retrieval evaluator")
