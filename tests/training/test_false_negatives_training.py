"""one_per_group and the guided mask inside the trainer: the real training batches, the log, an exact resume."""

from __future__ import annotations

import signal
from types import SimpleNamespace

import pytest

from embedding.data.preprocess import training_rows
from embedding.training.batching.group_sampler import OnePerGroupBatchSampler
from embedding.training.display.false_negatives import GuidedMaskLog, banner_row, random_pairs_per_epoch
from tests.conftest import EFAQ_ROWS
from tests.training.runs import small_config, weights, write_config


def _efaq_rows(tmp_path):
    import datasets

    folder = tmp_path / "raw"
    datasets.Dataset.from_list(EFAQ_ROWS).save_to_disk(str(folder))
    return training_rows(datasets.load_from_disk(str(folder)), "contrastive", {"negative_samples": 1}, seed=0,
                         where="objectives[0].datasets.train")  # fmt: skip


def test_the_trainer_trains_on_one_row_per_group(tmp_path, tiny_bert):
    from sentence_transformers import SentenceTransformer, SentenceTransformerTrainingArguments

    from embedding.training.trainer.base import EmbeddingTrainer

    data = _efaq_rows(tmp_path)
    args = SentenceTransformerTrainingArguments(
        output_dir=str(tmp_path / "out"), per_device_train_batch_size=4, report_to="none", seed=3,
        dataloader_num_workers=0,
    )  # fmt: skip
    model = SentenceTransformer(str(tiny_bert), device="cpu")
    trainer = EmbeddingTrainer(model=model, args=args, train_dataset=data.dataset, batch_samplers=["one_per_group"])
    loader = trainer.get_train_dataloader()
    sampler = loader.batch_sampler.batch_sampler if hasattr(loader.batch_sampler, "batch_sampler") else None
    sampler = sampler or loader.batch_sampler
    assert isinstance(sampler, OnePerGroupBatchSampler)
    batches = list(sampler)
    assert len(batches) == len(data.dataset) // 4
    for batch in batches:
        assert len(set(data.groups[batch].tolist())) == len(batch) == 4
    first = next(iter(loader))
    assert not any(key.startswith("_group") for key in first)  # the key never reaches the model as a text
    assert trainer.get_eval_dataloader(data.dataset) is not None  # eval batches: sentence-transformers' own


def test_banner_row_and_log_say_what_was_removed(tmp_path):
    data = _efaq_rows(tmp_path)
    guide = SimpleNamespace(name="base", margin=0.1, take_fraction=lambda: 0.25)
    objectives = [
        SimpleNamespace(name="faq", train=data, loss=None, spec=SimpleNamespace(batch_sampler=None, batch_size=None)),
        SimpleNamespace(name="guided", train=data, loss=SimpleNamespace(main=SimpleNamespace(guide=guide)),
                        spec=SimpleNamespace(batch_sampler=None, batch_size=None)),
    ]  # fmt: skip
    args = SimpleNamespace(per_device_train_batch_size=4, world_size=1)
    trainer = SimpleNamespace(args=args, batch_samplers=["one_per_group", "batch_sampler"])
    key, value = banner_row(SimpleNamespace(objectives=objectives), trainer)
    expected = random_pairs_per_epoch(data.groups, 4)
    assert expected == pytest.approx(4 * 6 * (1 / 15))  # 8 groups of 2 of 16 rows: share 8·2 / (16·15)
    assert key == "in-batch false negatives"
    assert f"faq: one_per_group, same-group pairs per epoch {expected:,.0f} (random batches) -> 0" in value
    assert "guided: guided mask (guide base, margin 0.1), masked share logged as guided_mask/guided" in value
    logs = {"loss": 1.0}
    GuidedMaskLog(SimpleNamespace(objectives=objectives)).on_log(None, None, None, logs=logs)
    assert logs == {"loss": 1.0, "guided_mask/guided": 0.25}
    trainer.batch_samplers = trainer.batch_samplers[:1]
    assert banner_row(SimpleNamespace(objectives=objectives[:1]), trainer)[1].startswith("faq: one_per_group")
    trainer.batch_samplers = ["no_duplicates"]
    assert banner_row(SimpleNamespace(objectives=objectives[:1]), trainer) is None


@pytest.mark.slow
def test_one_per_group_and_guide_resume_bitwise(tmp_path, tiny_bert, efaq_dir):
    """A run with both switches, killed at step 3 and resumed, ends with the weights of an uninterrupted run."""
    import torch

    from embedding.cli import main
    from tests.training.test_resume import run_driver

    def make(name):
        cfg = small_config(tiny_bert, efaq_dir, tmp_path / name)
        cfg["objectives"][0].update(batch_sampler="one_per_group", loss_args={"guide": "base", "guide_margin": 0.05})
        return write_config(tmp_path / f"{name}.yaml", cfg), tmp_path / name / "test-run"

    (straight_cfg, straight_run), (killed_cfg, killed_run) = make("straight"), make("killed")
    assert main(["train", "-c", str(straight_cfg)]) == 0
    assert run_driver(tmp_path, killed_cfg, 3, signal.SIGKILL).returncode == -signal.SIGKILL
    assert main(["train", "-c", str(killed_cfg), "--resume"]) == 0
    a, b = weights(straight_run / "final"), weights(killed_run / "final")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
