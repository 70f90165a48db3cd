"""Length-grouped training batches: less padding, in-batch negatives still random.

Each epoch: a seeded shuffle of the rows (seed, epoch), cut into mega-batches of `mega_batch` x batch_size rows;
each mega-batch is sorted by row length and cut into batches; the order of all batches is shuffled. A batch
thus holds random rows of one length band of a random 1/`n_mega` of the data, and the long batches are spread
over the epoch. Same seed + epoch -> same batches, so the trainer's skip-on-resume lands on the same rows.

Row length = the MAX over the text columns of the token count: the one-forward loss (`embed_columns(...,
separate_first=False)`) pads every column of a batch to the longest text of the batch. On aia-bde/efaq
(MiniLM tokenizer, 5 columns, batch 32, mega-batch 32) the padded share of the tokens falls from 83 % to 46 %
with the max key and only to 63 % with the sum key. Token counts are exact (each distinct text is tokenized
once, ~10k texts/s on one core); a character-count proxy groups worse (49 % at the same sizes).

`no_duplicates` keeps its guarantee: the batches are filled greedily along the sorted stream and a row whose text
is already in the batch is deferred to the next batch (it stays in its length band), like sentence-transformers'
NoDuplicatesBatchSampler; every epoch yields exactly `len(sampler)` batches, so step counts and resume agree.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain

import numpy as np
from sentence_transformers.base.sampler import DefaultBatchSampler

logger = logging.getLogger(__name__)

DEFAULT_MEGA_BATCH = 32  # efaq, batch 32: padding 58 % (8), 50 % (16), 46 % (32), 44 % (64), 44 % (full sort)
# args.batch_sampler values the grouped sampler replaces -> whether it must keep the no-duplicates guarantee.
GROUPABLE = {"batch_sampler": False, "no_duplicates": True, "no_duplicates_hashed": True}
_CACHE: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}  # (fingerprint, tokenizer, ...) -> (lengths, value ids)


def padding_fraction(lengths_per_batch: Iterable[Sequence[int]]) -> float:
    """Share of padding tokens when each group of sequences is padded to its longest one (one forward each)."""
    real = padded = 0
    for lengths in lengths_per_batch:
        lengths = np.asarray(lengths)
        if lengths.size:
            real += int(lengths.sum())
            padded += int(lengths.size * lengths.max())
    return 1.0 - real / padded if padded else 0.0


def text_columns(dataset, valid_label_columns: Sequence[str] | None = None) -> list[str]:
    skip = {*(valid_label_columns or ()), "dataset_name"}
    return [c for c in dataset.column_names if c not in skip]


def column_stats(dataset, columns: Sequence[str], tokenizer=None, max_length: int | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(lengths, value ids), both (rows, columns): token counts (characters without a tokenizer) and exact ids of
    each cell's value, equal across columns for equal values (for the no-duplicates check). Cached per process."""
    import pyarrow as pa

    key = (getattr(dataset, "_fingerprint", None) or id(dataset), len(dataset), tuple(columns),
           getattr(tokenizer, "name_or_path", None), len(tokenizer) if tokenizer is not None else 0, max_length)
    if key in _CACHE:
        return _CACHE[key]
    table = dataset.with_format("arrow")[:]  # honours select/shuffle index mappings
    cells = []
    for column in columns:
        array = table.column(column).combine_chunks()
        if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
            array = pa.array([str(v) for v in array.to_pylist()])  # lists, numbers: compared by their str()
        cells.append(array.cast(pa.large_string()))
    encoded = pa.chunked_array(cells).combine_chunks().dictionary_encode()
    ids = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64).reshape(len(columns), -1).T
    uniques = encoded.dictionary.to_pylist()
    lengths = _token_counts(uniques, tokenizer, max_length)[ids]
    _CACHE[key] = (lengths, ids)
    return lengths, ids


def _token_counts(texts: list[str], tokenizer, max_length: int | None) -> np.ndarray:
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None:
        from tokenizers import Tokenizer

        fast = Tokenizer.from_str(backend.to_str())  # a copy: the model's tokenizer keeps its own settings
        fast.no_truncation()
        fast.no_padding()
        encode = getattr(fast, "encode_batch_fast", fast.encode_batch)
        counts = np.array([len(e.ids) for e in encode(texts)], dtype=np.int64)
    elif tokenizer is not None:
        counts = np.array([len(ids) for ids in tokenizer(texts)["input_ids"]], dtype=np.int64)
    else:
        counts = np.array([len(t) for t in texts], dtype=np.int64)
    return np.minimum(counts, max_length) if max_length else counts


class LengthGroupedBatchSampler(DefaultBatchSampler):
    """A sentence-transformers batch sampler (same constructor + `set_epoch`) that groups rows by length.

    Args beyond sentence-transformers' own: `lengths` ((rows,) or (rows, columns) token counts; computed from the
    dataset with `tokenizer` when None), `max_length` (the model's truncation), `mega_batch` (batches per sorted
    group: larger = less padding, less random company), `no_duplicates` (keep the NoDuplicates guarantee).
    """

    def __init__(self, dataset, batch_size: int, drop_last: bool, valid_label_columns: list[str] | None = None,
                 generator=None, seed: int = 0, *, lengths=None, tokenizer=None, max_length: int | None = None,
                 mega_batch: int = DEFAULT_MEGA_BATCH, no_duplicates: bool = False) -> None:
        super().__init__(dataset, batch_size=batch_size, drop_last=drop_last,
                         valid_label_columns=valid_label_columns, generator=generator, seed=seed)
        self.dataset = dataset
        self.mega_batch = max(1, int(mega_batch))
        self.no_duplicates = no_duplicates
        self.ids = None
        if lengths is None or no_duplicates:
            stats = column_stats(dataset, text_columns(dataset, valid_label_columns), tokenizer, max_length)
            self.column_lengths, self.ids = stats
        if lengths is not None:
            self.column_lengths = np.asarray(lengths).reshape(len(dataset), -1)
        self.lengths = self.column_lengths.max(axis=1) if len(dataset) else np.zeros(0, np.int64)

    def __len__(self) -> int:  # every epoch yields exactly this many batches (the trainer plans with it)
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[list[int]]:
        yield from self.batches(self.epoch)

    def batches(self, epoch: int) -> list[list[int]]:
        """All batches of `epoch`, in training order (a pure function of seed, epoch and the data)."""
        n, size = len(self.dataset), self.batch_size
        # Own RNG, not the trainer's shared generator: the batches must not depend on who drew from it before.
        rng = np.random.default_rng([int(self.seed or 0), int(epoch), n])
        order = rng.permutation(n)
        span = self.mega_batch * size
        # Stable sort after the shuffle: rows of equal length stay in random order.
        stream = np.concatenate([m[np.argsort(self.lengths[m], kind="stable")]
                                 for m in np.array_split(order, range(span, n, span))] or [order])
        batches = [stream[i:i + size].tolist() for i in range(0, n, size)]
        if self.drop_last and batches and len(batches[-1]) < size:
            batches.pop()
        if self.no_duplicates:
            batches, dropped = _without_duplicates(batches, self.lengths, self.ids)
            if dropped:
                logger.warning("no_duplicates + length grouping: %d rows of epoch %d fit in no batch without a "
                               "duplicate text; they sit this epoch out", dropped, epoch)
        return [batches[i] for i in rng.permutation(len(batches))]


def _without_duplicates(batches: list[list[int]], lengths: np.ndarray, ids: np.ndarray
                        ) -> tuple[list[list[int]], int]:
    """Move every row whose text is already in its batch to another batch with room and none of its texts,
    preferring the narrowest batch at least as long as the row (it then adds no padding width).

    Keeps the batch count and sizes (what the trainer planned the epoch and the resume skip with), and places
    every row unless no batch can take it. Rows sharing their longest text share a length band, so on data that
    repeats texts the moved rows are many (aia-bde/efaq, batch 32: 1 in 6); moving them into wide-enough batches
    keeps most of the padding gain, where refilling along the sorted stream (NoDuplicatesBatchSampler's way)
    mixes the bands and loses it."""
    kept, seen, moved = [], [], []
    for batch in batches:
        rows, values = [], set()
        for row, row_values in zip(batch, ids[batch].tolist()):
            if values.isdisjoint(row_values):
                rows.append(row)
                values.update(row_values)
            else:
                moved.append(row)
        kept.append(rows)
        seen.append(values)
    if not moved:
        return kept, 0
    room = [len(b) - len(k) for b, k in zip(batches, kept)]
    width = np.array([lengths[b].max() for b in batches])
    by_width = np.argsort(width, kind="stable")
    up, down = _Skip(len(by_width), +1), _Skip(len(by_width), -1)  # skip full batches in either direction
    dropped = 0
    for row in sorted(moved, key=lambda r: -lengths[r]):  # longest first: they need the scarce wide batches
        row_values = ids[row].tolist()
        start = int(np.searchsorted(width[by_width], lengths[row]))
        for i in chain(up.walk(start), down.walk(start - 1)):
            b = by_width[i]
            if seen[b].isdisjoint(row_values):
                kept[b].append(row)
                seen[b].update(row_values)
                room[b] -= 1
                if not room[b]:
                    up.close(i)
                    down.close(i)
                break
        else:
            dropped += 1
    return kept, dropped


class _Skip:
    """Positions 0..n-1, some closed; `walk(i)` yields the open ones from i on in one direction, skipping closed
    runs in near-constant time (union-find with path halving)."""

    def __init__(self, n: int, step: int) -> None:
        self.n, self.step = n, step
        self.next = list(range(n + 2))  # shifted by one so that -1 and n are valid sentinels

    def _find(self, i: int) -> int:
        nxt = self.next
        while nxt[i + 1] != i + 1:
            nxt[i + 1] = nxt[nxt[i + 1]]
            i = nxt[i + 1] - 1
        return i

    def close(self, i: int) -> None:
        self.next[i + 1] = i + 1 + self.step

    def walk(self, i: int):
        while 0 <= i < self.n:
            i = self._find(i)
            if 0 <= i < self.n:
                yield i
                i += self.step


def _sampler_name(choice) -> str | None:
    """args.batch_sampler as its string value; None for a user's sampler class or function."""
    value = getattr(choice, "value", choice)
    return value if isinstance(value, str) else None


class LengthGroupingMixin:
    """SentenceTransformerTrainer mixin: TRAINING batches come from LengthGroupedBatchSampler when the chosen
    `batch_sampler` is `batch_sampler`, `no_duplicates` or `no_duplicates_hashed` (custom samplers, group_by_label
    and eval batches are left alone, so eval losses stay comparable between runs). Put it right before
    SentenceTransformerTrainer in the bases, so per-objective batch sizes/samplers are already applied."""

    group_by_length: bool = True
    length_mega_batch: int = DEFAULT_MEGA_BATCH
    _building_train_batches: bool = False

    def get_train_dataloader(self):
        self._building_train_batches = True
        try:
            return super().get_train_dataloader()
        finally:
            self._building_train_batches = False

    def get_batch_sampler(self, dataset, batch_size, drop_last, valid_label_columns=None, generator=None, seed=0):
        sampler = self.length_grouped_sampler(dataset, batch_size, drop_last, valid_label_columns, generator, seed)
        if sampler is not None:
            return sampler
        return super().get_batch_sampler(dataset, batch_size, drop_last, valid_label_columns, generator, seed)

    def length_grouped_sampler(self, dataset, batch_size, drop_last, valid_label_columns=None, generator=None,
                               seed=0, *, train: bool | None = None) -> LengthGroupedBatchSampler | None:
        name = _sampler_name(self.args.batch_sampler)
        train = self._building_train_batches if train is None else train
        if not (train and self.group_by_length and name in GROUPABLE and hasattr(dataset, "with_format")
                and hasattr(dataset, "__len__")):
            return None  # IterableDataset (no lengths ahead), custom or label-grouped samplers, eval batches
        model = self.model
        return LengthGroupedBatchSampler(
            dataset, batch_size, drop_last, valid_label_columns, generator, seed,
            tokenizer=getattr(model, "tokenizer", None), max_length=getattr(model, "max_seq_length", None),
            mega_batch=self.length_mega_batch, no_duplicates=GROUPABLE[name])


def describe_padding(trainer) -> str:
    """One line for the startup log: the padded share of the tokens in epoch 0 of each objective, with the
    batches the trainer will use vs a plain shuffle (as padded by the one-forward loss: every text column of a
    batch padded to its longest text). `trainer` is an EmbeddingTrainer (LengthGroupingMixin) before train()."""
    data = trainer.train_dataset
    datasets = dict(data) if hasattr(data, "keys") else {"train": data}
    sizes = list(getattr(trainer, "objective_batch_sizes", None) or []) if len(datasets) > 1 else []
    samplers = list(getattr(trainer, "objective_batch_samplers", None) or []) if len(datasets) > 1 else []
    parts = []
    for i, (name, dataset) in enumerate(datasets.items()):
        size = (sizes[i] if i < len(sizes) else None) or trainer.args.per_device_train_batch_size
        default = trainer.args.batch_sampler
        try:
            if i < len(samplers) and samplers[i]:
                trainer.args.batch_sampler = samplers[i]
            columns = getattr(trainer.data_collator, "valid_label_columns", None)
            grouped = trainer.length_grouped_sampler(dataset, size, trainer.args.dataloader_drop_last, columns,
                                                     None, trainer.args.seed, train=True)
        finally:
            trainer.args.batch_sampler = default
        model = trainer.model
        lengths = grouped.column_lengths if grouped is not None else column_stats(
            dataset, text_columns(dataset, columns), getattr(model, "tokenizer", None),
            getattr(model, "max_seq_length", None))[0]
        order = np.random.default_rng(int(trainer.args.seed or 0)).permutation(len(dataset))
        plain = padding_fraction(lengths[order[i:i + size]].ravel() for i in range(0, len(order), size))
        label = f"{name}: {plain:.0%} of tokens are padding"
        if grouped is not None:
            ours = padding_fraction(lengths[b].ravel() for b in grouped.batches(0))
            label += f" with shuffled batches, {ours:.0%} with length grouping (mega-batch {grouped.mega_batch})"
        parts.append(label)
    return "padding (batch of all text columns, epoch 0): " + "; ".join(parts)
