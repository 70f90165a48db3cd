"""Shared pieces of the data formats: text validation, seeded per-row randomness, IR data."""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ...errors import DataError


def clean_text(value: Any, row: int, column: str, where: str) -> str:
    """A required text cell: a non-empty string (stripped)."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    got = "an empty string" if value == "" or (isinstance(value, str) and not value.strip()) else (
        "None" if value is None else f"a {type(value).__name__} ({str(value)[:40]!r})")
    raise DataError(f"{where}: row {row}, column `{column}`: expected a non-empty string, got {got}; "
                    "fix or drop that row")


def clean_list(value: Any, row: int, column: str, where: str) -> list[str]:
    """A list-of-texts cell. None means empty; empty strings inside the list are skipped."""
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise DataError(f"{where}: row {row}, column `{column}`: expected a list of strings, got a "
                        f"{type(value).__name__} ({str(value)[:40]!r}); wrap single texts in a list")
    out = []
    for item in value:
        if item is None or (isinstance(item, str) and not item.strip()):
            continue
        if not isinstance(item, str):
            raise DataError(f"{where}: row {row}, column `{column}`: expected strings in the list, got a "
                            f"{type(item).__name__} ({str(item)[:40]!r})")
        out.append(item.strip())
    return out


def row_rng(seed: int, row: int) -> random.Random:
    """A generator that depends only on (seed, row): identical across runs, processes and batch sizes."""
    digest = hashlib.blake2b(f"{seed}:{row}".encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "little"))


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
        return (f"{len(self.queries)} queries, {len(self.corpus)} documents, "
                f"{sum(len(v) for v in self.relevant_docs.values())} relevant pairs")
