"""What a data format is: the `Format` protocol every module in `formats/` implements once.

A format knows the columns that identify it, the typed `preprocess_args` it reads for each use (contrastive rows,
similarity rows, retrieval data), how to make training rows from a raw `datasets.Dataset`, and how to make IR
data. `formats/__init__.py` registers the formats; nothing else in the package lists them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, Protocol

from ..args import DataArgs
from .common import IRData


class Recipe(NamedTuple):
    """How one (format, objective type) makes rows, and what mining needs to know about the raw data."""

    fn: Callable[..., Any]  # batched Arrow map function (batch, indices) -> pa.Table
    related: Callable[[], dict[str, set[str]]] | None = None  # text -> texts never to be its negative
    corpus: Callable[[], list[str]] | None = None  # texts of the raw data the rows may lack (mining candidates)


class Format(Protocol):
    """One input shape of the data."""

    name: str  # the `preprocess_args.format` value
    columns: tuple[str, ...]  # columns that identify the shape (detection); empty for folder formats
    args: Mapping[str, type[DataArgs]]  # use (contrastive | similarity | retrieval) -> its typed preprocess_args
    cannot: str  # why it feeds no other use, shown when a config asks for one ("" when nothing to add)

    def check_columns(self, raw: Any, where: str) -> None:
        """Raise DataError naming the missing columns and the `columns:` mapping that would fix it."""

    def rows(self, raw: Any, use: str, args: DataArgs, *, seed: int, where: str) -> Recipe:
        """The map function that turns raw batches into contrastive or similarity rows."""

    def retrieval(self, raw: Any, args: DataArgs, *, seed: int, where: str) -> IRData:
        """Queries, corpus and relevant documents for the IR evaluator."""
