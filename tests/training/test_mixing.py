from __future__ import annotations

import json

import pytest

from embedding import train
from embedding.training.batching.sampling import WeightedBatchSampler, expected_shares
from embedding.validation import validate_mapping
from tests.conftest import base_config


def two_objectives(tmp_path, tiny_bert, efaq_dir, **extra):
    cfg = base_config(tiny_bert, efaq_dir, tmp_path / "out", evaluator=None, early_stopping=None, **extra)
    cfg["objectives"][0]["datasets"].pop("validation")
    cfg["objectives"][0]["name"], cfg["objectives"][1]["name"] = "a", "b"
    cfg["args"] = {
        "max_steps": 40,
        "per_device_train_batch_size": 2,
        "logging_steps": 1,
        "report_to": "none",
        "save_strategy": "no",
        "learning_rate": 1e-5,
    }
    return cfg


def test_the_trainer_draws_weighted_batches_by_the_weights(tmp_path, tiny_bert, efaq_dir):
    """The batches the trainer would train on, two epochs of them, without the training (fast twin of the next)."""
    from embedding.training.plan import build_plan
    from embedding.training.run import build_trainer

    cfg = two_objectives(tmp_path, tiny_bert, efaq_dir, mixing="weighted")
    cfg["objectives"][0]["weight"], cfg["objectives"][1]["weight"] = 4.0, 1.0
    trainer = build_trainer(build_plan(validate_mapping(cfg), tmp_path / "run"), [])
    sampler = trainer.get_train_dataloader().batch_sampler
    assert isinstance(sampler, WeightedBatchSampler)
    rows_of_a = len(sampler.dataset.datasets[0])
    objectives = []
    for epoch in (0, 1):
        sampler.set_epoch(epoch)
        objectives += ["a" if max(batch) < rows_of_a else "b" for batch in sampler]
    assert len(objectives) == 2 * len(sampler) and objectives.count("a") / len(objectives) > 0.65
    assert "b" in objectives


@pytest.mark.slow  # 40 training steps; the test above checks the trainer's batches fast
def test_weighted_mixing_follows_the_weights(tmp_path, tiny_bert, efaq_dir):
    cfg = two_objectives(tmp_path, tiny_bert, efaq_dir, mixing="weighted")
    cfg["objectives"][0]["weight"], cfg["objectives"][1]["weight"] = 4.0, 1.0
    result = train(cfg)
    steps = [json.loads(line) for line in (result.run_dir / "logs.jsonl").read_text().splitlines()]
    a = sum("loss/a/main" in r for r in steps)
    b = sum("loss/b/main" in r for r in steps)
    assert a + b == 40 and a / 40 > 0.65 and b > 0


def test_per_objective_batch_size_and_sampler(tmp_path, tiny_bert, efaq_dir):
    from embedding.training.plan import build_plan
    from embedding.training.run import build_trainer

    cfg = two_objectives(tmp_path, tiny_bert, efaq_dir)
    cfg["objectives"][1]["batch_size"] = 5
    cfg["objectives"][1]["batch_sampler"] = "batch_sampler"
    cfg["args"]["batch_sampler"] = "no_duplicates"
    config = validate_mapping(cfg)
    plan = build_plan(config, tmp_path / "run")
    trainer = build_trainer(plan, [])
    samplers = trainer.get_train_dataloader().batch_sampler.batch_samplers
    assert [s.batch_size for s in samplers] == [2, 5]
    assert [(type(s).__name__, s.no_duplicates) for s in samplers] == [
        ("LengthGroupedBatchSampler", True),
        ("LengthGroupedBatchSampler", False),
    ]
    trainer.group_by_length = False  # off: sentence-transformers' own samplers
    samplers = trainer.get_train_dataloader().batch_sampler.batch_samplers
    assert [type(s).__name__ for s in samplers] == ["NoDuplicatesBatchSampler", "DefaultBatchSampler"]
    # one key, one type: the resolved names, passed down; the trainer's arguments are never rewritten
    assert trainer.batch_samplers == ["no_duplicates", "batch_sampler"]
    assert str(trainer.args.batch_sampler.value) == "no_duplicates"


def test_building_batches_never_rewrites_the_trainer_arguments(tmp_path, tiny_bert, efaq_dir, monkeypatch):
    from embedding.training.batching.dataloading import describe_padding
    from embedding.training.plan import build_plan
    from embedding.training.run import build_trainer

    cfg = two_objectives(tmp_path, tiny_bert, efaq_dir)
    cfg["objectives"][1]["batch_sampler"] = "batch_sampler"
    cfg["args"]["batch_sampler"] = "no_duplicates"
    trainer = build_trainer(build_plan(validate_mapping(cfg), tmp_path / "run"), [])
    written = []
    original = type(trainer.args).__setattr__
    monkeypatch.setattr(type(trainer.args), "__setattr__", lambda a, k, v: written.append(k) or original(a, k, v))
    trainer.get_train_dataloader()
    describe_padding(trainer)
    assert "batch_sampler" not in written  # per-objective samplers are passed down, not swapped into args


def test_one_objective_reads_its_sampler_from_the_same_key(tmp_path, tiny_bert, efaq_dir):
    from embedding.training.plan import build_plan
    from embedding.training.run import build_trainer

    cfg = two_objectives(tmp_path, tiny_bert, efaq_dir)
    cfg["objectives"] = cfg["objectives"][:1]
    cfg["objectives"][0]["batch_sampler"] = "one_per_group"
    cfg["args"]["batch_sampler"] = "no_duplicates"  # every objective's default: the objective's own wins
    trainer = build_trainer(build_plan(validate_mapping(cfg), tmp_path / "run"), [])
    assert trainer.batch_samplers == ["one_per_group"]
    assert type(trainer.get_train_dataloader().batch_sampler).__name__ == "OnePerGroupBatchSampler"
    assert str(trainer.args.batch_sampler.value) == "batch_sampler"  # evaluation batches: random, as before


def test_weighted_sampler_is_seeded_and_upsamples():
    from torch.utils.data import BatchSampler, ConcatDataset, SequentialSampler

    data = ConcatDataset([list(range(4)), list(range(20))])
    samplers = [
        BatchSampler(SequentialSampler(range(4)), 2, False),
        BatchSampler(SequentialSampler(range(20)), 2, False),
    ]
    import torch

    def batches(seed):
        return list(WeightedBatchSampler(data, samplers, generator=torch.Generator(), seed=seed, weights=[9, 1]))

    assert batches(1) == batches(1) and batches(1) != batches(2)
    small = sum(1 for b in batches(1) if b[0] < 4)
    assert len(batches(1)) == 12 and small > 6  # the 2-batch dataset is cycled to serve its weight


def test_expected_shares():
    assert expected_shares("proportional", [30, 10], [1, 1]) == [0.75, 0.25]
    assert expected_shares("round_robin", [30, 10], [1, 1]) == [0.5, 0.5]
    assert expected_shares("weighted", [30, 10], [1, 3]) == [0.25, 0.75]


@pytest.mark.parametrize("mixing", ["proportional", "round_robin"])
def test_builtin_mixing_modes_reach_the_trainer(tmp_path, tiny_bert, efaq_dir, mixing):
    from embedding.training.plan import build_plan
    from embedding.training.run import trainer_arguments

    cfg = two_objectives(tmp_path, tiny_bert, efaq_dir, mixing=mixing)
    plan = build_plan(validate_mapping(cfg), tmp_path / "run")
    assert str(trainer_arguments(plan).multi_dataset_batch_sampler.value) == mixing
