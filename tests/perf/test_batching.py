"""Length-grouped batches: every row once, less padding, deterministic per (seed, epoch), no_duplicates kept."""

from __future__ import annotations

import random

import pytest

from embedding.training.batching.dataloading import describe_padding
from embedding.training.batching.length_groups import LengthGroupedBatchSampler, padding_fraction
from embedding.training.batching.token_counts import column_stats, text_columns


def varied_rows(n: int, seed: int = 0, repeat_every: int = 0) -> dict[str, list]:
    """(anchor, positive, negative) rows of 1..60 words; with repeat_every, negatives reuse a few texts."""
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(500)]

    def text():
        return " ".join(rng.choice(words) for _ in range(int(rng.paretovariate(1.2)) % 60 + 1))

    rows = {"anchor": [], "positive": [], "negative": [], "label": []}
    shared = [text() for _ in range(7)]
    for i in range(n):
        rows["anchor"].append(f"a{i} {text()}")
        rows["positive"].append(f"p{i} {text()}")
        rows["negative"].append(shared[i % 7] if repeat_every and i % repeat_every == 0 else f"n{i} {text()}")
        rows["label"].append(1.0)
    return rows


@pytest.fixture(scope="module")
def dataset():
    from datasets import Dataset

    return Dataset.from_dict(varied_rows(1000))


def sampler(dataset, epoch=0, seed=3, batch_size=16, drop_last=False, **kwargs):
    s = LengthGroupedBatchSampler(dataset, batch_size, drop_last, ["label"], None, seed, **kwargs)
    s.set_epoch(epoch)
    return s


@pytest.mark.parametrize("no_duplicates", [False, True])
def test_every_row_once_per_epoch_and_len_is_exact(dataset, no_duplicates):
    for epoch in range(3):
        s = sampler(dataset, epoch, no_duplicates=no_duplicates)
        batches = list(s)
        assert len(batches) == len(s) == 63
        assert sorted(i for b in batches for i in b) == list(range(len(dataset)))
        assert sorted(map(len, batches)) == [8] + [16] * 62
    dropped = list(sampler(dataset, drop_last=True, no_duplicates=no_duplicates))
    assert len(dropped) == 62 and all(len(b) == 16 for b in dropped)
    assert len({i for b in dropped for i in b}) == 62 * 16


def test_less_padding_than_a_plain_shuffle(dataset):
    import numpy as np

    s = sampler(dataset)
    lengths = s.column_lengths  # (rows, text columns): the label column is not text
    assert lengths.shape == (1000, 3)
    order = np.random.default_rng(0).permutation(1000)
    plain = padding_fraction(lengths[order[i : i + 16]].ravel() for i in range(0, 1000, 16))
    grouped = padding_fraction(lengths[b].ravel() for b in s)
    assert grouped < plain - 0.2, (grouped, plain)


def test_same_seed_and_epoch_same_batches_otherwise_different(dataset):
    first = list(sampler(dataset, epoch=1))
    assert list(sampler(dataset, epoch=1)) == first  # a fresh sampler, as after a resume
    assert list(sampler(dataset, epoch=2)) != first
    assert list(sampler(dataset, epoch=1, seed=4)) != first
    s = sampler(dataset, epoch=1)
    assert list(s) == list(s)  # iterating again within an epoch replays it


def test_batches_stay_random_company():
    """Rows are not sorted globally: each length band draws from a shuffled mega-batch, bands are shuffled."""
    from datasets import Dataset

    data = Dataset.from_dict(varied_rows(2000, seed=1))
    s = sampler(data, batch_size=16, mega_batch=4)
    batches = list(s)
    widths = [max(s.lengths[b]) for b in batches]
    assert widths != sorted(widths) and widths != sorted(widths, reverse=True)
    first = list(sampler(data, batch_size=16, mega_batch=4, epoch=1))
    pairs = {frozenset(b[i : i + 2]) for b in batches for i in range(0, len(b) - 1, 2)}
    again = {frozenset(b[i : i + 2]) for b in first for i in range(0, len(b) - 1, 2)}
    assert len(pairs & again) < 0.1 * len(pairs)  # a new epoch puts rows in new company


@pytest.mark.parametrize("drop_last", [False, True])
def test_no_duplicates_keeps_its_guarantee_on_repeating_data(drop_last):
    from datasets import Dataset

    data = Dataset.from_dict(varied_rows(600, seed=2, repeat_every=3))
    s = sampler(data, batch_size=16, drop_last=drop_last, no_duplicates=True)
    batches = list(s)
    assert len(batches) == len(s)
    for batch in batches:
        texts = [data[i][c] for i in batch for c in ("anchor", "positive", "negative")]
        assert len(texts) == len(set(texts))
    # Sizes as without the guarantee; the few rows that fit nowhere sit out, their places go to repeated rows.
    assert sorted(map(len, batches)) == sorted(map(len, sampler(data, batch_size=16, drop_last=drop_last)))
    placed = [i for b in batches for i in b]
    assert len(set(placed)) >= 0.95 * len(placed)  # 7 texts in 1 row of 3: 96 % (NoDuplicatesBatchSampler 99.8 %)
    import numpy as np

    lengths, order = s.column_lengths, np.random.default_rng(0).permutation(600)
    plain = padding_fraction(lengths[order[i : i + 16]].ravel() for i in range(0, 600, 16))
    assert padding_fraction(lengths[b].ravel() for b in batches) < plain - 0.1


def test_token_lengths_use_the_tokenizer_and_its_truncation(tiny_bert):
    from datasets import Dataset
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(tiny_bert))
    data = Dataset.from_dict(
        {"anchor": ["como pedir", "cartao " * 50], "positive": ["pix", "frete gratis"], "label": [1, 0]}
    )
    assert text_columns(data, ["label"]) == ["anchor", "positive"]
    lengths, ids = column_stats(data, ["anchor", "positive"], tokenizer, 16)
    assert lengths.tolist() == [[4, 3], [16, 4]]  # [CLS] ... [SEP]; the long text truncated at 16
    assert ids.shape == (2, 2) and len(set(ids.ravel().tolist())) == 4
    chars, _ = column_stats(data, ["anchor", "positive"])
    assert chars.tolist()[0] == [10, 3]


def test_padding_fraction():
    assert padding_fraction([[2, 2], [3, 1]]) == pytest.approx(1 - 8 / 10)
    assert padding_fraction([]) == 0.0


def build(cfg, run_dir):
    """The trainer `embedding train` would build for cfg, and the batch sampler of its training dataloader."""
    from embedding.training.plan import build_plan
    from embedding.training.run import build_trainer
    from embedding.validation import validate_mapping

    trainer = build_trainer(build_plan(validate_mapping(cfg), run_dir), [])
    return trainer, trainer.get_train_dataloader().batch_sampler


def small_cfg(tiny_bert, efaq_dir, out, **args):
    from tests.conftest import base_config

    cfg = base_config(tiny_bert, efaq_dir, out, evaluator=None, early_stopping=None)
    cfg["objectives"][0]["datasets"].pop("validation")
    cfg["args"] = {"max_steps": 3, "per_device_train_batch_size": 4, "save_strategy": "no", "report_to": "none"}
    cfg["args"].update(args)
    return cfg


def test_through_the_trainer_single_and_multi_objective(tmp_path, tiny_bert, efaq_dir, grouping_trainer):
    """The spec's config shape (two objectives, no_duplicates) and one objective with the default sampler: the
    samplers of the dataloader the trainer trains with."""
    cfg = small_cfg(tiny_bert, efaq_dir, tmp_path / "multi", batch_sampler="no_duplicates")
    build(cfg, tmp_path / "multi")
    assert [s.no_duplicates for s in grouping_trainer] == [True, True]
    grouping_trainer.clear()
    cfg = small_cfg(tiny_bert, efaq_dir, tmp_path / "single")
    cfg["objectives"] = cfg["objectives"][:1]
    build(cfg, tmp_path / "single")
    assert len(grouping_trainer) == 1 and not grouping_trainer[0].no_duplicates


def test_describe_padding(tmp_path, tiny_bert, efaq_dir, grouping_trainer):
    trainer, _ = build(small_cfg(tiny_bert, efaq_dir, tmp_path / "out", max_steps=1), tmp_path / "run")
    line = describe_padding(trainer)
    assert line.startswith("contrastive ") and "; similarity " in line and line.count(" -> ") == 3
    assert line.endswith("of the tokens are padding (shuffled batches -> grouped by length, epoch 0)")


def test_a_rebuilt_trainer_replays_the_grouped_batches_of_each_epoch(tmp_path, tiny_bert, efaq_dir, grouping_trainer):
    """What exact resume rests on: a resumed process builds its trainer anew and must get the same batches for
    the same epoch (the trainer skips the ones already trained); fast twin of the full resume test below."""
    cfg = small_cfg(tiny_bert, efaq_dir, tmp_path / "out", batch_sampler="no_duplicates", seed=7)
    cfg["objectives"] = cfg["objectives"][:1]

    def batches(sampler, epoch):
        sampler.set_epoch(epoch)
        return list(sampler)

    (_, first), (_, rebuilt) = build(cfg, tmp_path / "a"), build(cfg, tmp_path / "b")
    assert batches(first, 1) == batches(rebuilt, 1)
    assert batches(rebuilt, 1) != batches(rebuilt, 0)
    assert len(grouping_trainer) == 2  # the batches came from the length-grouped samplers


@pytest.mark.slow  # three trainings; the test above checks the batches fast
def test_exact_resume_with_grouped_batches(tmp_path, tiny_bert, efaq_dir, grouping_trainer):
    """Resuming from a checkpoint (mid epoch 0, mid epoch 1) replays the grouped batches: identical final weights."""
    import torch
    from safetensors.torch import load_file

    from embedding import train
    from tests.conftest import base_config

    def config(name):
        cfg = base_config(tiny_bert, efaq_dir, tmp_path / name, evaluator=None, early_stopping=None)
        cfg["objectives"] = cfg["objectives"][:1]
        cfg["objectives"][0]["datasets"].pop("validation")
        cfg["args"] = {
            "max_steps": 7,
            "per_device_train_batch_size": 4,
            "batch_sampler": "no_duplicates",
            "learning_rate": 1e-3,
            "save_strategy": "steps",
            "save_steps": 3,
            "report_to": "none",
            "seed": 7,
            "dataloader_drop_last": True,
        }
        return cfg

    def weights(result):
        files = sorted(result.model_dir.rglob("*.safetensors"))
        return {f"{f.name}:{k}": v for f in files for k, v in load_file(f).items()}

    straight = weights(train(config("straight")))
    run_dir = tmp_path / "straight" / "test-run"
    assert len(grouping_trainer[0]) == 4  # 16 rows / 4: step 7 is in epoch 1
    for checkpoint in ("checkpoint-3", "checkpoint-6"):
        resumed = weights(train(config(f"from-{checkpoint}"), resume=str(run_dir / checkpoint)))
        assert straight.keys() == resumed.keys()
        assert all(torch.equal(straight[k], resumed[k]) for k in straight), checkpoint


@pytest.mark.parametrize("no_duplicates", [False, True])
@pytest.mark.parametrize("drop_last", [False, True])
def test_processes_train_on_the_rows_of_one_process(dataset, no_duplicates, drop_last):
    """2 processes x batch 4 (dealt out by accelerate) = 1 process x batch 8, step by step; short batch last."""
    from accelerate.data_loader import BatchSamplerShard

    one = sampler(dataset, batch_size=8, drop_last=drop_last, no_duplicates=no_duplicates)
    two = sampler(dataset, batch_size=4, drop_last=drop_last, no_duplicates=no_duplicates, world_size=2)
    assert len(list(two)) == len(two)
    shards = [
        list(BatchSamplerShard(two, num_processes=2, process_index=k, split_batches=False, even_batches=False))
        for k in range(2)
    ]
    steps = [a + b for a, b in zip(*shards, strict=True)] + shards[0][len(shards[1]) :]
    assert steps == list(one)
    assert all(len(b) == 4 for shard in shards for b in shard[:-1])


def test_rows_left_out_are_reported_once_per_epoch(caplog):
    # Given two samplers over the same data (the startup padding report and the trainer each build one)
    from datasets import Dataset

    import embedding.training.batching.length_groups as batching

    batching._WARNED.clear()
    data = Dataset.from_dict(varied_rows(600, seed=2, repeat_every=3))
    with caplog.at_level("WARNING", logger=batching.logger.name):
        list(sampler(data, batch_size=16, no_duplicates=True))
        list(sampler(data, batch_size=16, no_duplicates=True))
        list(sampler(data, epoch=1, batch_size=16, no_duplicates=True))
    # Then: one warning per epoch, not one per sampler
    messages = [r.getMessage() for r in caplog.records if "fit in no batch" in r.getMessage()]
    assert len(messages) == 2 and "epoch 0" in messages[0] and "epoch 1" in messages[1]
