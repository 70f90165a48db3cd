"""Length-grouped training batches: less padding, in-batch negatives still drawn at random.

Each epoch: a shuffle seeded by (seed, epoch), cut into mega-batches of `mega_batch` x batch_size rows; each
mega-batch is sorted by row length and cut into batches; the order of all batches is shuffled. A batch holds random
rows of one length band of a random slice of the data. Same seed + epoch -> same batches, so the trainer's
skip-on-resume replays the same rows; every epoch has exactly `len(sampler)` batches.

Row length = the MAX token count over the text columns: the one-forward loss pads every column of a batch to the
batch's longest text. aia-bde/efaq (MiniLM tokenizer, 5 columns, batch 32): padding 81-83 % with shuffled
batches, 46 % grouped by the max, 63 % by the sum; a character-count key groups worse (49 %). Token counts are
exact: each distinct text is tokenized once (~10k texts/s on one core) and cached for the process, and so are its
token ids (token_counts.py: truncated as the model's tokenizer truncates), which token_collator.py pads into
batches instead of tokenizing every step.

Rows that share their longest text share a length band, so on data where one anchor has several positives they
meet in a batch more often than in a shuffle (efaq, batch 32: 5.0 rows per batch share an anchor with another
row, 0.8 when shuffled): with in-batch negatives use `no_duplicates`, which length grouping keeps exactly.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain

import numpy as np
from sentence_transformers.base.sampler import DefaultBatchSampler

from .token_counts import column_stats, text_columns

logger = logging.getLogger(__name__)
_WARNED: set[tuple] = set()  # (seed, epoch, rows, left out, batch size) already reported

DEFAULT_MEGA_BATCH = 32  # efaq, batch 32, padding: 58 % (8), 50 % (16), 46 % (32), 44 % (64 and a full sort)
# args.batch_sampler values the grouped sampler replaces -> whether it keeps the no-duplicates guarantee.
GROUPABLE = {"batch_sampler": False, "no_duplicates": True, "no_duplicates_hashed": True}


def padding_fraction(lengths_per_batch: Iterable[Sequence[int]]) -> float:
    """Share of padding tokens when each group of sequences is padded to its longest one (one forward each)."""
    real = padded = 0
    for lengths in lengths_per_batch:
        lengths = np.asarray(lengths)
        if lengths.size:
            real += int(lengths.sum())
            padded += int(lengths.size * lengths.max())
    return 1.0 - real / padded if padded else 0.0


class LengthGroupedBatchSampler(DefaultBatchSampler):
    """A sentence-transformers batch sampler (same constructor, `set_epoch`) that groups rows by length.

    Beyond sentence-transformers' arguments: `lengths` ((rows,) or (rows, columns) token counts; None: counted
    with `tokenizer`, truncated at `max_length`), `mega_batch` (batches per sorted group: larger = less padding,
    less random company), `no_duplicates` (no text twice in a batch, as NoDuplicatesBatchSampler) and `world_size`
    (training processes). With W processes the rows of one optimizer step (W x batch_size) are grouped and cut into
    W consecutive batches, which accelerate deals out one per process: W processes x batch B train on the same
    rows, step by step, as one process x batch W*B. The one short batch (drop_last off) comes last, as in
    sentence-transformers, where accelerate expects it.
    """

    def __init__(
        self,
        dataset,
        batch_size: int,
        drop_last: bool,
        valid_label_columns: list[str] | None = None,
        generator=None,
        seed: int = 0,
        *,
        lengths=None,
        tokenizer=None,
        max_length: int | None = None,
        mega_batch: int = DEFAULT_MEGA_BATCH,
        no_duplicates: bool = False,
        world_size: int = 1,
    ) -> None:
        super().__init__(
            dataset,
            batch_size=batch_size,
            drop_last=drop_last,
            valid_label_columns=valid_label_columns,
            generator=generator,
            seed=seed,
        )
        self.dataset, self.mega_batch, self.no_duplicates = dataset, max(1, int(mega_batch)), no_duplicates
        self.world_size, self.ids, self._last = max(1, int(world_size)), None, None
        if lengths is None or no_duplicates:
            self.column_lengths, self.ids = column_stats(
                dataset, text_columns(dataset, valid_label_columns), tokenizer, max_length
            )
        if lengths is not None:
            self.column_lengths = np.asarray(lengths).reshape(len(dataset), -1)
        self.lengths = self.column_lengths.max(axis=1) if len(dataset) else np.zeros(0, np.int32)

    def __len__(self) -> int:
        n, step = len(self.dataset), self.batch_size * self.world_size
        return n // step * self.world_size + (0 if self.drop_last else -(-(n % step) // self.batch_size))

    def __iter__(self) -> Iterator[list[int]]:
        yield from self.batches(self.epoch)

    def batches(self, epoch: int) -> list[list[int]]:
        """All batches of `epoch`, in training order: a pure function of (seed, epoch, data, sizes)."""
        if self._last is None or self._last[0] != epoch:  # the startup log and the trainer both ask for epoch 0
            self._last = (epoch, self._compute(epoch))
        return [list(b) for b in self._last[1]]

    def _compute(self, epoch: int) -> list[list[int]]:
        n, size = len(self.dataset), self.batch_size
        step = size * self.world_size  # the rows of one optimizer step, over all processes
        # Own RNG, not the trainer's shared generator: the batches must not depend on who drew from it before.
        rng = np.random.default_rng([int(self.seed or 0), int(epoch), n])
        order = rng.permutation(n)
        span = self.mega_batch * step
        # Stable sort after the shuffle: rows of equal length stay in random order.
        stream = np.concatenate(
            [m[np.argsort(self.lengths[m], kind="stable")] for m in np.array_split(order, range(span, n, span))]
            or [order]
        )
        groups = [stream[i : i + step].tolist() for i in range(0, n, step)]
        short = groups.pop() if groups and len(groups[-1]) < step else None
        if self.no_duplicates:
            groups, left_out = _without_duplicates(
                groups + [short] * (short is not None and not self.drop_last), self.lengths, self.ids, rng
            )
            key = (int(self.seed or 0), epoch, n, left_out, self.batch_size)
            if left_out and key not in _WARNED:  # the startup padding report and the trainer build a sampler each
                _WARNED.add(key)
                logger.warning(
                    "no_duplicates: %d of %d rows fit in no batch of epoch %d without repeating a text; "
                    "they sit this epoch out (batches are topped up with rows of other batches)",
                    left_out,
                    n,
                    epoch,
                )
            short = groups.pop() if short is not None and not self.drop_last else None
        ordered = [groups[i] for i in rng.permutation(len(groups))]
        if short is not None and not self.drop_last:
            ordered.append(short)
        return [group[i : i + size] for group in ordered for i in range(0, len(group), size)]


def _without_duplicates(
    batches: list[list[int]], lengths: np.ndarray, ids: np.ndarray, rng: np.random.Generator
) -> tuple[list[list[int]], int]:
    """Move each row whose text is already in its batch to a batch with room and none of its texts: the narrowest
    batch at least as long as the row (no wider padding), else the widest shorter one. Returns (batches, rows
    left out). Batch count and sizes stay (the trainer planned the epoch, and the resume skip, with them): the holes
    of rows left out are topped up with rows of other batches, repeated in the epoch, as sentence-transformers does.

    Why not NoDuplicatesBatchSampler's refill along the stream: rows that share a long text crowd one length band,
    and refilling mixes the bands. efaq (3 negatives, batch 32; 2 rows in 3 clash within their band): padding 83 %
    with NoDuplicatesBatchSampler, 80 % here, ~77 % at best (a text in R rows needs R batches at least as long as
    it); 1 % of the rows left out."""
    kept, seen, moved = [], [], []
    for batch in batches:
        rows, values = [], set()
        for row, row_values in zip(batch, ids[batch].tolist(), strict=True):
            if values.isdisjoint(row_values):
                rows.append(row)
                values.update(row_values)
            else:
                moved.append(row)
        kept.append(rows)
        seen.append(values)
    if not moved:
        return kept, 0
    room = [len(b) - len(k) for b, k in zip(batches, kept, strict=True)]
    width = np.array([lengths[b].max() for b in batches])
    by_width = np.argsort(width, kind="stable")
    up, down = _Skip(len(by_width), +1), _Skip(len(by_width), -1)  # jump over full batches either way
    for i, b in enumerate(by_width.tolist()):
        if not room[b]:
            up.close(i)
            down.close(i)
    left_out = 0
    for row in sorted(moved, key=lambda r: -lengths[r]):  # longest first: they need the few wide batches
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
            left_out += 1
    if left_out:  # batches keep their size, as NoDuplicatesBatchSampler does: top up with rows of other batches
        for b in (b for b in range(len(kept)) if room[b]):
            for row in rng.permutation(len(lengths)).tolist():
                if room[b] and seen[b].isdisjoint(row_values := ids[row].tolist()):
                    kept[b].append(row)
                    seen[b].update(row_values)
                    room[b] -= 1
                if not room[b]:
                    break
    return kept, left_out


class _Skip:
    """Positions 0..n-1, some closed; `walk(i)` yields the open ones from i on in one direction, jumping over closed
    runs in near-constant time (union-find with path halving; slots 0 and n+1 are the open sentinels -1 and n)."""

    def __init__(self, n: int, step: int) -> None:
        self.n, self.step, self.link = n, step, list(range(n + 2))

    def close(self, i: int) -> None:
        self.link[i + 1] = i + 1 + self.step

    def walk(self, i: int) -> Iterator[int]:
        link = self.link
        while 0 <= i < self.n:
            j = i + 1
            while link[j] != j:
                link[j] = link[link[j]]
                j = link[j]
            i = j - 1
            if 0 <= i < self.n:
                yield i
                i += self.step
