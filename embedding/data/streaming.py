"""Streamed training rows (`datasets.train.streaming: true`): data larger than memory, read shard by shard.

Each data file is one shard, read with `datasets.load_dataset(..., streaming=True)` in Arrow batches and turned
into training rows by the format's own batched map function, with each row's raw index as in the in-memory path
(the file's offset + its row): the same seeded per-row rules give the same rows. One counting pass at start-up
(memory flat: one batch at a time) gives each shard's raw offset and row count, the drop notes, and the exact
length the trainer needs: with it, the trainer's epoch arithmetic and its skip of consumed batches on `--resume`
are exact. The order is datasets' seeded shard shuffle plus a bounded shuffle buffer, reseeded per epoch.
Shards split across processes (`shard`, which accelerate calls when each process reads its own data:
training/arguments.py turns accelerate's dispatching off for streams with a shard per process) and across
dataloader workers (datasets' own split). Every process then yields the same number of rows per epoch (the
smallest share; the few rows over it in larger shares are left out of that epoch, a different few each epoch),
so every process runs the same number of steps and none waits at an epoch's end for a gradient that never comes.
"""

from __future__ import annotations

import gzip
import zlib
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import datasets
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import DataError
from .local import json_lines_problem
from .rows import DROP_REASONS, FALSE_NEGATIVES

# Raw rows per batch read from a shard. datasets' shuffle reads up to 10 shards at once (a thread each), each
# holding one batch and its training rows: this bounds the stream's memory, whatever the data's size. Rows never
# depend on it (per-row seeds follow the raw index).
BATCH_ROWS = 1_000
# How much of a file the reader parses at once (json: 10 MiB by default, the whole file below that size): small,
# so that a shard's memory stops growing with its file at a few MiB. A dataset's own `args` win.
READ_CHUNK = {"json": {"chunksize": 1 << 20}}
# Rows held by the shuffle buffer: bounded memory, and enough to mix the rows of a few thousand raw rows.
SHUFFLE_BUFFER = 10_000
MARKERS = ("_drop", "_group", "_false_negatives")


@dataclass(frozen=True)
class Part:
    """One shard: a data file, read as `load_dataset(builder, data_files=[file], **options)`."""

    builder: str
    file: str
    options: tuple = ()  # sorted (key, value) pairs of the other load_dataset arguments
    offset: int = 0  # raw index of the file's first row (after `limit`)
    raw: int = 0  # raw rows read from it
    rows: int = 0  # training rows it yields


@dataclass(frozen=True)
class Recipe:
    """What turns a shard's raw batches into training rows: renames, limit, the format's map function."""

    fn: Any
    renames: tuple = ()  # (their column, our column)
    limit: int | None = None


def raw_batches(part: Part, renames: tuple = (), limit: int | None = None):
    """(first raw index, Arrow table) per batch of the shard, its columns renamed, cut at `limit` raw rows."""
    first = part.offset
    for table in _read(part):
        if limit is not None and first + len(table) > limit:
            table = table.slice(0, max(0, limit - first))
        if not len(table):
            return
        yield first, rename(table, renames)
        first += len(table)


# What a reader raises on a damaged file: Arrow's JSON / CSV parser, a cut-short .gz (EOFError), bad bytes.
READ_ERRORS = (pa.ArrowInvalid, EOFError, UnicodeDecodeError, zlib.error, gzip.BadGzipFile)


def _read(part: Part):
    """The shard's Arrow batches; a damaged file is a DataError naming it and its line, not the reader's exception.

    Raised at the count pass of a start or a resume (every shard is read then), or mid-training if a file is
    changed under a running stream. Checkpoints are kept: once the file is put back as it was, `--resume`
    continues (a file changed on purpose is refused by the stream's fingerprint, resume.py).
    """
    options = {**READ_CHUNK.get(part.builder, {}), **dict(part.options)}
    try:  # the json reader reads the file's first block already in load_dataset
        stream = datasets.load_dataset(part.builder, data_files=[part.file], split="train", streaming=True, **options)
        yield from stream.with_format("arrow").iter(batch_size=BATCH_ROWS)
    except READ_ERRORS as exc:
        problem = json_lines_problem(Path(part.file)) or f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
        raise DataError(
            f"streamed data file {part.file}: {problem}. Checkpoints of the run are kept: fix the file (or put "
            "back the one the run started with), then run again with --resume"
        ) from None


def rename(table: pa.Table, renames: tuple) -> pa.Table:
    """`preprocess_args.columns` on one batch: a column mapped onto ours replaces one already named so."""
    if not renames:
        return table
    mapping = dict(renames)
    ours = set(mapping.values())
    keep = [c for c in table.column_names if c in mapping or c not in ours]
    return table.select(keep).rename_columns([mapping.get(c, c) for c in keep])


def training_batch(recipe: Recipe, first: int, table: pa.Table) -> pa.Table:
    """The format's rows of one raw batch, markers included (indices = raw row numbers, as in memory)."""
    return recipe.fn(table, list(range(first, first + len(table))))


def kept(rows: pa.Table) -> pa.Table:
    """The rows a run trains on: marker rows removed, bookkeeping columns dropped."""
    if "_drop" in rows.column_names:
        rows = rows.filter(pc.equal(rows["_drop"], 0))
    return rows.drop_columns([c for c in MARKERS if c in rows.column_names])


def count(parts: list[Part], recipe: Recipe, where: str) -> tuple[list[Part], Counter, Any]:
    """One pass over every shard: each one's offset, raw and kept rows; the drop counts; the rows' features."""
    stats: Counter = Counter()
    counted, offset, features = [], 0, None
    for part in parts:
        part = replace(part, offset=offset)
        raw = rows = 0
        for first, table in raw_batches(part, recipe.renames, recipe.limit):
            out = training_batch(recipe, first, table)
            tally(out, stats)
            clean = kept(out)
            raw, rows = raw + len(table), rows + len(clean)
            features = features or datasets.Features.from_arrow_schema(clean.schema)
        counted.append(replace(part, raw=raw, rows=rows))
        offset += raw
    if not offset:
        raise DataError(f"{where}: the data has no rows; point `name` at data with rows")
    return counted, stats, features


def tally(rows: pa.Table, stats: Counter) -> None:
    """Count marker rows by reason and refused false negatives, as rows.drop_markers does in memory."""
    if "_false_negatives" in rows.column_names:
        stats[FALSE_NEGATIVES] += int(pc.sum(rows["_false_negatives"]).as_py() or 0)
    if "_drop" in rows.column_names:
        codes, counts = np.unique(rows["_drop"].to_numpy(zero_copy_only=False), return_counts=True)
        for code, n in zip(codes.tolist(), counts.tolist(), strict=True):
            if code:
                stats[DROP_REASONS[code]] += n


def generate(parts: list[Part], recipe: Recipe):
    """datasets' generator: the training rows of the given shards, in order."""
    for part in parts:
        for first, table in raw_batches(part, recipe.renames, recipe.limit):
            yield from kept(training_batch(recipe, first, table)).to_pylist()


def split_parts(parts: list[Part], num_shards: int, index: int, contiguous: bool = True) -> list[Part]:
    """The shards process (or worker) `index` of `num_shards` reads: as datasets' own `shard` splits them."""
    if not 0 <= index < num_shards:
        raise ValueError(f"shard index {index} outside 0..{num_shards - 1}")
    if not contiguous:
        return parts[index::num_shards]
    size, extra = divmod(len(parts), num_shards)
    start = index * size + min(index, extra)
    return parts[start : start + size + (index < extra)]


class RowStream(datasets.IterableDataset):
    """The training rows of some shards, shuffled per (seed, epoch); `len()` is their exact row count."""

    def __init__(
        self,
        parts: list[Part],
        recipe: Recipe,
        features,
        *,
        seed: int,
        buffer: int = SHUFFLE_BUFFER,
        rows: int | None = None,
    ):
        self.parts, self.recipe, self.seed, self.buffer = list(parts), recipe, seed, buffer
        self.row_features = features
        total = sum(part.rows for part in self.parts)
        self.rows = total if rows is None else min(rows, total)
        self.left_out = total - self.rows  # rows per epoch over this process's equal share
        stream = datasets.IterableDataset.from_generator(
            generate, features=features, gen_kwargs={"parts": self.parts, "recipe": recipe}
        ).shuffle(seed=seed, buffer_size=buffer)
        if self.left_out:
            stream = stream.take(self.rows)
        super().__init__(
            ex_iterable=stream._ex_iterable,
            info=stream._info,
            split=stream._split,
            formatting=stream._formatting,
            distributed=stream._distributed,
            token_per_repo_id=stream._token_per_repo_id,
        )

    def __len__(self) -> int:
        return self.rows

    def process_split(self, processes: int) -> tuple[bool, int]:
        """(whether each of `processes` reads its own shards, rows per epoch left out to keep their shares equal).

        A process needs at least one shard (data file) of its own; with fewer files than processes rank 0 reads
        the stream and accelerate hands every process its batches."""
        if processes <= 1 or len(self.parts) < processes:
            return False, 0
        shares = [sum(p.rows for p in split_parts(self.parts, processes, i)) for i in range(processes)]
        return True, sum(shares) - min(shares) * processes

    def shard(self, num_shards: int, index: int, contiguous: bool = True) -> RowStream:
        """Process `index` of `num_shards`: its own shards only, cut to the smallest process's row count."""
        shares = [sum(p.rows for p in split_parts(self.parts, num_shards, i, contiguous)) for i in range(num_shards)]
        parts = split_parts(self.parts, num_shards, index, contiguous)
        equal = min(min(shares), self.rows)
        return RowStream(parts, self.recipe, self.row_features, seed=self.seed, buffer=self.buffer, rows=equal)
