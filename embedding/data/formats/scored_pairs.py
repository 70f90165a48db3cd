"""Scored pairs: rows of `sentence1`, `sentence2`, `score` (STS-B, ASSIN 2, ...) for the STS evaluator."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ...errors import DataError
from .common import clean_text

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
