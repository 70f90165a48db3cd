from __future__ import annotations

import json

import pytest
import yaml

from embedding import train
from embedding.cli import main
from embedding.errors import UserError
from tests.conftest import SHARED, base_config


def embeddings(path, texts=("como pedir o cartao", "rastrear encomenda")):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(path)).encode(list(texts), convert_to_tensor=True)


def test_train_end_to_end_with_both_objectives(tmp_path, tiny_bert, efaq_dir):
    import torch

    cfg = base_config(tiny_bert, efaq_dir, tmp_path / "out")
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(cfg))
    assert main(["train", "--config", str(path)]) == 0

    run = tmp_path / "out" / "test-run"
    assert (run / "final" / "modules.json").exists()
    assert not torch.allclose(embeddings(run / "final"), embeddings_of_base(tiny_bert))
    logs = [json.loads(line) for line in (run / "logs.jsonl").read_text().splitlines()]
    assert [r["step"] for r in logs if "loss" in r] == [1, 2, 3, 4]
    assert any("eval_cosine_map@1" in r for r in logs) and any("eval_contrastive_loss" in r for r in logs)
    assert all("used_memory_mb" in json.loads(line) for line in (run / "resources.jsonl").read_text().splitlines())
    resolved = yaml.safe_load((run / "config.resolved.yaml").read_text())
    assert resolved["objectives"][0]["matryoshka"]["matryoshka_dims"] == [16, 32]
    evaluation = json.loads((run / "evaluation.json").read_text())
    assert set(evaluation["before"]) == set(evaluation["after"]) and "cosine_map@1" in evaluation["after"]
    assert list(run.glob("checkpoint-*"))


def embeddings_of_base(tiny_bert):
    from embedding.config.schema import ModelSpec
    from embedding.models import load_model

    model, _ = load_model(ModelSpec(name=str(tiny_bert)))
    return model.encode(["como pedir o cartao", "rastrear encomenda"], convert_to_tensor=True)


def test_two_objectives_of_one_type_both_train(tmp_path, tiny_bert, efaq_dir):
    cfg = base_config(tiny_bert, efaq_dir, tmp_path / "out", evaluator=None, early_stopping=None)
    cfg["objectives"][1] = {**cfg["objectives"][0], "datasets": {"train": cfg["objectives"][0]["datasets"]["train"]}}
    cfg["args"] = {
        "max_steps": 6,
        "per_device_train_batch_size": 4,
        "logging_steps": 1,
        "report_to": "none",
        "multi_dataset_batch_sampler": "round_robin",
        "save_strategy": "no",
    }
    result = train(cfg)
    logs = [json.loads(line) for line in (result.run_dir / "logs.jsonl").read_text().splitlines()]
    final = logs[-2] if "event" in logs[-1] else logs[-1]
    assert final["train_runtime"] > 0
    from datasets import Dataset  # noqa: F401  (the trainer saw two datasets: see the state's log history)

    state = json.loads((result.run_dir / "final" / "config_sentence_transformers.json").read_text())
    assert state  # saved model exists
    card = (result.run_dir / "final" / "README.md").read_text()
    assert "contrastive" in card and "contrastive_2" in card


def test_existing_run_is_not_overwritten(tmp_path, tiny_bert, efaq_dir):
    cfg = base_config(tiny_bert, efaq_dir, tmp_path / "out", evaluator=None, early_stopping=None)
    cfg["args"] = {"max_steps": 1, "per_device_train_batch_size": 4, "report_to": "none", "save_strategy": "no"}
    first = train(cfg)
    with pytest.raises(UserError, match="already holds a run; pass --resume to continue it, --overwrite"):
        train(cfg)
    train(cfg, overwrite=True)
    assert len(list((tmp_path / "out").glob("test-run.old-*"))) == 1 and (first.run_dir / "final").exists()


def test_matryoshka_dim_larger_than_model_is_a_user_error(tmp_path, tiny_bert, efaq_dir):
    cfg = base_config(tiny_bert, efaq_dir, tmp_path / "out", evaluator=None, early_stopping=None)
    cfg["objectives"][0]["matryoshka"]["matryoshka_dims"] = [16, 64]
    cfg["args"] = {"max_steps": 1, "report_to": "none"}
    with pytest.raises(UserError) as info:  # caught by the config checks, before any model is loaded
        train(cfg)
    assert (
        "objectives[0].matryoshka.matryoshka_dims: 64 is larger than the model's embedding size 32"
        in info.value.render()
    )


@pytest.mark.slow  # the real e-faq splits, batch 32: minutes on 2 shared cores; the tiny-data twin is above
@pytest.mark.skipif(not (SHARED / "aia-bde" / "efaq").exists(), reason="needs ../shared/datasets")
def test_spec_config_on_real_efaq_data_and_reload(tmp_path, tiny_bert):
    """The spec's config shape (both objectives, evaluator, early stopping) on aia-bde/efaq, a few steps."""
    from sentence_transformers import SentenceTransformer

    cfg = base_config(tiny_bert, SHARED / "aia-bde" / "efaq", tmp_path / "out")
    cfg["objectives"][0]["datasets"]["train"]["preprocess_args"]["negative_samples"] = 3
    cfg["evaluator"]["dataset"]["preprocess_args"]["negative_samples"] = 5
    cfg["args"].update(per_device_train_batch_size=32, max_steps=4, gradient_checkpointing=True)
    result = train(cfg)
    model = SentenceTransformer(str(result.model_dir))
    assert model.encode(["Como pedir o cartão?"]).shape == (1, 32)
    assert result.after["cosine_map@1"] > 0 and result.main_metric == "cosine_ndcg@10"
