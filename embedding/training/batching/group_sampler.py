"""`batch_sampler: one_per_group`: length-grouped batches that hold at most one row of each group.

Rows of one group (an FAQ entry, a label, an anchor: `data/groups.py`) are each other's in-batch false negatives:
the ranking loss would push a question away from its own paraphrase. This sampler is batching.
LengthGroupedBatchSampler with `no_duplicates` where a row's group counts as one more of its texts: a row is moved
out of a batch that already holds a text of it OR a row of its group. Length grouping, the no-duplicates guarantee,
the batch count, determinism (same seed + epoch, same batches: the resume skip replays them) and the multi-process
layout stay the ones of that sampler. With W processes the rows of one optimizer step (W x batch size) are
deduplicated together before they are cut into the W per-process batches, so the global batch (what
`gather_across_devices` scores against) also holds one row per group.
"""

from __future__ import annotations

import numpy as np

from ...errors import DataError
from .length_groups import LengthGroupedBatchSampler

NAME = "one_per_group"


class OnePerGroupBatchSampler(LengthGroupedBatchSampler):
    """LengthGroupedBatchSampler (same arguments; `no_duplicates` is always on) plus `groups`: one key per row.

    Raises DataError when the step (batch size x processes) is larger than the number of groups: no batch could
    be filled without two rows of one group.
    """

    def __init__(self, dataset, batch_size: int, drop_last: bool, *args, groups, where: str = "", **kwargs) -> None:
        kwargs["no_duplicates"] = True
        super().__init__(dataset, batch_size, drop_last, *args, **kwargs)
        codes = np.unique(np.asarray(groups), return_inverse=True)[1].reshape(-1)
        if len(codes) != len(dataset):
            raise ValueError(f"{len(codes)} group keys for {len(dataset)} rows")
        count, step = int(codes.max()) + 1 if len(codes) else 0, batch_size * self.world_size
        if step > count:
            processes = f" x {self.world_size} processes" if self.world_size > 1 else ""
            raise DataError(
                f"{where or 'training data'}: batch_sampler one_per_group needs at least as many groups as rows "
                f"per step, but the data has {count} groups for a batch of {batch_size}{processes}; lower the "
                f"batch size (the objective's batch_size or args.per_device_train_batch_size) to at most "
                f"{count // self.world_size}, or use batch_sampler no_duplicates"
            )
        self.group_codes = codes
        # A group is one more value of the row: the no-duplicates repair keeps values unique per step.
        offset = int(self.ids.max()) + 1 if self.ids.size else 0
        self.ids = np.column_stack([self.ids, offset + codes])


def same_group_pairs(batches: list[list[int]], codes: np.ndarray) -> int:
    """Row pairs of one group within the same batch, over `batches` (what one_per_group removes)."""
    total = 0
    for batch in batches:
        sizes = np.unique(codes[batch], return_counts=True)[1]
        total += int((sizes * (sizes - 1) // 2).sum())
    return total


def one_per_group_sampler(trainer, dataset, batch_size, drop_last, valid_label_columns, generator, seed):
    """The trainer's training sampler for `one_per_group` (dataloading.LengthGroupingMixin): length-grouped
    unless `group_by_length: false` (then one sorted span per step, i.e. random batches)."""
    from ...data.groups import groups_of
    from .length_groups import DEFAULT_MEGA_BATCH

    found = groups_of(dataset)
    if found is None:
        raise DataError(
            "batch_sampler one_per_group: the training rows carry no group keys (rows not preprocessed by this "
            "package, or reordered after preprocessing); use batch_sampler no_duplicates"
        )
    return OnePerGroupBatchSampler(
        dataset,
        batch_size,
        drop_last,
        valid_label_columns,
        generator,
        seed,
        groups=found.keys,
        where=found.where,
        tokenizer=getattr(trainer.model, "tokenizer", None),
        max_length=getattr(trainer.model, "max_seq_length", None),
        mega_batch=(trainer.length_mega_batch or DEFAULT_MEGA_BATCH) if trainer.group_by_length else 1,
        world_size=trainer.args.world_size,
    )
