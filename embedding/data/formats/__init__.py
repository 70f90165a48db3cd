"""The data formats, registered in one place: add a module that implements `base.Format`, then one line below.

Registration order is detection order: the first format whose `columns` the data has is used when
`preprocess_args.format` is not set.
"""

from __future__ import annotations

from .base import Format, Recipe
from .beir import Beir
from .efaq import Efaq
from .labeled import Labeled
from .pairs import Pairs
from .scored_pairs import ScoredPairsFormat

FORMATS: dict[str, Format] = {}


def register(fmt: Format) -> Format:
    """Make `fmt` known to preprocessing, detection, `validate` and `embedding schema`."""
    FORMATS[fmt.name] = fmt
    return fmt


for _format in (Efaq(), Labeled(), ScoredPairsFormat(), Pairs(), Beir()):
    register(_format)


def detect(columns: list[str]) -> str | None:
    """The first registered format whose identifying columns are all present."""
    return next((f.name for f in FORMATS.values() if f.columns and set(f.columns) <= set(columns)), None)


def for_use(use: str) -> list[str]:
    """Names of the formats that can feed `use` (contrastive | similarity | retrieval), in registration order."""
    return [name for name, fmt in FORMATS.items() if use in fmt.args]


__all__ = ["FORMATS", "Format", "Recipe", "detect", "for_use", "register"]
