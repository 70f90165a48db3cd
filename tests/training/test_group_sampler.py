"""`batch_sampler: one_per_group`: never two rows of one group in a batch (per process and per optimizer step),
length grouping and no_duplicates kept, deterministic and resume-exact (issue 16)."""

from __future__ import annotations

import datasets
import numpy as np
import pytest
from accelerate.data_loader import BatchSamplerShard

from embedding.errors import DataError
from embedding.training.batching.group_sampler import OnePerGroupBatchSampler, same_group_pairs
from embedding.training.batching.length_groups import LengthGroupedBatchSampler, padding_fraction


def _data(seed: int, n: int) -> tuple[datasets.Dataset, np.ndarray]:
    """n rows in random groups of 1-6 rows; texts of random lengths, some texts repeated across groups."""
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(n), rng.integers(1, 7, n))[:n]
    rng.shuffle(groups)
    words = [" ".join(["w"] * int(k)) + f" {i % (n // 3)}" for i, k in enumerate(rng.integers(1, 40, n))]
    positives = [f"p{g} {i % 7}" for i, g in enumerate(groups)]
    return datasets.Dataset.from_dict({"anchor": words, "positive": positives}), groups


def _sampler(data, groups, batch_size, *, seed=0, world_size=1, drop_last=False, **kwargs):
    return OnePerGroupBatchSampler(
        data, batch_size, drop_last, None, None, seed, groups=groups, world_size=world_size, **kwargs
    )


def _assert_one_per_group_and_no_duplicate_text(batch, groups, columns):
    assert len(set(groups[batch].tolist())) == len(batch), batch
    texts = [column[i] for i in batch for column in columns]
    assert len(set(texts)) == len(texts)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("batch_size", [2, 5, 8])
@pytest.mark.parametrize("world_size", [1, 2])
@pytest.mark.parametrize("drop_last", [False, True])
def test_no_two_rows_of_a_group_in_a_batch_or_a_step(seed, batch_size, world_size, drop_last):
    data, groups = _data(seed, 90 + 17 * seed)
    columns = [data["anchor"], data["positive"]]
    for epoch in (0, 1):
        sampler = _sampler(data, groups, batch_size, seed=seed, world_size=world_size, drop_last=drop_last)
        sampler.set_epoch(epoch)
        batches = list(sampler)
        assert len(batches) == len(sampler)
        shards = [
            list(BatchSamplerShard(sampler, num_processes=world_size, process_index=rank, even_batches=False))
            for rank in range(world_size)
        ]
        for step in range(len(shards[0])):
            per_rank = [shard[step] for shard in shards if step < len(shard)]
            for batch in per_rank:
                assert len(batch) <= batch_size
                _assert_one_per_group_and_no_duplicate_text(batch, groups, columns)
            _assert_one_per_group_and_no_duplicate_text([i for b in per_rank for i in b], groups, columns)


def test_random_batches_would_pair_rows_of_one_group_and_the_sampler_removes_them():
    data, groups = _data(0, 120)
    plain = LengthGroupedBatchSampler(data, 8, False, None, None, 0, no_duplicates=True)
    codes = np.unique(groups, return_inverse=True)[1]
    assert same_group_pairs(plain.batches(0), codes) > 0  # what the feature exists for
    assert same_group_pairs(_sampler(data, groups, 8).batches(0), codes) == 0


def test_length_grouping_is_kept():
    data, groups = _data(1, 160)
    sampler = _sampler(data, groups, 8)
    lengths = sampler.lengths
    order = np.random.default_rng(0).permutation(len(data))
    shuffled = padding_fraction(lengths[order[i : i + 8]] for i in range(0, len(order), 8))
    assert padding_fraction(lengths[b] for b in sampler.batches(0)) < shuffled


def test_deterministic_and_resume_exact():
    data, groups = _data(2, 100)
    first, second = _sampler(data, groups, 4, seed=5), _sampler(data, groups, 4, seed=5)
    assert list(first) == list(second)
    first.set_epoch(1)
    second.set_epoch(1)
    epoch1 = list(first)
    assert epoch1 == list(second) and epoch1 != _sampler(data, groups, 4, seed=5).batches(0)
    # The trainer resumes by skipping the batches already trained: a fresh sampler replays the same ones.
    resumed = _sampler(data, groups, 4, seed=5)
    resumed.set_epoch(1)
    assert list(resumed)[7:] == epoch1[7:]
    assert _sampler(data, groups, 4, seed=6).batches(0) != _sampler(data, groups, 4, seed=5).batches(0)


@pytest.mark.parametrize("batch_size, world_size", [(6, 1), (3, 2)])
def test_more_rows_per_step_than_groups_is_a_data_error(batch_size, world_size):
    data = datasets.Dataset.from_dict(
        {"anchor": [f"a{i}" for i in range(20)], "positive": [f"p{i}" for i in range(20)]}
    )
    groups = np.arange(20) % 5
    with pytest.raises(DataError, match="5 groups for a batch of .*lower the batch size"):
        _sampler(data, groups, batch_size, world_size=world_size, where="objectives[0].datasets.train")


@pytest.mark.parametrize("group_by_length", [True, False])
def test_trainer_hook_finds_the_keys_by_content_and_names_the_dataset(group_by_length):
    from types import SimpleNamespace

    from embedding.data import groups as registry
    from embedding.training.batching.group_sampler import one_per_group_sampler

    data, groups = _data(5 + group_by_length, 60)  # rows of their own: the registry outlives a test
    trainer = SimpleNamespace(
        model=None, length_mega_batch=None, group_by_length=group_by_length, args=SimpleNamespace(world_size=1)
    )
    with pytest.raises(DataError, match="carry no group keys"):
        one_per_group_sampler(trainer, data, 4, False, None, None, 0)
    registry.register(data, groups, "objectives[2].datasets.train")
    sampler = one_per_group_sampler(
        trainer, data.add_column("dataset_name", ["x"] * len(data)), 4, False, None, None, 0
    )
    assert sampler.mega_batch == (32 if group_by_length else 1)  # no length grouping: random batches
    assert all(len(set(groups[b].tolist())) == len(b) for b in sampler.batches(0))
    with pytest.raises(DataError, match=r"^objectives\[2\]\.datasets\.train: batch_sampler one_per_group"):
        one_per_group_sampler(trainer, data, len(set(groups.tolist())) + 1, False, None, None, 0)
